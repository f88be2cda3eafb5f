"""Set-up for scheduling tests: a bookable staff member with weekly hours, services and
resources, written straight to the tables (the set-up pages have tests of their own).
Call inside the tenant's schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from scheduling.models import BusinessHours, Resource, Service, WorkingHours

WEEK = range(7)


def hours(text: str) -> list[tuple[dt.time, dt.time]]:
    """ "09:00-12:00 13:00-18:00" -> [(9:00, 12:00), (13:00, 18:00)]."""
    pairs = []
    for part in text.split():
        a, b = part.split("-")
        pairs.append((dt.time.fromisoformat(a), dt.time.fromisoformat(b)))
    return pairs


def open_business(text: str = "08:00-20:00", days=WEEK) -> None:
    BusinessHours.objects.all().delete()
    for day in days:
        for a, b in hours(text):
            BusinessHours.objects.create(weekday=day, opens=a, closes=b)


def working(staff, text: str = "09:00-12:00 13:00-18:00", days=WEEK) -> None:
    WorkingHours.objects.filter(staff=staff).delete()
    for day in days:
        for a, b in hours(text):
            WorkingHours.objects.create(staff=staff, weekday=day, starts=a, ends=b)


def service(
    name: str,
    *,
    staff=(),
    minutes: int = 60,
    before: int = 0,
    after: int = 0,
    price: str = "300",
    resources=(),
    recall_days: int | None = None,
    online: bool = True,
) -> Service:
    made = Service.objects.create(
        name=name,
        duration_minutes=minutes,
        buffer_before_minutes=before,
        buffer_after_minutes=after,
        price=Decimal(price),
        recall_days=recall_days,
        online_bookable=online,
    )
    made.staff.set(staff)
    made.resources.set(resources)
    return made


def resource(name: str, kind: str = "room") -> Resource:
    return Resource.objects.create(name=name, kind=kind)
