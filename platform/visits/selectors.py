from __future__ import annotations

from django.db.models import QuerySet

from visits.models import Visit


def client_visits(*, client) -> QuerySet[Visit]:
    """The client's visits, newest first, with their practitioner in the same query."""
    return (
        Visit.objects.filter(client=client)
        .select_related("practitioner")
        .order_by("-visited_on", "-id")
    )


def visits_on(*, day, practitioner=None, limit: int = 10) -> list[Visit]:
    """Visits of ``day`` (of ``practitioner`` when given), newest first, with client and
    practitioner in the same query; erased files are left out."""
    visits = Visit.objects.filter(visited_on=day, client__erased_at__isnull=True)
    if practitioner is not None:
        visits = visits.filter(practitioner=practitioner)
    return list(visits.select_related("client", "practitioner").order_by("-id")[:limit])
