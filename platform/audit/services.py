"""Writing the audit trail. ``record`` is the only way in: it serialises writers with a
transaction-scoped advisory lock (per schema), reads the newest row's hash and chains the
new row to it, so concurrent writers cannot fork the chain."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction

from audit.models import AuditEntry

GENESIS = "0" * 64
# Any fixed number works: the lock lives in the current database and, because every
# tenant has its own table, we key it by schema as well (see _lock).
_LOCK_NAMESPACE = 7_301_003


def _key() -> bytes:
    return (settings.AUDIT_CHAIN_KEY or f"audit-chain:{settings.SECRET_KEY}").encode()


def _plain(value):
    """JSON-safe, stable rendering of a field value for ``changes``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def entry_digest(entry: AuditEntry, previous_hash: str) -> str:
    """The keyed hash of one entry's content chained to the previous entry's hash."""
    payload = json.dumps(
        [
            entry.pk,
            entry.at.isoformat(),
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.client_id,
            list(entry.fields),
            entry.changes,
            entry.note,
            previous_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [_LOCK_NAMESPACE]
        )


def diff(before: dict, after: dict, *, sensitive: Iterable[str] = ()) -> tuple[list, dict]:
    """Changed field names, and old/new values of the non-sensitive ones."""
    hidden = set(sensitive)
    fields: list[str] = []
    changes: dict = {}
    for name in sorted(set(before) | set(after)):
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old == new:
            continue
        fields.append(name)
        if name not in hidden:
            changes[name] = [old, new]
    return fields, changes


def actor_label(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return f"{user.get_full_name() or user.get_username()} <{user.get_username()}>"


@transaction.atomic
def record(
    *,
    action: str,
    actor=None,
    object_type: str,
    object_id="",
    client_id: int | None = None,
    fields: Iterable[str] = (),
    changes: dict | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one entry to the current schema's trail, chained to the newest one."""
    _lock()
    previous = AuditEntry.objects.order_by("-id").values_list("chain_hash", flat=True).first()
    entry = AuditEntry(
        actor_id=getattr(actor, "pk", None),
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        client_id=client_id,
        fields=list(fields),
        changes=_plain(changes or {}),
        note=note[:300],
        chain_hash="",
    )
    # The id is part of the hash, so take it from the sequence first.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [AuditEntry._meta.db_table]
        )
        entry.pk = cursor.fetchone()[0]
    entry.chain_hash = entry_digest(entry, previous or GENESIS)
    entry.save(force_insert=True)
    return entry
