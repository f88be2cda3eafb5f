from __future__ import annotations

from collections.abc import Iterable

from privacy.models import ConsentRecord

HISTORY_LIMIT = 100


def current_consents(client_ids: Iterable[int]) -> dict[int, dict[str, ConsentRecord]]:
    """The newest record of each purpose for each client, in one query:
    ``{client_id: {purpose: ConsentRecord}}``. A purpose never recorded is absent (no
    consent). Notifications check ``marketing_sms`` / ``marketing_email`` here."""
    ids = list({int(pk) for pk in client_ids})
    found: dict[int, dict[str, ConsentRecord]] = {pk: {} for pk in ids}
    if not ids:
        return found
    rows = (
        ConsentRecord.objects.filter(client_id__in=ids)
        .order_by("client_id", "purpose", "-recorded_at", "-id")
        .distinct("client_id", "purpose")
        .select_related("recorded_by")
    )
    for record in rows:
        found[record.client_id][record.purpose] = record
    return found


def consent_history(client_id: int, *, limit: int = HISTORY_LIMIT) -> list[ConsentRecord]:
    return list(
        ConsentRecord.objects.filter(client_id=client_id).select_related("recorded_by")[:limit]
    )
