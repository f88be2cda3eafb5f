"""Reading a client's files."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from filestore.models import StoredFile


def files_for(client, purpose: str | Iterable[str]) -> QuerySet[StoredFile]:
    """``client``'s files of ``purpose`` (one key, or several), not erased, the newest
    first (by the date taken, then by upload)."""
    purposes = [purpose] if isinstance(purpose, str) else list(purpose)
    return StoredFile.objects.filter(
        client=client, purpose__in=purposes, erased_at__isnull=True
    ).order_by("-taken_on", "-uploaded_at")
