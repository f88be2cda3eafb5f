"""A living week for the demo businesses (``seed_demo``): appointments from three days
back to three days ahead, a couple of recalls due and a waitlist entry.

Everything goes through the booking services, with one documented exception. Booking
refuses a start in the past (a front desk must not book yesterday by mistake), and the
clock is not ours to move outside tests (time-machine is a test dependency only). So a
past appointment is placed by ``_book_past``: the same availability rule
(``availability.option_at`` with the working and business hours respected) and the same
savepoint insert under the exclusion constraints (``services._insert``), its history
event and audit entry written as a booking writes them — only the past-time refusal is
left out. What happens to it next (check-in, completion with its visit and recall,
cancellation with a reason, no-show) goes through the public services as for any
booking; those events carry today's timestamps, since that is when they were written."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from audit.models import Action
from clients.models import Client
from scheduling import availability, services
from scheduling.models import Appointment, BookingSettings, Channel, Service, Status, TimeOfDay
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
CANCEL_REASONS = ("出差，改天再约", "身体不适", "工作时间冲突")


def _book_past(*, client, service, staff, starts_at, actor) -> Appointment | None:
    request = availability.build_request([service], staff.pk)
    option = availability.option_at(request=request, starts_at=starts_at, respect_hours=True)
    if option is None:
        return None
    (appointment,) = services._insert(
        option.legs,
        client=client,
        status=Status.BOOKED,
        channel=Channel.PHONE,
        note="",
        actor=actor,
    )
    services._event(appointment, old="", actor=actor)
    services._audit(Action.CREATE, appointment, {}, actor)
    return appointment


def _free_starts(service, staff, day: dt.date, zone, step: int) -> list[dt.datetime]:
    request = availability.build_request([service], staff.pk)
    start = availability.local_instant(day, dt.time(0, 0), zone)
    end = availability.local_instant(day + dt.timedelta(days=1), dt.time(0, 0), zone)
    return [
        o.starts_at for o in availability.options(request=request, start=start, end=end, step=step)
    ]


def seed_week(*, practitioners, front_desk) -> int:
    """Book the demo week; returns how many appointments were made. Does nothing where
    the business already has appointments, so a second run adds nothing."""
    if Appointment.objects.exists() or not practitioners:
        return 0
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
                            reason=next(reasons),
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
                    actor_label="online" if online else "",
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
        note="可以临时通知",
        actor=actor,
    )
