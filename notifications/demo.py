"""A message history for the demo businesses (``seed_demo``), so the message log is not
empty on ``make run``: the demo week is booked with the booking signals muted, so no cause
wrote any message.

The rows are written directly, with their events, and nothing is sent: for a few of the
week's appointments a confirmation (delivered) and a 24-hour reminder (delivered, or sent
with no delivery report yet), one reminder that failed after its retries (the gateway
could not be reached), one confirmation held after its worker stopped, a post-visit
follow-up queued for later and a birthday greeting cancelled for want of marketing
consent. Each text is the real wording (``notifications.templates.render`` with the
``notifications.context`` builders, in the message's language, as ``outbox.enqueue``
renders it); each key is the real cause's key (``notifications.causes``,
``notifications.tasks.reminder_key``), so a real send later finds the row and never
repeats it. Every timestamp is in the past, before the appointment it is about; the
follow-up's due time alone is ahead (the worker sends it then, as any queued row).

Skipped once the business has any confirmation or reminder, so a second run adds
nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import context, outbox, templates
from notifications.models import (
    MARKETING_KINDS,
    Channel,
    Kind,
    Message,
    MessageEvent,
    NotificationSettings,
    Status,
)
from notifications.tasks import reminder_key

PROVIDER = "console"


def _provider_id(key: str) -> str:
    # As the console backend derives it.
    return "console-" + hashlib.sha256(key.encode()).hexdigest()[:16]


class _Writer:
    def __init__(self, rules: NotificationSettings):
        self.rules = rules
        self.written = 0
        # The notes and errors in the business's language, the texts in the client's.
        self.staff_language = outbox._language(outbox._tenant_language(), None)

    def message(
        self,
        *,
        kind: str,
        key: str,
        build,
        client,
        at: dt.datetime,
        appointment=None,
        visit=None,
        meta=None,
    ) -> Message | None:
        """The row for ``key`` on the client's channel, queued at ``at``; None when the
        key is taken or the client has no mobile phone."""
        if client is None or not client.mobile:
            return None
        channel = Channel.SMS
        full_key = f"{key}:{channel}"
        if Message.objects.filter(idempotency_key=full_key).exists():
            return None
        language = outbox._language(None, client)
        with translation.override(language):
            values = dict(build())
            # With the opt-out link even when refused, so the log reads the whole text.
            from notifications import links

            values.setdefault("opt_out_link", links.opt_out_url(client, channel))
            rendered = templates.render(
                kind=kind, channel=channel, language=language, context=values
            )
        row = Message.objects.create(
            kind=kind,
            channel=channel,
            status=Status.QUEUED,
            idempotency_key=full_key,
            client=client,
            appointment=appointment,
            visit=visit,
            recipient=client.mobile,
            language=language,
            body=rendered.body,
            segments=rendered.segments,
            marketing=kind in MARKETING_KINDS,
            send_after=at,
            meta=meta or {},
            created_at=at,
        )
        self.written += 1
        self.event(row, Status.QUEUED, at)
        return row

    @staticmethod
    def event(row: Message, status: str, at: dt.datetime, note: str = "") -> None:
        MessageEvent.objects.create(message=row, status=status, at=at, note=note)

    def attempt(self, row: Message, at: dt.datetime) -> None:
        row.attempts += 1
        with translation.override(self.staff_language):
            note = _("Attempt %(n)d") % {"n": row.attempts}
        self.event(row, Status.SENDING, at, note)

    def sent(self, row: Message, at: dt.datetime, *, delivered: bool) -> None:
        """Claimed at ``at``, taken by the gateway a second later, and (``delivered``)
        its delivery report half a minute after."""
        self.attempt(row, at)
        row.sent_at = at + dt.timedelta(seconds=1)
        row.provider, row.provider_id = PROVIDER, _provider_id(row.idempotency_key)
        row.claimed_at = at
        row.status = Status.SENT
        self.event(row, Status.SENT, row.sent_at)
        if delivered:
            row.status = Status.DELIVERED
            row.delivered_at = row.finished_at = row.sent_at + dt.timedelta(seconds=30)
            self.event(row, Status.DELIVERED, row.delivered_at)
        row.save()

    def failed(self, row: Message, at: dt.datetime) -> None:
        """The gateway was busy at every attempt (the outbox's backoff between them);
        then it failed."""
        with translation.override(self.staff_language):
            error = _("The SMS gateway is busy (HTTP %(status)s); trying again later.") % {
                "status": 503
            }
            when = at
            for wait in (*outbox.BACKOFF, None):
                self.attempt(row, when)
                row.claimed_at = when
                if wait is None:
                    break
                retry = when + dt.timedelta(seconds=10) + wait
                note = _("%(error)s — trying again at %(time)s") % {
                    "error": error,
                    "time": retry.astimezone(outbox._zone()).strftime("%H:%M:%S"),
                }
                self.event(row, Status.QUEUED, when + dt.timedelta(seconds=10), note)
                when = retry
        row.status, row.error = Status.FAILED, error
        row.finished_at = when + dt.timedelta(seconds=10)
        row.send_after = when
        self.event(row, Status.FAILED, row.finished_at, error)
        row.save()

    def held(self, row: Message, at: dt.datetime) -> None:
        self.attempt(row, at)
        row.status = Status.HELD
        with translation.override(self.staff_language):
            note = _(
                "Its worker stopped while sending; it may or may not have left. "
                "Someone must decide whether to send it again."
            )
        self.event(row, Status.HELD, at + outbox.STALE_AFTER + dt.timedelta(minutes=1), note)
        row.save()

    def cancelled(self, row: Message, at: dt.datetime, reason: str) -> None:
        row.status, row.error, row.finished_at = Status.CANCELLED, reason, at
        self.event(row, Status.CANCELLED, at, reason)
        row.save()


def _daytime(at: dt.datetime) -> dt.datetime:
    """``at``, or the evening before when it falls in the night (a booking taken at the
    desk or on the phone), so the demo's bookings are not made at 3 a.m."""
    local = at.astimezone(outbox._zone())
    if local.hour < 8:
        local = (local - dt.timedelta(days=1)).replace(hour=17)
    elif local.hour >= 20:
        local = local.replace(hour=17)
    return local.astimezone(dt.UTC)


def _reminded_at(appointment, rules, hours: int = 24) -> dt.datetime:
    return outbox.quiet_until(appointment.starts_at - dt.timedelta(hours=hours), rules)


def seed_messages() -> int:
    """Write the demo business's message history (see the module's docstring); returns
    how many messages were written. Run with the business as the connection's tenant."""
    from scheduling.models import Appointment

    if Message.objects.filter(kind__in=(Kind.CONFIRMATION, Kind.REMINDER)).exists():
        return 0
    rules = NotificationSettings.load()
    now = timezone.now()
    week = list(
        Appointment.objects.filter(client__isnull=False, client__erased_at__isnull=True)
        .exclude(client__mobile="")
        .select_related("client", "service", "staff", "visit")
        .order_by("starts_at", "id")
    )
    past = [a for a in week if a.starts_at < now and a.status != "cancelled"]
    ahead = [a for a in week if a.starts_at > now and a.status in ("booked", "confirmed")]
    soon = [a for a in ahead if a.starts_at <= now + dt.timedelta(hours=24)]
    later = [a for a in ahead if a not in soon]
    writer = _Writer(rules)
    with transaction.atomic():
        _appointments(writer, rules, now, past, soon, later)
        _follow_up(writer, rules, now, past)
        _birthday(writer, rules, now)
    return writer.written


def _confirmation(writer, appointment, at):
    return writer.message(
        kind=Kind.CONFIRMATION,
        key=f"confirmation:{appointment.pk}",
        build=lambda: context.appointment_context(appointment),
        client=appointment.client,
        appointment=appointment,
        at=at,
    )


def _reminder(writer, appointment, at):
    return writer.message(
        kind=Kind.REMINDER,
        key=reminder_key(appointment, 24),
        build=lambda: context.appointment_context(appointment),
        client=appointment.client,
        appointment=appointment,
        meta={"hours_before": 24},
        at=at,
    )


def _appointments(writer, rules, now, past, soon, later) -> None:
    # The last days' appointments: confirmed when booked (three days before), reminded
    # the day before; the latest of them failed to be reminded.
    recent = past[-4:]
    for n, appointment in enumerate(recent):
        booked = _daytime(appointment.starts_at - dt.timedelta(days=3, hours=2))
        confirmation = _confirmation(writer, appointment, booked)
        if confirmation is not None:
            writer.sent(confirmation, booked + dt.timedelta(seconds=2), delivered=True)
        moment = min(_reminded_at(appointment, rules), appointment.starts_at)
        reminder = _reminder(writer, appointment, moment)
        if reminder is None:
            continue
        if n == len(recent) - 1:
            # Its retries take over an hour: all of them before the appointment.
            start = min(moment, appointment.starts_at - dt.timedelta(minutes=90))
            writer.failed(reminder, start + dt.timedelta(seconds=5))
        else:
            writer.sent(reminder, moment + dt.timedelta(seconds=5), delivered=True)
    # The next day's: confirmed when booked, reminded; the last report not in yet.
    for n, appointment in enumerate(soon[:2]):
        booked = _daytime(min(appointment.created_at, now) - dt.timedelta(days=2))
        confirmation = _confirmation(writer, appointment, booked)
        if confirmation is not None:
            writer.sent(confirmation, booked + dt.timedelta(seconds=2), delivered=True)
        moment = min(_reminded_at(appointment, rules), now - dt.timedelta(minutes=20))
        reminder = _reminder(writer, appointment, moment)
        if reminder is not None:
            writer.sent(reminder, moment + dt.timedelta(seconds=5), delivered=n == 0)
    # One later booking's confirmation: its worker stopped while sending it.
    if later:
        appointment = later[0]
        at = _daytime(min(appointment.created_at, now) - dt.timedelta(hours=1))
        confirmation = _confirmation(writer, appointment, at)
        if confirmation is not None:
            writer.held(confirmation, at + dt.timedelta(seconds=2))


def _follow_up(writer, rules, now, past) -> None:
    """The latest completed visit's follow-up, due some hours from now."""
    done = [a for a in past if a.status == "completed" and a.visit is not None]
    if not done:
        return
    appointment = done[-1]
    visit = appointment.visit
    at = min(appointment.ends_at, now - dt.timedelta(minutes=30))
    due = max(
        appointment.ends_at + dt.timedelta(hours=rules.follow_up_after_hours),
        now + dt.timedelta(hours=3),
    )
    row = writer.message(
        kind=Kind.FOLLOW_UP,
        key=f"follow-up:{visit.pk}",
        build=lambda: context.visit_context(visit),
        client=appointment.client,
        appointment=appointment,
        visit=visit,
        at=at,
    )
    if row is not None:
        row.send_after = outbox.quiet_until(due, rules)
        row.save(update_fields=["send_after"])


def _birthday(writer, rules, now) -> None:
    """The latest birthday already past (this year, or last) of a client who has not
    agreed to marketing texts: written, and cancelled for it, as the outbox does."""
    from clients.models import Client

    zone = outbox._zone()
    today = now.astimezone(zone).date()
    best = None
    for client in Client.objects.filter(
        erased_at__isnull=True, date_of_birth__isnull=False
    ).exclude(mobile=""):
        if outbox._has_marketing_consent(client, Channel.SMS):
            continue
        born = client.date_of_birth
        for year in (today.year, today.year - 1):
            try:
                day = born.replace(year=year)
            except ValueError:  # 29 February: greeted on the 28th
                day = dt.date(year, 2, 28)
            if day < today:
                if best is None or day > best[0]:
                    best = (day, client)
                break
    if best is None:
        return
    day, client = best
    at = dt.datetime.combine(day, rules.morning_at, tzinfo=zone)
    with translation.override(writer.staff_language):
        reason = _("The client has not agreed to receive marketing messages by this channel.")
    row = writer.message(
        kind=Kind.BIRTHDAY,
        key=f"birthday:{client.pk}:{day.year}",
        build=lambda: context.client_context(client),
        client=client,
        at=at,
    )
    if row is not None:
        writer.cancelled(row, at, reason)
