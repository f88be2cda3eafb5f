from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Invitation, User


def open_invitations() -> QuerySet[Invitation]:
    """Invitations that can still be accepted: neither used, withdrawn nor expired."""
    return Invitation.objects.filter(
        accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )


def staff_choices(*, keep: int | None = None, among: QuerySet | None = None) -> QuerySet[User]:
    """Staff a record (visit, contact) can name: active accounts (or those of ``among``,
    e.g. the staff who perform services), by name, plus the one a record already names
    (``keep``) if they have left, so editing it does not lose them."""
    condition = Q(is_active=True) if among is None else Q(pk__in=among.values("pk"))
    if keep is not None:
        condition |= Q(pk=keep)
    return User.objects.filter(condition)
