"""The file store's part of a client's export and erasure (clients.related)."""

from __future__ import annotations

from accounts.roles import capability_from_code
from filestore.models import StoredFile


def _may_open(user, code: str) -> bool:
    if user is None:
        return True
    try:
        return user.can(capability_from_code(code))
    except ValueError:
        return False


def export(client, user=None) -> list[dict]:
    rows = StoredFile.objects.filter(client=client, erased_at__isnull=True).order_by("uploaded_at")
    return [
        {
            "id": str(row.pk),
            "purpose": row.purpose,
            "kind": row.kind,
            "content_type": row.content_type,
            "size": row.size,
            "sha256": row.sha256,
            "taken_on": row.taken_on.isoformat() if row.taken_on else None,
            "uploaded_at": row.uploaded_at.isoformat(),
            "original_name": row.original_name,
        }
        for row in rows
        if _may_open(user, row.capability)
    ]


def erase(client) -> None:
    from filestore.services import erase_client_files

    erase_client_files(client)
