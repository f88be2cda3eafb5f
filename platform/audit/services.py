"""Writing the audit trail. ``record`` is the only way in. It takes no lock: audited
writes of one business run side by side. The chain is made after commit by ``seal``,
which holds a short per-schema lock while it chains whatever committed entries have no
seal yet; ``verify_chain`` (and ``manage.py audit_seal``) seal any left behind by a
process that died between its commit and its sealer."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection, transaction
from django.db.models import Subquery
from django.utils import timezone
from django_tenants.utils import schema_context

from audit.models import AuditEntry, AuditSeal, ClientAuditKey

GENESIS = "0" * 64
# Any fixed number works: the lock lives in the current database and, because every
# tenant has its own table, we key it by schema as well (see _seal_lock).
_LOCK_NAMESPACE = 7_301_003
SEAL_BATCH = 2000
# How long a sealer waits for the lock before it leaves its entries to the next sealer
# (or the periodic audit.seal task) rather than hold up its request.
SEAL_PATIENCE_SECONDS = 5.0


def _key() -> bytes:
    if not settings.AUDIT_CHAIN_KEY:
        raise ImproperlyConfigured("Set the AUDIT_CHAIN_KEY setting.")
    return settings.AUDIT_CHAIN_KEY.encode()


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


def _seal_lock(*, own_transaction: bool) -> None:
    """Take the per-schema sealer lock, held to the end of the short sealing transaction,
    waiting at most SEAL_PATIENCE_SECONDS for it (then OperationalError). When that
    transaction is the sealer's own, it also skips waiting for its commit to reach the
    disk: a seal can always be made again from the entries, which are durable, so a seal
    lost in a crash only means the next sealer chains those entries, and the lock is never
    held across a disk flush."""
    settings_sql = "set_config('lock_timeout', %s, true)"
    if own_transaction:
        settings_sql += ", set_config('synchronous_commit', 'off', true)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {settings_sql}, pg_advisory_xact_lock(%s, hashtext(current_schema()))",
            [f"{int(SEAL_PATIENCE_SECONDS * 1000)}ms", _LOCK_NAMESPACE],
        )


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def diff(before: dict, after: dict, *, sensitive: Iterable[str] = ()) -> tuple[list, dict]:
    """Changed field names, and old/new values of the non-sensitive ones. No value and an
    empty one are the same (a new file's blank fields are not changes)."""
    hidden = set(sensitive)
    fields: list[str] = []
    changes: dict = {}
    for name in sorted(set(before) | set(after)):
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old == new or (_empty(old) and _empty(new)):
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


def seal_values(client_id: int, changes: dict) -> dict:
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


class _Sealer:
    """The after-commit hook of one transaction's entries: one per transaction and schema,
    however many entries it wrote (an import writes thousands)."""

    def __init__(self, schema: str, since: int):
        self.schema = schema
        self.since = since

    def __call__(self) -> None:
        if connection.schema_name == self.schema:
            seal(since=self.since)
            return
        with schema_context(self.schema):
            seal(since=self.since)


def _seal_after_commit(entry_id: int) -> None:
    schema = connection.schema_name
    for _sids, func, _robust in connection.run_on_commit:
        if isinstance(func, _Sealer) and func.schema == schema:
            func.since = min(func.since, entry_id)
            return
    # robust: the write is committed by then; a failed seal is logged and the next
    # sealer (or audit_seal) chains the entry.
    transaction.on_commit(_Sealer(schema, entry_id), robust=True)


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
    """Append one entry to the current schema's trail; it is chained once its transaction
    commits (``seal``). A client's old/new values are sealed with that client's key (see
    ``seal_values``); ``note`` must never carry personal data, it stays readable for good.
    Takes no lock beyond the row it inserts."""
    changes = _plain(changes or {})
    if changes and client_id is not None:
        changes = seal_values(client_id, changes)
    entry = AuditEntry.objects.create(
        actor_id=getattr(actor, "pk", None),
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        client_id=client_id,
        fields=list(fields),
        changes=changes,
        note=note[:300],
    )
    _seal_after_commit(entry.pk)
    return entry


def record_view(
    *, action: str, actor, client_id: int, object_type: str = "client", object_id=None
) -> bool:
    """Record that ``actor`` looked at a client's health data or full ID, unless the same
    user's same look at the same client is already recorded within
    AUDIT_VIEW_WINDOW_SECONDS (reloading a profile and clicking through its tabs is one
    look). With ``object_id`` the look is at that one object (a stored file): each object
    looked at gets its own entry. True when recorded."""
    since = timezone.now() - timedelta(seconds=settings.AUDIT_VIEW_WINDOW_SECONDS)
    seen = AuditEntry.objects.filter(
        client_id=client_id, actor_id=getattr(actor, "pk", None), action=action, at__gte=since
    )
    if object_id is not None:
        seen = seen.filter(object_type=object_type, object_id=str(object_id))
    if seen.exists():
        return False
    record(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=client_id if object_id is None else object_id,
        client_id=client_id,
    )
    return True


def _unsealed(since: int):
    done = AuditSeal.objects.filter(entry_id__gte=since).values("entry_id")
    return AuditEntry.objects.filter(id__gte=since).exclude(id__in=done)


def seal(*, since: int = 0) -> int:
    """Chain every committed entry from id ``since`` on that has no seal yet, in id order,
    after the newest seal; returns how many this call sealed. The lock is held for one
    read, one insert and a commit that does not wait for the disk; a sealer that waited
    for it usually finds that the one before took its entries too (busy moments seal in
    batches). One that cannot get the lock in time leaves its entries to the next sealer
    (or the periodic audit.seal task) rather than hold up its request."""
    sealed = 0
    own_transaction = not connection.in_atomic_block
    while True:
        try:
            with transaction.atomic():
                _seal_lock(own_transaction=own_transaction)
                batch = _seal_batch(since)
        except OperationalError:
            return sealed
        sealed += len(batch)
        if len(batch) < SEAL_BATCH:
            return sealed
        since = batch[-1].pk + 1


def _seal_batch(since: int) -> list[AuditEntry]:
    """Under the sealer lock: chain the next unsealed entries after the newest seal. Read
    after taking the lock, so it sees every seal written before; the chain's head comes
    in the same round trip."""
    newest = AuditSeal.objects.order_by("-position")
    batch = list(
        _unsealed(since)
        .annotate(
            head_position=Subquery(newest.values("position")[:1]),
            head_hash=Subquery(newest.values("chain_hash")[:1]),
        )
        .order_by("id")[:SEAL_BATCH]
    )
    if not batch:
        return batch
    position = batch[0].head_position or 0
    previous = batch[0].head_hash or GENESIS
    seals = []
    for entry in batch:
        position += 1
        previous = entry_digest(entry, previous)
        seals.append(AuditSeal(position=position, entry_id=entry.pk, chain_hash=previous))
    AuditSeal.objects.bulk_create(seals)
    return batch


def verify_chain() -> tuple[int, int | None, str]:
    """Seal any committed entries still waiting, then walk the current schema's chain in
    seal order. Returns (entries checked, first broken entry id or None, reason)."""
    seal()
    previous = GENESIS
    checked = 0
    expected = 1
    seals = AuditSeal.objects.order_by("position").values_list("position", "entry_id", "chain_hash")
    for chunk in _chunks(seals.iterator(chunk_size=SEAL_BATCH), SEAL_BATCH):
        entries = AuditEntry.objects.in_bulk([entry_id for _p, entry_id, _h in chunk])
        for position, entry_id, chain_hash in chunk:
            if position != expected:
                return checked, entry_id, "a seal before this entry was removed"
            entry = entries.get(entry_id)
            if entry is None:
                return checked, entry_id, "removed"
            if entry_digest(entry, previous) != chain_hash:
                return checked, entry_id, "altered or moved, or an entry before it was removed"
            previous = chain_hash
            checked += 1
            expected += 1
    return checked, None, ""


def _chunks(items, size: int):
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
