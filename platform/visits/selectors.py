from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from visits.models import Visit


def client_visits(*, client) -> QuerySet[Visit]:
    """The client's visits, newest first, with their practitioner in the same query."""
    return (
        Visit.objects.filter(client=client)
        .select_related("practitioner")
        .order_by("-visited_on", "-id")
    )


def practitioner_choices(*, keep: int | None = None) -> QuerySet[User]:
    """Staff a visit can name: active accounts, by name, plus the one a visit already
    names (``keep``) if they have left, so editing an old visit does not lose them."""
    condition = Q(is_active=True)
    if keep is not None:
        condition |= Q(pk=keep)
    return User.objects.filter(condition).order_by("full_name", "email")
