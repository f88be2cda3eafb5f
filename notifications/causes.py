"""The causes that write messages, each inside its own transaction: a booking made or
approved (confirmation), moved (reschedule notice; the old time's unsent messages are
cancelled), cancelled (cancellation notice, the waiting list told of the free time),
completed (the follow-up with its survey, some hours later), glasses ready (lab order).

Each message's key names its cause, so a cause replayed finds the row it wrote."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import context, outbox
from notifications.models import Kind, NotificationSettings

# Kinds about an appointment's time that a change makes stale.
TIME_KINDS = (Kind.CONFIRMATION, Kind.REMINDER, Kind.RESCHEDULE)


def _ahead(appointment) -> bool:
    return appointment.starts_at > timezone.now()


def _appointment_message(kind: str, key: str, appointment, actor, previous=None) -> None:
    outbox.enqueue(
        kind=kind,
        key=key,
        context=lambda: context.appointment_context(appointment, previous=previous),
        client=appointment.client,
        appointment=appointment,
        actor=actor,
    )


def appointment_changed(sender, *, appointment, change: str, previous=None, actor=None, **kw):
    if change in ("booked", "approved"):
        if _ahead(appointment):
            key = f"confirmation:{appointment.pk}"
            _appointment_message(Kind.CONFIRMATION, key, appointment, actor)
    elif change == "rescheduled":
        outbox.cancel_for(
            appointment=previous,
            kinds=TIME_KINDS,
            reason=_("The appointment was moved to another time."),
            actor=actor,
        )
        if _ahead(appointment):
            key = f"reschedule:{appointment.pk}"
            _appointment_message(Kind.RESCHEDULE, key, appointment, actor, previous=previous)
    elif change == "cancelled":
        outbox.cancel_for(
            appointment=appointment,
            kinds=TIME_KINDS,
            reason=_("The appointment was cancelled."),
            actor=actor,
        )
        if _ahead(appointment):
            key = f"cancellation:{appointment.pk}"
            _appointment_message(Kind.CANCELLATION, key, appointment, actor)
            _tell_waitlist(appointment, actor)
    elif change == "completed":
        _follow_up(appointment, actor)


def _follow_up(appointment, actor) -> None:
    visit = appointment.visit
    if visit is None:
        return
    hours = NotificationSettings.load().follow_up_after_hours
    outbox.enqueue(
        kind=Kind.FOLLOW_UP,
        key=f"follow-up:{visit.pk}",
        context=lambda: context.visit_context(visit),
        client=appointment.client,
        visit=visit,
        appointment=appointment,
        send_after=timezone.now() + dt.timedelta(hours=hours),
        actor=actor,
    )


def _tell_waitlist(appointment, actor) -> None:
    """The clients waiting for this service whose wish the freed time fits."""
    from scheduling.availability import tenant_zone
    from scheduling.waitlist import waitlist_matches

    day = appointment.starts_at.astimezone(tenant_zone()).date()
    for match in waitlist_matches(day):
        entry = match.entry
        if entry.service_id != appointment.service_id:
            continue
        if not any(option.starts_at == appointment.starts_at for option in match.starts):
            continue
        outbox.enqueue(
            kind=Kind.WAITLIST,
            key=f"waitlist:{entry.pk}:{appointment.pk}",
            context=lambda e=entry: context.waitlist_context(e, appointment.starts_at),
            client=entry.client,
            actor=actor,
            meta={"starts_at": appointment.starts_at.isoformat()},
        )


def lab_order_ready(sender, *, dispensing, actor=None, **kw) -> None:
    outbox.enqueue(
        kind=Kind.LAB_READY,
        key=f"lab-ready:{dispensing.pk}",
        context=lambda: context.dispensing_context(dispensing),
        client=dispensing.client,
        actor=actor,
    )
