"""The outbox's rules: what a cause may write, when it may leave, and how a row is sent
exactly once.

A cause (a booking, a cancellation, a completed visit...) calls :func:`enqueue` inside its
own transaction; the row and its cause commit or roll back together, and the cause's
unique key makes a replayed cause find the row it already wrote. Once the transaction
commits, a row that is due is handed to Celery (``notifications.send``); the per-minute
``notifications.dispatch_due`` sends anything else that has come due.

Sending claims a row with one ``UPDATE … WHERE status = 'queued'``: a task delivered twice
finds nothing to claim the second time. A row left ``sending`` by a worker that died is
sent again only when its channel honours the idempotency key (the gateway recognises the
repeat); otherwise it is ``held`` for a person to decide (:func:`release_held`).

How a test sees a message sent: the send happens in the commit hook, so run the hooks
(``with django_capture_on_commit_callbacks(execute=True): book(...)``, or a
``transaction=True`` test). With ``NOTIFICATIONS_SEND_INLINE`` (on in
config.settings.test) the hook calls :func:`send_now` in the same process instead of
``notifications.send.delay``: email lands in ``django.core.mail.outbox`` (locmem
backend), a console SMS is printed (capsys) and the row reads ``sent``. A row due later
is sent by ``send_due()`` / the ``notifications.dispatch_due`` task once its
``send_after`` has passed (time_machine)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from notifications.models import (
    MARKETING_KINDS,
    STAFF_KINDS,
    Channel,
    Kind,
    Message,
    MessageEvent,
    NotificationSettings,
    Status,
)
from notifications.redaction import holds_secret, redacted

log = logging.getLogger(__name__)

# Kinds that go whatever the business switched off and whoever the client is: a code
# being typed in right now, a receipt asked for at the counter, staff mail.
ALWAYS_SENT = frozenset({Kind.PHONE_CODE, Kind.RECEIPT}) | STAFF_KINDS
# Kinds that ignore quiet hours: someone is waiting for them, or they answer what was
# just done (a booking, a move or a cancellation made now is confirmed now, as clients
# expect; the quiet hours hold what the business sends on its own: reminders, recalls,
# greetings, follow-ups, waiting-list offers).
ANSWERS = frozenset({Kind.CONFIRMATION, Kind.RESCHEDULE, Kind.CANCELLATION})
URGENT = frozenset({Kind.PHONE_CODE, Kind.RECEIPT}) | STAFF_KINDS | ANSWERS
# Backoff after a transient failure, by attempt; after the last the message has failed.
BACKOFF = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A row claimed longer ago than this has lost its worker.
STALE_AFTER = dt.timedelta(minutes=5)


def _zone():
    from scheduling.availability import tenant_zone

    return tenant_zone()


def _language(language: str | None, client) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    for candidate in (language, getattr(client, "language", ""), _tenant_language()):
        if candidate in codes:
            return candidate
    return codes[0]


def _tenant_language() -> str:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "language", "") or ""


def _channel_for(client, channel: str | None) -> str:
    if channel:
        return channel
    if client is None:
        return Channel.SMS
    preferred = client.preferred_channel
    if preferred == "email" and client.email:
        return Channel.EMAIL
    if preferred in ("sms", "phone", "wechat") and client.mobile:
        return Channel.SMS
    return Channel.SMS if client.mobile or not client.email else Channel.EMAIL


def _recipient_for(client, channel: str, recipient: str) -> str:
    if recipient or client is None:
        return recipient
    return client.email if channel == Channel.EMAIL else client.mobile


def _refusal(kind: str, channel: str, client, recipient: str) -> str:
    """Why this message may not go (translated), or "" when it may."""
    if kind in ALWAYS_SENT and client is None:
        return "" if recipient else _("There is no address to send it to.")
    if client is not None and client.erased_at is not None:
        return _("The client's personal data has been erased.")
    if not recipient:
        if channel == Channel.EMAIL:
            return _("The client has no email address.")
        return _("The client has no mobile number.")
    if kind in ALWAYS_SENT:
        return ""
    if client is not None and "do_not_contact" in (client.flags or []):
        return _("The client asked not to be contacted.")
    if kind in MARKETING_KINDS and (client is None or not _has_marketing_consent(client, channel)):
        return _("The client has not agreed to receive marketing messages by this channel.")
    return ""


def _has_marketing_consent(client, channel: str) -> bool:
    from privacy.models import Purpose
    from privacy.selectors import current_consents

    purpose = Purpose.MARKETING_EMAIL if channel == Channel.EMAIL else Purpose.MARKETING_SMS
    record = current_consents([client.pk]).get(client.pk, {}).get(purpose)
    return bool(record and record.granted)


def quiet_until(at: dt.datetime, rules: NotificationSettings) -> dt.datetime:
    """``at``, or the end of the quiet hours it falls in (tenant time; the window may
    cross midnight)."""
    zone = _zone()
    local = at.astimezone(zone)
    start, end = rules.quiet_start, rules.quiet_end
    t = local.time()
    if not in_quiet_hours(t, start, end):
        return at
    # A window across midnight entered in the evening ends the next morning.
    end_day = local.date() + dt.timedelta(days=1) if start > end and t >= start else local.date()
    return dt.datetime.combine(end_day, end).replace(tzinfo=zone).astimezone(dt.UTC)


def in_quiet_hours(t: dt.time, start: dt.time, end: dt.time) -> bool:
    """Whether the local time ``t`` is inside the quiet hours (which may cross midnight;
    equal ends mean none)."""
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def _event(message: Message, status: str, note: str = "", actor=None) -> None:
    MessageEvent.objects.create(message=message, status=status, note=note, actor=actor)


def enqueue(
    *,
    kind: str,
    key: str,
    context: dict | Callable[[], dict],
    client=None,
    recipient: str = "",
    channel: str | None = None,
    send_after: dt.datetime | None = None,
    appointment=None,
    visit=None,
    actor=None,
    language: str | None = None,
    meta: dict | None = None,
) -> Message | None:
    """Write one outgoing message for ``kind`` in the caller's transaction (see the module
    docstring). Returns the row (the existing one when ``key`` was already written), or
    None when the business does not send this kind. A message that may not go (no
    address, do not contact, no marketing consent) is written ``cancelled`` with the
    reason, so the log says why nothing left."""
    from notifications import templates

    rules = NotificationSettings.load()
    if kind not in ALWAYS_SENT and kind not in rules.enabled_kinds:
        return None
    channel = _channel_for(client, channel)
    full_key = f"{key}:{channel}"
    existing = Message.objects.filter(idempotency_key=full_key).first()
    if existing is not None:
        return existing
    language = _language(language, client)
    recipient = _recipient_for(client, channel, recipient)
    now = timezone.now()
    due = max(send_after or now, now)
    refusal = _refusal(kind, channel, client, recipient)
    if not refusal and kind not in URGENT:
        due = quiet_until(due, rules)
        starts_at = getattr(appointment, "starts_at", None)
        if kind == Kind.REMINDER and starts_at is not None and due >= starts_at:
            refusal = _("Quiet hours last until after the appointment.")
    with override(language):
        # A callable context is built in the message's language (dates, lists).
        context = dict(context() if callable(context) else context)
        if client is not None:
            from notifications import links

            context.setdefault("opt_out_link", links.opt_out_url(client, channel))
        rendered = templates.render(kind=kind, channel=channel, language=language, context=context)
    message = Message(
        kind=kind,
        channel=channel,
        status=Status.CANCELLED if refusal else Status.QUEUED,
        idempotency_key=full_key,
        client=client,
        appointment=appointment,
        visit=visit,
        recipient=recipient or "",
        language=language,
        subject=rendered.subject,
        body=rendered.body,
        segments=rendered.segments if channel == Channel.SMS else 0,
        marketing=kind in MARKETING_KINDS,
        send_after=due,
        error=refusal,
        finished_at=now if refusal else None,
        meta=meta or {},
        created_by=actor,
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Another transaction wrote the same cause first.
        return Message.objects.get(idempotency_key=full_key)
    _event(message, Status.QUEUED, actor=actor)
    if refusal:
        _event(message, Status.CANCELLED, refusal)
    elif due <= now:
        _after_commit(message.pk)
    return message


def _after_commit(pk: int) -> None:
    transaction.on_commit(lambda: dispatch(pk))


def dispatch(pk: int) -> None:
    """Hand a due row to a worker (or, with NOTIFICATIONS_SEND_INLINE, send it here)."""
    if getattr(settings, "NOTIFICATIONS_SEND_INLINE", False):
        send_now(pk)
        return
    from notifications.tasks import send

    try:
        send.delay(pk)
    except Exception:  # the broker is down: the per-minute job sends it
        log.warning("could not queue message %s; dispatch_due will send it", pk, exc_info=True)


def _sms_segments_this_month() -> int:
    from notifications.selectors import sms_segments_this_month

    return sms_segments_this_month()


# Far from the plan's SMS allowance, a batch counts the month's text parts once and keeps
# the count itself; with fewer than this many parts left it counts again for every text.
SMS_RECOUNT_MARGIN = 100


class SmsAllowance:
    """The month's SMS allowance as one batch of sends sees it (one per ``send_now`` when
    none is given). The plan's cap is read once, at the first text, and nothing is counted
    when there is none (billing off, an unlimited plan). The month's parts are counted from
    the database at the first text, then kept by adding what the batch lets go — and
    counted again for every text once fewer than SMS_RECOUNT_MARGIN are left, so texts
    that other workers send at the same time count where the limit is near."""

    def __init__(self, tenant):
        self.tenant = tenant if tenant is not None and getattr(tenant, "pk", None) else None
        self.cap: int | None = None
        self.read = False
        self.used: int | None = None

    def refusal(self, message: Message) -> str:
        """The plan's refusal of ``message`` (claimed, so counted as sending), translated;
        or "" when it may go, and then its parts are added to the count."""
        from billing.limits import check_sms, sms_allowance

        if self.tenant is None:
            return ""
        if not self.read:
            self.cap, self.read = sms_allowance(self.tenant), True
        if self.cap is None:
            return ""
        parts = message.segments or 1
        if self.used is None or self.cap - self.used < SMS_RECOUNT_MARGIN:
            self.used = max(_sms_segments_this_month() - message.segments, 0)
        if self.used + parts > self.cap:
            try:
                check_sms(self.tenant, self.used, parts)
            except ValidationError as refused:
                return " ".join(refused.messages)
        self.used += parts
        return ""


def _locked() -> bool:
    tenant = getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "schema_name", "") == settings.PUBLIC_SCHEMA_NAME:
        return False
    from billing.access import is_billing_locked

    return is_billing_locked(tenant)


def send_now(
    pk: int, *, unlocked: bool = False, allowance: SmsAllowance | None = None
) -> Message | None:
    """Claim the row and send it; None when there was nothing to claim (already claimed,
    sent, cancelled or not yet due) or the business may not send now. ``unlocked``: the
    caller (send_due's batch) has just checked the billing lock; ``allowance``: the
    batch's view of the month's SMS allowance."""
    if not unlocked and _locked():
        return None
    token = uuid.uuid4().hex
    message = _claim(pk, token)
    if message is None:
        return None
    return _deliver(message, token, allowance)


# The claim, its "sending" event ("Attempt n") and the claimed row read back, in one
# statement: the send path's costliest parts are its round trips and its waits for the disk.
_CLAIM_SQL = """
WITH claimed AS (
    UPDATE {message} SET status = %s, claim_token = %s, claimed_at = %s,
        attempts = attempts + 1
    WHERE id = %s AND status = %s AND send_after <= %s
    RETURNING *
), noted AS (
    INSERT INTO {event} (message_id, at, status, note, actor_id)
    SELECT id, %s, %s, replace(%s, %s, attempts::text), NULL FROM claimed
)
SELECT * FROM claimed
"""


def _claim(pk: int, token: str) -> Message | None:
    """Claim a queued, due row: the claimed row, or None when there was nothing to claim
    (a second delivery of the same task, a row not due or no longer queued).

    The claim of a row whose channel honours the idempotency key commits without waiting
    for the disk (:func:`_without_waiting_for_disk`): were PostgreSQL to lose it in a
    crash, the row would be queued again and sent again with the same key, which the
    gateway recognises. Any other claim waits: it must be on disk before the send."""
    from notifications.channels import backend_for

    now = timezone.now()
    sql = _CLAIM_SQL.format(
        message=connection.ops.quote_name(Message._meta.db_table),
        event=connection.ops.quote_name(MessageEvent._meta.db_table),
    )
    note = _("Attempt %(n)d")
    params = [Status.SENDING, token, now, pk, Status.QUEUED, now]
    params += [now, Status.SENDING, note, "%(n)d"]
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        message = next(iter(Message.objects.raw(sql, params)), None)
        if message is not None and backend_for(message.channel).supports_idempotency:
            _without_waiting_for_disk(outermost)
    return message


def _without_waiting_for_disk(outermost: bool) -> None:
    """Let the current transaction, when it is the outermost one, commit without waiting
    for its write to reach the disk (``synchronous_commit`` off for it alone; PostgreSQL
    may lose the last fraction of a second of such commits in a crash, never part of one)."""
    if outermost:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


@contextlib.contextmanager
def _recording():
    """The transaction that records what became of a claimed row. It commits without
    waiting for the disk: a record lost in a crash would leave the row ``sending`` under
    its claim, recovered like a row whose worker died — sent again with the same key, or
    held — so nothing can leave twice."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _without_waiting_for_disk(outermost)
        yield


def _finish(message: Message, token: str, status: str, note: str = "", **fields) -> Message:
    now = timezone.now()
    values = {"status": status, **fields}
    if status in (Status.SENT, Status.DELIVERED):
        values.setdefault("sent_at", now)
        if holds_secret(message.kind):
            values["body"] = redacted(message.body)
    if status in (Status.DELIVERED, Status.FAILED, Status.CANCELLED):
        values.setdefault("finished_at", now)
    with _recording():
        updated = Message.objects.filter(pk=message.pk, claim_token=token).update(**values)
        if updated:
            for name, value in values.items():
                setattr(message, name, value)
            _event(message, status, note)
    return message


def _deliver(message: Message, token: str, allowance: SmsAllowance | None = None) -> Message:
    from notifications.channels import PermanentError, TransientError, backend_for

    if message.channel == Channel.SMS:
        allowance = allowance or SmsAllowance(getattr(connection, "tenant", None))
        refusal = allowance.refusal(message)
        if refusal:
            return _finish(message, token, Status.FAILED, refusal, error=refusal)
    backend = backend_for(message.channel)
    try:
        with override(message.language):
            result = backend.send(message, idempotency_key=message.idempotency_key)
    except PermanentError as error:
        return _finish(message, token, Status.FAILED, str(error), error=str(error))
    except Exception as error:  # TransientError, or anything unforeseen: try again later
        text = str(error) or error.__class__.__name__
        if not isinstance(error, TransientError):
            log.exception("message %s: unexpected error from %s", message.pk, backend.name)
        if message.attempts >= MAX_ATTEMPTS:
            return _finish(message, token, Status.FAILED, text, error=text)
        retry_at = timezone.now() + BACKOFF[message.attempts - 1]
        return _finish(
            message,
            token,
            Status.QUEUED,
            _("%(error)s — trying again at %(time)s")
            % {"error": text, "time": retry_at.astimezone(_zone()).strftime("%H:%M:%S")},
            error=text,
            send_after=retry_at,
            claim_token="",
        )
    status = Status.DELIVERED if result.status == Status.DELIVERED else Status.SENT
    fields = {"provider": result.provider, "provider_id": result.provider_id, "error": ""}
    if status == Status.DELIVERED:
        fields["delivered_at"] = timezone.now()
    return _finish(message, token, status, **fields)


def recover_stale(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Rows left ``sending`` by a worker that died: resent with the same idempotency key
    where the channel honours it, otherwise held for a person. Returns (resent, held)."""
    from notifications.channels import backend_for

    now = now or timezone.now()
    resent = held = 0
    stale = Message.objects.filter(status=Status.SENDING, claimed_at__lt=now - STALE_AFTER)
    for message in stale.only("pk", "channel", "claim_token"):
        old = message.claim_token
        if backend_for(message.channel).supports_idempotency:
            token = uuid.uuid4().hex
            if Message.objects.filter(pk=message.pk, claim_token=old).update(
                claim_token=token, claimed_at=now, attempts=F("attempts") + 1
            ):
                fresh = Message.objects.get(pk=message.pk)
                _event(fresh, Status.SENDING, _("Its worker stopped; sent again with the same key"))
                _deliver(fresh, token)
                resent += 1
        else:
            if Message.objects.filter(pk=message.pk, claim_token=old).update(
                status=Status.HELD, claim_token=""
            ):
                _event(
                    message,
                    Status.HELD,
                    _(
                        "Its worker stopped while sending; it may or may not have left. "
                        "Someone must decide whether to send it again."
                    ),
                )
                held += 1
    return resent, held


def send_due(*, limit: int = 500) -> int:
    """Send the queued rows that have come due; returns how many were sent or failed."""
    if _locked():
        return 0
    ids = list(
        Message.objects.filter(status=Status.QUEUED, send_after__lte=timezone.now())
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    allowance = SmsAllowance(getattr(connection, "tenant", None))
    done = 0
    for pk in ids:
        if send_now(pk, unlocked=True, allowance=allowance) is not None:
            done += 1
    return done


def _require(actor, capability) -> None:
    if actor is None or not actor.can(capability):
        raise PermissionDenied(_("You may not send messages again."))


@transaction.atomic
def cancel_for(*, appointment, kinds=None, reason: str = "", actor=None) -> int:
    """Cancel the appointment's messages that have not left (queued or held)."""
    rows = Message.objects.select_for_update().filter(
        appointment=appointment, status__in=(Status.QUEUED, Status.HELD)
    )
    if kinds:
        rows = rows.filter(kind__in=list(kinds))
    note = reason or _("The appointment changed.")
    count = 0
    for message in rows:
        message.status = Status.CANCELLED
        message.finished_at = timezone.now()
        message.claim_token = ""
        message.save(update_fields=["status", "finished_at", "claim_token"])
        _event(message, Status.CANCELLED, note, actor)
        count += 1
    return count


RESENDABLE = (Status.FAILED, Status.CANCELLED, Status.SENT, Status.DELIVERED)


@transaction.atomic
def resend(*, message: Message, actor) -> Message:
    """A new row repeating ``message`` now (a failed reminder, a lost text)."""
    from accounts.roles import Capability

    _require(actor, Capability.MANAGE_SCHEDULE)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if holds_secret(message.kind):
        raise ValidationError(_("A one-time code or link is not sent again; ask for a new one."))
    if message.status not in RESENDABLE:
        raise ValidationError(_("Only a message that has left, failed or was cancelled is resent."))
    count = message.resends.count() + 1
    copy = Message.objects.create(
        kind=message.kind,
        channel=message.channel,
        idempotency_key=f"{message.idempotency_key}:resend:{count}",
        client=message.client,
        appointment=message.appointment,
        visit=message.visit,
        recipient=message.recipient,
        language=message.language,
        subject=message.subject,
        body=message.body,
        segments=message.segments,
        marketing=message.marketing,
        meta=message.meta,
        created_by=actor,
        resend_of=message,
    )
    refusal = _refusal(message.kind, message.channel, message.client, message.recipient)
    if refusal:
        raise ValidationError(refusal)
    _event(copy, Status.QUEUED, _("Resent by %(name)s") % {"name": actor}, actor)
    _after_commit(copy.pk)
    return copy


@transaction.atomic
def release_held(*, message: Message, actor, send: bool) -> Message:
    """A person decides about a held message: send it again, or give it up."""
    from accounts.roles import Capability

    _require(actor, Capability.MANAGE_SCHEDULE)
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != Status.HELD:
        raise ValidationError(_("This message is not waiting for a decision."))
    if send:
        message.status = Status.QUEUED
        message.send_after = timezone.now()
        message.save(update_fields=["status", "send_after"])
        _event(message, Status.QUEUED, _("Sent again by decision"), actor)
        _after_commit(message.pk)
    else:
        message.status = Status.CANCELLED
        message.finished_at = timezone.now()
        message.save(update_fields=["status", "finished_at"])
        _event(message, Status.CANCELLED, _("Not sent again, by decision"), actor)
    return message


def messages_erase(client) -> None:
    """Erasure: what was sent to the client goes (address, subject, text); the rows stay
    so the month's counts and the plan's SMS parts still add up. Rows that have not left
    are cancelled."""
    rows = Message.objects.filter(client=client)
    now = timezone.now()
    for message in rows.filter(status__in=(Status.QUEUED, Status.HELD)):
        message.status = Status.CANCELLED
        message.finished_at = now
        message.save(update_fields=["status", "finished_at"])
        _event(message, Status.CANCELLED, _("The client's personal data has been erased."))
    rows.update(recipient="", subject="", body="", meta={})
