from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from contactlog.models import ContactEntry

UPCOMING_DAYS = 7


def client_contacts(*, client) -> QuerySet[ContactEntry]:
    return (
        ContactEntry.objects.filter(client=client)
        .select_related("staff", "follow_up_done_by")
        .order_by("-contacted_at", "-id")
    )


def open_follow_ups(*, staff: User | None = None) -> QuerySet[ContactEntry]:
    """Follow-ups planned and not yet done, of one staff member or (None) of everyone."""
    entries = ContactEntry.objects.filter(
        next_follow_up__isnull=False, follow_up_done_at__isnull=True
    )
    if staff is not None:
        entries = entries.filter(staff=staff)
    return entries


@dataclass(frozen=True)
class FollowUpList:
    today: dt.date
    overdue: list[ContactEntry]
    due_today: list[ContactEntry]
    upcoming: list[ContactEntry]
    overdue_count: int
    due_today_count: int
    upcoming_count: int


def follow_up_list(*, staff: User | None, limit: int = 100, upcoming: bool = True) -> FollowUpList:
    """Overdue, due-today and (optionally) next-week follow-ups. "Today" is the date in
    the active time zone, which the portal sets to the tenant's. Four queries at most,
    however many tasks there are; each list holds at most ``limit`` rows and the counts
    say how many there are in all."""
    today = timezone.localdate()
    horizon = today + dt.timedelta(days=UPCOMING_DAYS if upcoming else 0)
    tasks = open_follow_ups(staff=staff)
    counts = tasks.aggregate(
        overdue=Count("id", filter=Q(next_follow_up__lt=today)),
        today=Count("id", filter=Q(next_follow_up=today)),
        upcoming=Count("id", filter=Q(next_follow_up__gt=today, next_follow_up__lte=horizon)),
    )
    rows = tasks.select_related("client", "staff").order_by("next_follow_up", "contacted_at", "id")
    overdue = list(rows.filter(next_follow_up__lt=today)[:limit]) if counts["overdue"] else []
    due_today = list(rows.filter(next_follow_up=today)[:limit]) if counts["today"] else []
    later = (
        list(rows.filter(next_follow_up__gt=today, next_follow_up__lte=horizon)[:limit])
        if upcoming and counts["upcoming"]
        else []
    )
    return FollowUpList(
        today=today,
        overdue=overdue,
        due_today=due_today,
        upcoming=later,
        overdue_count=counts["overdue"],
        due_today_count=counts["today"],
        upcoming_count=counts["upcoming"] if upcoming else 0,
    )
