"""The outbox's Celery tasks. Both are tenant tasks (tenant-schemas-celery): a task runs in
the schema it was sent from.

- ``notifications.send(message_id)``: queued by a cause's commit hook; claims and sends one
  row (:func:`notifications.outbox.send_now`). A second delivery of the same task claims
  nothing.
- ``notifications.dispatch_due()``: once a minute per active tenant (beat →
  ``tenants.fan_out``). Recovers rows whose worker died, writes the reminders, birthday
  greetings and recall notices that have come due, then sends every due queued row.

Reminder times: the N-hour reminder is due at ``starts_at − N hours`` of real (UTC) time,
not "the same wall-clock time N/24 days before". Across a daylight-saving change the
24-hour reminder of a 09:00 appointment the morning after the clocks went forward goes at
08:00 local the day before (24 real hours earlier); the text shows the appointment's
local time. An appointment booked after that moment gets no N-hour reminder (its
confirmation has just told the client)."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

# Recall notices go this many days before the recall is due; a recall overdue by more
# than RECALL_STALE_DAYS when notices are switched on gets none.
RECALL_NOTICE_DAYS = 7
RECALL_STALE_DAYS = 30
# Appointments in these states are still expected: they get reminders.
REMINDED_STATUSES = ("booked", "confirmed")


def _context():
    # The portal's context builders, loaded when something is due.
    from notifications import context

    return context


def reminder_key(appointment, hours: int) -> str:
    starts = appointment.starts_at.astimezone(dt.UTC)
    return f"reminder:{appointment.pk}:{starts:%Y%m%dT%H%MZ}:{hours}h"


def enqueue_reminders(*, now: dt.datetime | None = None) -> int:
    """Write the N-hour reminders whose moment has passed; returns how many were new."""
    from notifications import outbox
    from notifications.models import Kind, NotificationSettings
    from scheduling.models import Appointment

    rules = NotificationSettings.load()
    if Kind.REMINDER not in rules.enabled_kinds:
        return 0
    now = now or timezone.now()
    written = 0
    for hours in sorted(set(rules.reminder_hours)):
        before = dt.timedelta(hours=hours)
        due = Appointment.objects.filter(
            status__in=REMINDED_STATUSES,
            starts_at__gt=now,
            starts_at__lte=now + before,
        ).select_related("client", "service", "staff")
        candidates = [
            (appointment, reminder_key(appointment, hours))
            for appointment in due
            if appointment.created_at <= appointment.starts_at - before
        ]
        # One query for the keys already written (the round runs every minute).
        written_keys = _written([key for _appointment, key in candidates])
        for appointment, key in candidates:
            if key in written_keys:
                continue
            with transaction.atomic():
                message = outbox.enqueue(
                    kind=Kind.REMINDER,
                    key=key,
                    context=lambda a=appointment: _context().appointment_context(a),
                    client=appointment.client,
                    appointment=appointment,
                    meta={"hours_before": hours},
                )
            written += message is not None
    return written


def _written(keys: list[str]) -> set[str]:
    """Which of these causes already have a message (on any channel)."""
    from notifications.models import Channel, Message

    if not keys:
        return set()
    full = [f"{key}:{channel}" for key in keys for channel in Channel.values]
    found = Message.objects.filter(idempotency_key__in=full).values_list(
        "idempotency_key", flat=True
    )
    return {key.rsplit(":", 1)[0] for key in found}


def _local_now(now: dt.datetime) -> dt.datetime:
    from scheduling.availability import tenant_zone

    return now.astimezone(tenant_zone())


def enqueue_birthdays(*, now: dt.datetime | None = None) -> int:
    """Birthday greetings for today's birthdays, at/after the morning time (local)."""
    from clients.models import Client
    from notifications import outbox
    from notifications.models import Kind, Message, NotificationSettings

    rules = NotificationSettings.load()
    local = _local_now(now or timezone.now())
    if Kind.BIRTHDAY not in rules.enabled_kinds or local.time() < rules.morning_at:
        return 0
    today = local.date()
    days = [(today.month, today.day)]
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    if (today.month, today.day) == (2, 28) and not leap:
        days.append((2, 29))  # born on 29 February: greeted on the 28th in other years
    written = 0
    for month, day in days:
        born = Client.objects.filter(
            date_of_birth__month=month, date_of_birth__day=day, erased_at__isnull=True
        )
        for client in born:
            key = f"birthday:{client.pk}:{today.year}"
            if Message.objects.filter(idempotency_key__startswith=f"{key}:").exists():
                continue
            with transaction.atomic():
                message = outbox.enqueue(
                    kind=Kind.BIRTHDAY,
                    key=key,
                    context=lambda c=client: _context().client_context(c),
                    client=client,
                )
            written += message is not None
    return written


def enqueue_recalls(*, now: dt.datetime | None = None) -> int:
    """Recall notices (复诊提醒) a week before a recall is due, at/after the morning time."""
    from notifications import outbox
    from notifications.models import Kind, Message, NotificationSettings
    from scheduling.models import Recall, RecallStatus

    rules = NotificationSettings.load()
    local = _local_now(now or timezone.now())
    if Kind.RECALL not in rules.enabled_kinds or local.time() < rules.morning_at:
        return 0
    today = local.date()
    due = Recall.objects.filter(
        status=RecallStatus.DUE,
        due_on__lte=today + dt.timedelta(days=RECALL_NOTICE_DAYS),
        due_on__gte=today - dt.timedelta(days=RECALL_STALE_DAYS),
        client__erased_at__isnull=True,
    ).select_related("client", "service")
    written = 0
    for recall in due:
        key = f"recall:{recall.pk}:{recall.due_on:%Y-%m-%d}"
        if Message.objects.filter(idempotency_key__startswith=f"{key}:").exists():
            continue
        with transaction.atomic():
            message = outbox.enqueue(
                kind=Kind.RECALL,
                key=key,
                context=lambda r=recall: _context().recall_context(r),
                client=recall.client,
            )
        written += message is not None
    return written


def _tenant_active() -> bool:
    from tenants.models import TenantStatus

    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "status", TenantStatus.ACTIVE) == TenantStatus.ACTIVE


def run_due(*, now: dt.datetime | None = None) -> dict:
    """One tenant's minute: what ``notifications.dispatch_due`` does."""
    from notifications import outbox

    if connection.schema_name == settings.PUBLIC_SCHEMA_NAME or not _tenant_active():
        return {"schema": connection.schema_name, "skipped": True}
    from notifications.models import NotificationSettings

    with NotificationSettings.cached():
        resent, held = outbox.recover_stale(now=now)
        return {
            "schema": connection.schema_name,
            "resent": resent,
            "held": held,
            "reminders": enqueue_reminders(now=now),
            "birthdays": enqueue_birthdays(now=now),
            "recalls": enqueue_recalls(now=now),
            "sent": outbox.send_due(),
        }


@shared_task(name="notifications.send", ignore_result=True)
def send(message_id: int) -> str:
    """Claim and send one message (a duplicate delivery claims nothing)."""
    from notifications import outbox

    message = outbox.send_now(message_id)
    return message.status if message is not None else "not claimed"


@shared_task(name="notifications.dispatch_due", ignore_result=True)
def dispatch_due() -> dict:
    return run_due()
