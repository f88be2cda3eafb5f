"""A living week for the demo businesses (``seed_demo``): appointments from three days
back to three days ahead, a couple of recalls due and a waitlist entry.

Everything goes through the booking services. The days before today are booked with
``allow_past`` (booking refuses a past start otherwise) and then go on as any booking
does: check-in, completion with its visit and recall, cancellation with a reason, no-show.
Their history events carry today's timestamps, since that is when they were written.
Reasons and notes are in the business's own language."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from scheduling import availability
from scheduling.models import Appointment, BookingSettings, Channel, Service, Status, TimeOfDay
from scheduling.online import ACTOR_LABEL as ONLINE_LABEL
from scheduling.recalls import recall_schedule
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_transition,
)
from scheduling.waitlist import waitlist_add

DAYS_AROUND = 3
PER_DAY = 4
CANCEL_REASONS = (
    _("Away on business, will book another day"),
    _("Not feeling well"),
    _("Clashes with work"),
)


def _book_past(*, client, service, staff, starts_at, actor) -> Appointment | None:
    try:
        (appointment,) = appointment_book(
            client=client,
            services=[service],
            staff=staff,
            starts_at=starts_at,
            actor=actor,
            allow_past=True,
        )
    except ValidationError:
        return None
    return appointment


def _free_starts(service, staff, day: dt.date, zone, step: int) -> list[dt.datetime]:
    request = availability.build_request([service], staff.pk)
    start, end = availability.day_bounds(day, zone)
    return [
        o.starts_at for o in availability.options(request=request, start=start, end=end, step=step)
    ]


def seed_week(*, practitioners, front_desk) -> int:
    """Book the demo week; returns how many appointments were made. Does nothing where
    the business already has appointments, so a second run adds nothing."""
    if Appointment.objects.exists() or not practitioners:
        return 0
    from scheduling.signals import muted

    with translation.override(connection.tenant.language), muted():
        return _seed(practitioners, front_desk)


def _seed(practitioners, front_desk) -> int:
    clients = list(Client.objects.filter(erased_at__isnull=True).order_by("id")[:12])
    if not clients:
        return 0
    zone = availability.tenant_zone()
    step = max(BookingSettings.load().slot_minutes, 30)
    now = timezone.now()
    today = timezone.localtime(now, zone).date()
    who = itertools.cycle(clients)
    reasons = itertools.cycle(CANCEL_REASONS)
    # What became of the past appointments, in turn.
    fates = itertools.cycle(("complete", "cancel", "complete", "no_show", "complete"))
    made = 0
    for offset in range(-DAYS_AROUND, DAYS_AROUND + 1):
        day = today + dt.timedelta(days=offset)
        for person in practitioners:
            offered = list(Service.objects.filter(active=True, staff=person).order_by("id"))
            if not offered:
                continue
            for n in range(PER_DAY):
                service = offered[(n + offset) % len(offered)]
                free = _free_starts(service, person, day, zone, step)
                # Spread the day: the n-th booking takes a start from the n-th part of it.
                if not free:
                    break
                starts_at = free[min(len(free) - 1, n * len(free) // PER_DAY)]
                client = next(who)
                if starts_at < now - dt.timedelta(minutes=5):
                    appointment = _book_past(
                        client=client,
                        service=service,
                        staff=person,
                        starts_at=starts_at,
                        actor=front_desk,
                    )
                    if appointment is None:
                        continue
                    made += 1
                    fate = next(fates) if offset < 0 else "arrived"
                    if fate == "cancel":
                        appointment_cancel(
                            appointment=appointment,
                            by="client",
                            reason=str(next(reasons)),
                            actor=front_desk,
                        )
                    elif fate == "no_show":
                        appointment_transition(
                            appointment=appointment, to=Status.NO_SHOW, actor=front_desk
                        )
                    else:
                        appointment_transition(
                            appointment=appointment, to=Status.ARRIVED, actor=front_desk
                        )
                        if fate == "complete":
                            # A trade's condition (a consent not signed yet) leaves it
                            # checked in, as it would be at the front desk.
                            with contextlib.suppress(ValidationError):
                                appointment_complete(appointment=appointment, actor=person)
                    continue
                online = offset > 0 and n == PER_DAY - 1
                booked = appointment_book(
                    client=client,
                    services=[service],
                    staff=person,
                    starts_at=starts_at,
                    channel=Channel.ONLINE if online else Channel.PHONE,
                    status=Status.REQUESTED if online else Status.BOOKED,
                    actor=None if online else front_desk,
                    actor_label=ONLINE_LABEL if online else "",
                )
                made += len(booked)
                if offset == 0 and n % 2 == 1:
                    appointment_transition(
                        appointment=booked[0], to=Status.CONFIRMED, actor=front_desk
                    )
    _recalls_and_waitlist(clients, today, front_desk, practitioners[0])
    return made


def _recalls_and_waitlist(clients, today: dt.date, actor, practitioner) -> None:
    services_ = list(Service.objects.filter(active=True, staff=practitioner).order_by("id")[:2])
    if not services_:
        return
    for client, service, days in zip(
        reversed(clients), itertools.cycle(services_), (-6, 4), strict=False
    ):
        recall_schedule(
            client=client, service=service, due_on=today + dt.timedelta(days=days), actor=actor
        )
    waitlist_add(
        client=clients[len(clients) // 2],
        service=services_[0],
        earliest=today,
        latest=today + dt.timedelta(days=7),
        time_of_day=TimeOfDay.AFTERNOON,
        note=str(_("Can come at short notice")),
        actor=actor,
    )
