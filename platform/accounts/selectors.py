from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Invitation


def open_invitations() -> QuerySet[Invitation]:
    """Invitations that can still be accepted: neither used, withdrawn nor expired."""
    return Invitation.objects.filter(
        accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )
