"""Booking, moving, cancelling and completing appointments: the one place for these
rules, used by the calendar, online booking and (later) the API.

No double booking is the database's job: the exclusion constraints on ``Appointment``
refuse an overlapping insert whichever process makes it. These functions check
availability first (for a clear answer), then insert inside a savepoint; a booking that
loses a race to a concurrent one gets ``SlotTaken`` with the nearest free times, never
an IntegrityError.

Status changes follow ``TRANSITIONS``; each writes an ``AppointmentEvent`` (who, when,
from, to, why) and an audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import services as audit
from audit.models import Action
from clients.models import Client
from clients.services import ClientData, client_create, refuse_erased
from scheduling import availability
from scheduling.errors import BookingError, SlotTaken, refusal
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    BookingSettings,
    CancelledBy,
    Channel,
    Recall,
    RecallStatus,
    Service,
    Status,
)

S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.BOOKED, S.CANCELLED, S.RESCHEDULED}),
    S.BOOKED: frozenset({S.CONFIRMED, S.ARRIVED, S.CANCELLED, S.NO_SHOW, S.RESCHEDULED}),
    S.CONFIRMED: frozenset({S.ARRIVED, S.CANCELLED, S.NO_SHOW, S.RESCHEDULED}),
    S.ARRIVED: frozenset({S.IN_SERVICE, S.COMPLETED}),
    S.IN_SERVICE: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
    S.RESCHEDULED: frozenset(),
}


def statuses_allowing(to: str) -> tuple[str, ...]:
    """The statuses an appointment may go to ``to`` from (``S.CANCELLED``: the ones that
    can still be cancelled)."""
    return tuple(s for s, allowed in TRANSITIONS.items() if to in allowed)


SNAPSHOT_FIELDS = (
    "status",
    "starts_at",
    "ends_at",
    "staff",
    "service",
    "resource",
    "cancelled_by",
    "cancelled_late",
)
# Free text about the person: named in the trail, never copied into it.
AUDIT_SENSITIVE = ("note", "cancel_reason")
EXCLUSION_VIOLATION = "23P01"


def _snapshot(appointment: Appointment) -> dict:
    values = {}
    for name in SNAPSHOT_FIELDS:
        field = Appointment._meta.get_field(name)
        values[name] = getattr(appointment, field.attname)
    values["note"] = appointment.note
    values["cancel_reason"] = appointment.cancel_reason
    return values


def _audit(action: str, appointment: Appointment, before: dict, actor) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type="appointment",
        object_id=appointment.pk,
        client_id=appointment.client_id,
        before=before,
        after=_snapshot(appointment) if action != Action.DELETE else {},
        sensitive=AUDIT_SENSITIVE,
    )


def _event(
    appointment: Appointment,
    *,
    old: str,
    actor,
    actor_label: str = "",
    reason: str = "",
    old_start=None,
    new_start=None,
) -> None:
    AppointmentEvent.objects.create(
        appointment=appointment,
        actor=actor,
        actor_label=actor_label or (audit.actor_label(actor) if actor else ""),
        from_status=old,
        to_status=appointment.status,
        reason=reason[:200],
        old_starts_at=old_start,
        new_starts_at=new_start,
    )


def _changed(appointment: Appointment, change: str, *, previous=None, actor=None) -> None:
    from scheduling.signals import send_changed

    send_changed(appointment, change, previous=previous, actor=actor)


def _is_overlap(error: IntegrityError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) == EXCLUSION_VIOLATION


def check_services(services: Sequence[Service]) -> None:
    if not services:
        raise refusal(BookingError.NO_SERVICE, "services")
    for service in services:
        if not service.active:
            raise refusal(BookingError.SERVICE_RETIRED, "services", service=service.name)


def _request(services: Sequence[Service], staff) -> availability.Request:
    request = availability.build_request(services, staff.pk if staff else None)
    for service, choice in zip(services, request.staff_choices, strict=True):
        if not choice:
            if staff is not None:
                raise refusal(
                    BookingError.NOT_PERFORMER, "staff", staff=str(staff), service=service.name
                )
            raise refusal(BookingError.NOBODY_PERFORMS, "services", service=service.name)
    return request


def _insert(legs, *, client, status, channel, note, actor, group_from=None) -> list[Appointment]:
    """Insert the legs in a savepoint; an overlap (a concurrent booking won) rolls back
    only the savepoint and raises SlotTaken."""
    made: list[Appointment] = []
    try:
        with transaction.atomic():
            for leg in legs:
                appointment = Appointment(
                    client=client,
                    service=leg.service,
                    staff_id=leg.staff_id,
                    resource_id=leg.resource_id,
                    starts_at=leg.starts_at,
                    ends_at=leg.ends_at,
                    blocked_from=leg.blocked_from,
                    blocked_until=leg.blocked_until,
                    status=status,
                    channel=channel,
                    note=note,
                    price=leg.service.price,
                    created_by=actor,
                )
                appointment.full_clean(
                    exclude=["client", "service", "staff", "resource"], validate_constraints=False
                )
                appointment.save()
                made.append(appointment)
            group = group_from or (made[0].pk if len(made) > 1 else None)
            if group:
                Appointment.objects.filter(pk__in=[a.pk for a in made]).update(group=group)
                for appointment in made:
                    appointment.group = group
    except IntegrityError as error:
        if _is_overlap(error):
            raise SlotTaken() from error
        raise
    return made


def _recalls_booked(appointments: list[Appointment]) -> None:
    for appointment in appointments:
        Recall.objects.filter(
            client_id=appointment.client_id,
            service_id=appointment.service_id,
            status=RecallStatus.DUE,
        ).update(status=RecallStatus.BOOKED, booked=appointment)


def _alternatives(request, starts_at: dt.datetime) -> list[availability.Option]:
    step = BookingSettings.load().slot_minutes
    return availability.nearest(request=request, around=starts_at, step=step)


@transaction.atomic
def appointment_book(
    *,
    client: Client,
    services: Sequence[Service],
    starts_at: dt.datetime,
    staff=None,
    channel: str = Channel.PHONE,
    actor=None,
    actor_label: str = "",
    note: str = "",
    status: str = S.BOOKED,
    respect_hours: bool = True,
    allow_past: bool = False,
) -> list[Appointment]:
    """Book ``services`` one after the other from ``starts_at`` for ``client``, with
    ``staff`` (None: anyone who performs each service and is free). Staff booking by
    phone may book outside working hours on purpose (``respect_hours=False``); overlaps
    are refused either way. A start in the past is refused unless ``allow_past`` (an
    appointment recorded after the fact: the demo week, a diary typed in from paper).
    Returns the appointments, first one first."""
    refuse_erased(client)
    services = list(services)
    check_services(services)
    if not allow_past and starts_at < timezone.now() - dt.timedelta(minutes=5):
        raise refusal(BookingError.IN_PAST, "starts_at")
    request = _request(services, staff)
    option = availability.option_at(
        request=request, starts_at=starts_at, respect_hours=respect_hours
    )
    if option is None:
        raise SlotTaken(
            alternatives=_alternatives(request, starts_at), code=BookingError.NOT_AVAILABLE
        )
    try:
        made = _insert(
            option.legs, client=client, status=status, channel=channel, note=note, actor=actor
        )
    except SlotTaken:
        raise SlotTaken(alternatives=_alternatives(request, starts_at)) from None
    for appointment in made:
        _event(appointment, old="", actor=actor, actor_label=actor_label)
        _audit(Action.CREATE, appointment, {}, actor)
    _recalls_booked(made)
    if status == S.BOOKED:
        _changed(made[0], "booked", actor=actor)
    return made


@transaction.atomic
def appointment_book_new_client(*, client_values: dict, actor, **booking) -> list[Appointment]:
    """Quick-create a client file (name, mobile …) and book it as ``appointment_book``
    does; the client exists only if the booking is made."""
    client = client_create(data=ClientData(client_values), created_by=actor)
    return appointment_book(client=client, actor=actor, **booking)


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("client", "service")
        .get(pk=appointment.pk)
    )


def _refuse_transition(appointment: Appointment, to: str) -> None:
    if to not in TRANSITIONS.get(appointment.status, frozenset()):
        raise refusal(BookingError.TRANSITION, status=appointment.get_status_display())


@transaction.atomic
def appointment_transition(
    *, appointment: Appointment, to: str, actor=None, actor_label: str = "", reason: str = ""
) -> Appointment:
    """Confirm, approve (requested → booked), check in (arrived), start (in service) or
    mark a no-show. Cancelling, moving and completing have their own functions."""
    if to in (S.CANCELLED, S.RESCHEDULED, S.COMPLETED):
        raise ValueError(f"use the dedicated service to move an appointment to {to}")
    appointment = _locked(appointment)
    _refuse_transition(appointment, to)
    before, old = _snapshot(appointment), appointment.status
    appointment.status = to
    appointment.save(update_fields=["status"])
    _event(appointment, old=old, actor=actor, actor_label=actor_label, reason=reason)
    _audit(Action.UPDATE, appointment, before, actor)
    if to == S.NO_SHOW:
        _recall_release(appointment)
    if old == S.REQUESTED and to == S.BOOKED:
        _changed(appointment, "approved", actor=actor)
    return appointment


def _recall_release(appointment: Appointment, to: Appointment | None = None) -> None:
    recalls = Recall.objects.filter(booked=appointment, status=RecallStatus.BOOKED)
    if to is not None:
        recalls.update(booked=to)
    else:
        recalls.update(status=RecallStatus.DUE, booked=None)


def is_late(appointment: Appointment, *, at: dt.datetime | None = None) -> bool:
    hours = BookingSettings.load().late_cancel_hours
    return appointment.starts_at - (at or timezone.now()) < dt.timedelta(hours=hours)


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    by: str,
    reason: str,
    actor=None,
    actor_label: str = "",
) -> Appointment:
    """Cancel with a reason (取消原因), by the client or the business; a cancellation
    within the business's late-cancellation hours is marked late."""
    reason = (reason or "").strip()
    if not reason:
        raise refusal(BookingError.REASON_REQUIRED, "reason")
    if by not in CancelledBy.values:
        raise ValueError(f"unknown party {by!r}")
    appointment = _locked(appointment)
    _refuse_transition(appointment, S.CANCELLED)
    before, old = _snapshot(appointment), appointment.status
    appointment.status = S.CANCELLED
    appointment.cancel_reason = reason[:200]
    appointment.cancelled_by = by
    appointment.cancelled_late = is_late(appointment)
    appointment.save(update_fields=["status", "cancel_reason", "cancelled_by", "cancelled_late"])
    _event(appointment, old=old, actor=actor, actor_label=actor_label, reason=reason)
    _audit(Action.UPDATE, appointment, before, actor)
    _recall_release(appointment)
    _changed(appointment, "cancelled", actor=actor)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    starts_at: dt.datetime,
    staff=None,
    reason: str = "",
    actor=None,
    actor_label: str = "",
    respect_hours: bool = True,
    with_visit: bool = False,
) -> Appointment:
    """Move a booking to ``starts_at`` (and ``staff``, None: the same person). The old
    row is kept as "rescheduled" with the reason and a link to the new one, which takes
    over its status; both happen or neither. The same overlap rule applies: a move onto
    a taken time raises SlotTaken and leaves the appointment where it was. With
    ``with_visit``, the other services booked in the same sequence move by as much time
    (each with its own staff member): all of them move or none. Returns the new row of
    ``appointment``."""
    appointment = _locked(appointment)
    _refuse_transition(appointment, S.RESCHEDULED)
    staff_id = staff.pk if staff is not None else appointment.staff_id
    request = availability.build_request([appointment.service], staff_id)
    if not request.staff_choices[0]:
        raise refusal(
            BookingError.NOT_PERFORMER,
            "staff",
            staff=str(staff or appointment.staff),
            service=appointment.service.name,
        )
    shift = starts_at - appointment.starts_at
    moving = _visit_legs(appointment) if with_visit else [appointment]
    ignore = [row.pk for row in moving]
    legs = []
    for row in moving:
        new_start = row.starts_at + shift
        if new_start < timezone.now() - dt.timedelta(minutes=5):
            raise refusal(BookingError.IN_PAST, "starts_at")
        own = request if row.pk == appointment.pk else None
        option = availability.option_at(
            request=own or availability.build_request([row.service], row.staff_id),
            starts_at=new_start,
            respect_hours=respect_hours,
            ignore_appointments=ignore,
        )
        if option is None:
            raise SlotTaken(
                alternatives=_alternatives(request, starts_at) if own else [],
                code=BookingError.NOT_AVAILABLE,
            )
        leg = option.legs[0]
        if row.resource_id and leg.resource_id is None:
            leg = availability.Leg(
                row.service, leg.staff_id, row.resource_id, leg.starts_at, leg.ends_at
            )
        legs.append(leg)
    before = {row.pk: (_snapshot(row), row.status, row.starts_at) for row in moving}
    # Free the old times first, in the same transaction: the new ones may overlap them.
    for row in moving:
        row.status = S.RESCHEDULED
        row.cancel_reason = (reason or "").strip()[:200]
        row.save(update_fields=["status", "cancel_reason"])
    try:
        made = _insert(
            legs,
            client=appointment.client,
            status=before[appointment.pk][1],
            channel=appointment.channel,
            note=appointment.note,
            actor=actor,
            group_from=None if len(moving) > 1 else appointment.group,
        )
    except SlotTaken:
        raise SlotTaken(alternatives=_alternatives(request, starts_at)) from None
    for row, moved in zip(moving, made, strict=True):
        snapshot, old_status, old_start = before[row.pk]
        Appointment.objects.filter(pk=moved.pk).update(
            price=row.price, manage_token=row.manage_token, status=old_status
        )
        moved.price, moved.manage_token, moved.status = row.price, row.manage_token, old_status
        row.rescheduled_to = moved
        row.save(update_fields=["rescheduled_to"])
        for changed, old in ((row, old_status), (moved, "")):
            _event(
                changed,
                old=old,
                actor=actor,
                actor_label=actor_label,
                reason=reason,
                old_start=old_start,
                new_start=moved.starts_at,
            )
        _audit(Action.UPDATE, row, snapshot, actor)
        _audit(Action.CREATE, moved, {}, actor)
        _recall_release(row, to=moved)
    moved = made[moving.index(appointment)]
    _changed(moved, "rescheduled", previous=appointment, actor=actor)
    return moved


def _visit_legs(appointment: Appointment) -> list[Appointment]:
    """The services booked in one sequence with ``appointment`` that can still move, in
    order, locked."""
    if not appointment.group:
        return [appointment]
    rows = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("client", "service")
        .filter(group=appointment.group)
        .order_by("starts_at", "id")
    )
    legs = [r for r in rows if r.status in statuses_allowing(S.RESCHEDULED)]
    return [appointment if r.pk == appointment.pk else r for r in legs]


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def recall_due_on(service: Service, day: dt.date) -> dt.date | None:
    """When a client is due back after ``service`` done on ``day``: its own recall
    interval, else its trade's default (a dentist's six months), else never."""
    from verticals import registry

    if service.recall_days:
        return day + dt.timedelta(days=service.recall_days)
    vertical = registry.get(service.vertical_key())
    if vertical is not None and vertical.recall_months:
        return _add_months(day, vertical.recall_months)
    return None


def _recall_after(appointment: Appointment, day: dt.date) -> None:
    open_recalls = Recall.objects.filter(
        client_id=appointment.client_id,
        service_id=appointment.service_id,
        status__in=[RecallStatus.DUE, RecallStatus.BOOKED],
    )
    open_recalls.update(status=RecallStatus.DONE)
    due_on = recall_due_on(appointment.service, day)
    if due_on is not None:
        Recall.objects.create(
            client_id=appointment.client_id,
            service_id=appointment.service_id,
            due_on=due_on,
            source=appointment,
        )


@transaction.atomic
def appointment_complete(*, appointment: Appointment, actor=None):
    """Complete the appointment and write its visit into the client file (date, the
    service as treatment item, the practitioner), linked back to the appointment. What it
    cost is not the visit's: the till bills the appointment
    (``finance.bills.bill_from_appointment``), and that bill is the visit's amount. A
    service with a recall interval (or whose trade has a recall default) sets the
    client's next due date. Each trade's completion checks run first."""
    from verticals import registry
    from visits.models import VisitOrigin
    from visits.services import visit_create

    appointment = _locked(appointment)
    _refuse_transition(appointment, S.COMPLETED)
    refuse_erased(appointment.client)
    # The trades' own conditions (a treatment whose consent is not signed) come before
    # anything is written: a ValidationError leaves the appointment as it was.
    for check in registry.completion_checks():
        check(appointment)
    before, old = _snapshot(appointment), appointment.status
    day = timezone.localtime(appointment.starts_at, availability.tenant_zone()).date()
    visit = visit_create(
        client=appointment.client,
        values={
            "visited_on": day,
            "treatment_items": [appointment.service.name],
            "practitioner": appointment.staff,
        },
        created_by=actor,
        origin=VisitOrigin.APPOINTMENT,
    )
    appointment.status = S.COMPLETED
    appointment.visit = visit
    appointment.save(update_fields=["status", "visit"])
    _event(appointment, old=old, actor=actor)
    _audit(Action.UPDATE, appointment, before, actor)
    _recall_after(appointment, day)
    _changed(appointment, "completed", actor=actor)
    return visit
