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
