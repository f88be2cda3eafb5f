"""Reusable reads of the scheduling tables. Each part keeps its functions together under
its own heading."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from scheduling.models import Resource, Service, ServiceCategory

# ---------- set-up: who and what can be booked ----------


def bookable_staff() -> QuerySet[User]:
    """Active staff who perform at least one offered service, by name: the people a
    booking (and a visit's practitioner) can name."""
    return (
        User.objects.filter(is_active=True, services_performed__active=True)
        .distinct()
        .order_by("full_name", "email")
    )


def _with_people() -> QuerySet[Service]:
    return Service.objects.select_related("category").prefetch_related(
        Prefetch(
            "staff", queryset=User.objects.filter(is_active=True).order_by("full_name", "email")
        ),
        Prefetch("resources", queryset=Resource.objects.filter(active=True)),
    )


def services_for_booking(*, online: bool) -> QuerySet[Service]:
    """Offered services someone active performs, in menu order; ``online``: only those
    clients may book themselves."""
    services = (
        _with_people()
        .filter(active=True, staff__is_active=True)
        .distinct()
        .order_by("category__order", "category__name", "order", "name")
    )
    if online:
        services = services.filter(online_bookable=True)
    return services


@dataclass
class MenuGroup:
    category: ServiceCategory | None  # None: services in no category
    services: list[Service] = field(default_factory=list)


def service_menu(*, include_retired: bool = False) -> list[MenuGroup]:
    """The service menu grouped by category in the categories' order (services in no
    category last), with performers and resources, in three queries."""
    services = _with_people().order_by("order", "name")
    if not include_retired:
        services = services.filter(active=True)
    groups = {category.pk: MenuGroup(category) for category in ServiceCategory.objects.all()}
    loose = MenuGroup(None)
    for service in services:
        groups.get(service.category_id, loose).services.append(service)
    menu = [group for group in groups.values() if group.services]
    if loose.services:
        menu.append(loose)
    return menu
