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

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import connection, transaction

from audit.models import AuditEntry, ClientAuditKey

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


def record_change(
    *,
    action: str,
    actor,
    object_type: str,
    object_id,
    client_id: int | None,
    before: dict,
    after: dict,
    sensitive: Iterable[str] = (),
) -> AuditEntry | None:
    """Record a create (``before={}``), update or delete (``after={}``) of one row from
    snapshots of its fields: the changed fields, and old/new values of the non-sensitive
    ones. An update that changed nothing records nothing."""
    fields, changes = diff(before, after, sensitive=sensitive)
    if not fields and action == "update":
        return None
    return record(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=object_id,
        client_id=client_id,
        fields=fields,
        changes=changes,
    )


def note(msg: str, **args) -> str:
    """A note that reads in each viewer's language: ``msg`` is an English template marked
    with ``gettext_noop`` (``%(name)s`` placeholders), translated when shown
    (``audit.display.note_text``). Arguments must never be personal data."""
    return json.dumps({"msg": msg, "args": args}, ensure_ascii=False)


def actor_label(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return f"{user.get_full_name() or user.get_username()} <{user.get_username()}>"


SEALED = "sealed"


def seal(client_id: int, changes: dict) -> dict:
    """Old/new values of a client's entry, encrypted with that client's audit key (made
    on the client's first sealed entry)."""
    row, _created = ClientAuditKey.objects.get_or_create(
        client_id=client_id, defaults={"key": Fernet.generate_key().decode()}
    )
    token = Fernet(row.key.encode()).encrypt(
        json.dumps(changes, ensure_ascii=False, sort_keys=True).encode()
    )
    return {SEALED: token.decode()}


def changes_of(entry: AuditEntry) -> dict | None:
    """The entry's old/new values for display; None once the client was erased."""
    return changes_for([entry])[0]


def changes_for(entries: list[AuditEntry]) -> list[dict | None]:
    """``changes_of`` for a page of entries, with one query for all their clients' keys."""
    ids = {e.client_id for e in entries if e.client_id and SEALED in (e.changes or {})}
    keys = {
        row.client_id: Fernet(row.key.encode())
        for row in ClientAuditKey.objects.filter(client_id__in=ids)
    }
    out: list[dict | None] = []
    for entry in entries:
        sealed = (entry.changes or {}).get(SEALED)
        if sealed is None:
            out.append(entry.changes)
            continue
        fernet = keys.get(entry.client_id)
        try:
            out.append(json.loads(fernet.decrypt(sealed.encode())) if fernet else None)
        except InvalidToken:
            out.append(None)
    return out


def forget_client(client_id: int) -> None:
    """Destroy the key of a client's audit values (erasure). Entries stay, unreadable."""
    ClientAuditKey.objects.filter(client_id=client_id).delete()


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
    """Append one entry to the current schema's trail, chained to the newest one.
    A client's old/new values are sealed with that client's key (see ``seal``); ``note``
    must never carry personal data, it stays readable for good."""
    _lock()
    changes = _plain(changes or {})
    if changes and client_id is not None:
        changes = seal(client_id, changes)
    previous = AuditEntry.objects.order_by("-id").values_list("chain_hash", flat=True).first()
    entry = AuditEntry(
        actor_id=getattr(actor, "pk", None),
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        client_id=client_id,
        fields=list(fields),
        changes=changes,
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


def verify_chain() -> tuple[int, int | None, str]:
    """Walk the current schema's trail in order. Returns (entries checked, first broken
    entry id or None, reason)."""
    previous = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        if entry_digest(entry, previous) != entry.chain_hash:
            return checked, entry.pk, "altered, or an entry before it was removed"
        previous = entry.chain_hash
        checked += 1
    return checked, None, ""
