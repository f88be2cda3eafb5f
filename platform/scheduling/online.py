"""Online booking by clients themselves (``/book/`` on the business's own host): the
business's rules (minimum notice, how far ahead, slot granularity, approval, new clients)
applied on top of ``scheduling.services``, the client found by phone or created
"online", and the signed, expiring link through which the client manages the booking.

The rules are checked here for what is posted, not only for what the pages offer: a
time typed into a hand-made request is refused the same way."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clients.duplicates import likely_duplicates
from clients.models import Client, Source
from clients.services import ClientData, client_create
from scheduling import availability
from scheduling.errors import BookingError, SlotTaken, refusal
from scheduling.models import Appointment, BookingSettings, CancelledBy, Channel, Service, Status
from scheduling.selectors import services_for_booking
from scheduling.services import appointment_book, appointment_cancel, appointment_reschedule

ACTOR_LABEL = "online booking"
MANAGE_SALT = "scheduling.online.manage"
# A link older than this is refused even if its appointment is further ahead (bookings
# open at most 365 days ahead); any link is refused once its appointment has started.
MANAGE_MAX_AGE = dt.timedelta(days=400)
# States in which the client may still cancel or move the booking.
CHANGEABLE = (Status.REQUESTED, Status.BOOKED, Status.CONFIRMED)


# ---------- the rules ----------


@dataclass(frozen=True)
class Window:
    """When a client may book right now: not before ``not_before`` (minimum notice), not
    from ``horizon`` on (how far ahead), on ``step``-minute marks of the local clock."""

    not_before: dt.datetime
    horizon: dt.datetime
    step: int
    zone: object

    @property
    def first_day(self) -> dt.date:
        return self.not_before.astimezone(self.zone).date()

    @property
    def last_day(self) -> dt.date:
        return (self.horizon - dt.timedelta(microseconds=1)).astimezone(self.zone).date()

    def on_grid(self, at: dt.datetime) -> bool:
        local = at.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return local.second == 0 and local.microsecond == 0 and minute % self.step == 0

    def allows(self, at: dt.datetime) -> bool:
        return self.not_before <= at < self.horizon and self.on_grid(at)


def window(rules: BookingSettings | None = None) -> Window:
    rules = rules or BookingSettings.load()
    now = timezone.now()
    return Window(
        not_before=now + dt.timedelta(minutes=rules.min_notice_minutes),
        horizon=now + dt.timedelta(days=rules.max_days_ahead),
        step=rules.slot_minutes,
        zone=availability.tenant_zone(),
    )


def notice_text(minutes: int) -> str:
    if minutes and minutes % (60 * 24) == 0:
        days = minutes // (60 * 24)
        return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


def check_time(at: dt.datetime, rules: BookingSettings, win: Window) -> None:
    """Refuse a start that breaks the online rules (a ValidationError on ``starts_at``)."""
    if at < win.not_before:
        raise refusal(
            BookingError.TOO_SOON, "starts_at", notice=notice_text(rules.min_notice_minutes)
        )
    if at >= win.horizon:
        raise refusal(BookingError.TOO_FAR, "starts_at", days=rules.max_days_ahead)
    if not win.on_grid(at):
        raise SlotTaken(code=BookingError.NOT_AVAILABLE)


def online_services():
    """What clients can book themselves: offered, online-bookable, performed by someone."""
    return services_for_booking(online=True)


def online_service(service_id: int) -> Service | None:
    return online_services().filter(pk=service_id).first()


def performers(service: Service) -> list:
    """The staff who perform ``service`` (prefetched by the selector), by name."""
    return list(service.staff.all())


def slots_on(
    *,
    service: Service,
    staff_id: int | None,
    day: dt.date,
    win: Window,
    ignore_appointments=(),
) -> list[availability.Option]:
    """The bookable starts of ``day`` (local) within the online window."""
    start, end = availability.day_bounds(day, win.zone)
    start, end = max(start, win.not_before - dt.timedelta(minutes=win.step)), min(end, win.horizon)
    if start >= end:
        return []
    request = availability.build_request([service], staff_id)
    found = availability.options(
        request=request,
        start=start,
        end=end,
        step=win.step,
        not_before=win.not_before,
        ignore_appointments=ignore_appointments,
    )
    return [o for o in found if win.allows(o.starts_at)]


def next_free_day(
    *, service: Service, staff_id: int | None, after: dt.date, win: Window, ignore_appointments=()
) -> dt.date | None:
    """The first local day after ``after`` with a free start, within the window."""
    start = availability.day_bounds(after + dt.timedelta(days=1), win.zone)[0]
    start = max(start, win.not_before)
    if start >= win.horizon:
        return None
    request = availability.build_request([service], staff_id)
    found = availability.options(
        request=request,
        start=start,
        end=win.horizon,
        step=win.step,
        not_before=win.not_before,
        limit=1,
        ignore_appointments=ignore_appointments,
    )
    return found[0].starts_at.astimezone(win.zone).date() if found else None


def alternatives(options, win: Window) -> list[availability.Option]:
    return [o for o in options if win.allows(o.starts_at)]


# ---------- booking ----------


def find_client(phone: str) -> Client | None:
    """The client with this (E.164) phone, through the duplicate check the client files
    use: the most recent file with it as mobile or other phone."""
    found = likely_duplicates({"mobile": phone})
    return found[0].client if found else None


def check_bookable(
    *, service: Service, starts_at: dt.datetime, phone: str, rules: BookingSettings | None = None
) -> BookingSettings:
    """The refusals that need no write (online booking off, a service not online, a time
    outside the rules, a new phone where only existing clients book online), so that
    nobody types a code for a booking that would be refused anyway. Returns the rules."""
    rules = rules or BookingSettings.load()
    if not rules.online_enabled:
        raise refusal(BookingError.ONLINE_OFF)
    if not (service.active and service.online_bookable):
        raise refusal(BookingError.NOT_ONLINE, "service")
    check_time(starts_at, rules, window(rules))
    if not rules.new_clients_online and find_client(phone) is None:
        raise refusal(BookingError.NEW_CLIENTS_OFF, "phone")
    return rules


@transaction.atomic
def online_book(
    *,
    service: Service,
    staff,
    starts_at: dt.datetime,
    name: str,
    phone: str,
    email: str = "",
    note: str = "",
) -> Appointment:
    """Book ``service`` at ``starts_at`` for the client with ``phone`` (created "online"
    if unknown and the business takes new clients online), by ``staff`` (None: anyone).
    Raises ValidationError (or SlotTaken, with the nearest times) and then saves nothing,
    not even the new client file."""
    rules = check_bookable(service=service, starts_at=starts_at, phone=phone)
    win = window(rules)
    client = find_client(phone)
    if client is None:
        values = {"name": name, "mobile": phone, "source": Source.ONLINE}
        if email:
            values["email"] = email
        try:
            client = client_create(data=ClientData(values=values), created_by=None)
        except ValidationError as exc:
            # A full plan is the business's matter: the client hears that new clients
            # book by phone, not about upgrades.
            if getattr(exc, "code", None) == "plan_limit":
                raise refusal(BookingError.NEW_CLIENTS_OFF, "phone") from exc
            raise
    status = Status.REQUESTED if rules.approval_required else Status.BOOKED
    try:
        (appointment, *_rest) = appointment_book(
            client=client,
            services=[service],
            starts_at=starts_at,
            staff=staff,
            channel=Channel.ONLINE,
            actor=None,
            actor_label=ACTOR_LABEL,
            note=note,
            status=status,
        )
    except SlotTaken as taken:
        raise SlotTaken(
            alternatives=alternatives(taken.alternatives, win), code=_code(taken)
        ) from None
    return appointment


def _code(error: SlotTaken) -> BookingError:
    known = error.code in BookingError.values
    return BookingError(error.code) if known else BookingError.SLOT_TAKEN


# ---------- the client's link ----------


def manage_token(appointment: Appointment) -> str:
    """The signed link token: the appointment's secret and the business's schema, with
    the time it was made (so it expires)."""
    payload = {"t": appointment.manage_token, "s": connection.schema_name}
    return signing.dumps(payload, salt=MANAGE_SALT, compress=False)


class LinkError(Exception):
    """The link is tampered with, expired, of another business or of no booking."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "invalid", "expired", "started"


def manage_find(token: str) -> Appointment:
    """The current booking a link names (after a move, the new row, which keeps the
    secret), or LinkError."""
    try:
        payload = signing.loads(token, salt=MANAGE_SALT, max_age=MANAGE_MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except signing.BadSignature:
        raise LinkError("invalid") from None
    if not isinstance(payload, dict) or payload.get("s") != connection.schema_name:
        raise LinkError("invalid")
    secret = payload.get("t")
    if not isinstance(secret, str) or not secret:
        raise LinkError("invalid")
    appointment = (
        Appointment.objects.filter(manage_token=secret)
        .exclude(status=Status.RESCHEDULED)
        .select_related("service", "staff", "client")
        .order_by("-created_at", "-pk")
        .first()
    )
    if appointment is None:
        raise LinkError("invalid")
    if appointment.starts_at <= timezone.now():
        raise LinkError("started")
    return appointment


def can_change(appointment: Appointment, rules: BookingSettings | None = None) -> bool:
    rules = rules or BookingSettings.load()
    return (
        rules.client_can_reschedule
        and appointment.status in CHANGEABLE
        and appointment.starts_at > timezone.now()
    )


def _refuse_unless_changeable(appointment: Appointment, rules: BookingSettings) -> None:
    if not can_change(appointment, rules):
        raise refusal(BookingError.CHANGE_CLOSED)


@transaction.atomic
def online_cancel(*, appointment: Appointment, reason: str = "") -> Appointment:
    """The client cancels through the link; within the late-cancellation hours it is
    marked late (the service decides)."""
    _refuse_unless_changeable(appointment, BookingSettings.load())
    return appointment_cancel(
        appointment=appointment,
        by=CancelledBy.CLIENT,
        reason=(reason or "").strip() or _("Cancelled online by the client"),
        actor=None,
        actor_label=ACTOR_LABEL,
    )


@transaction.atomic
def online_reschedule(*, appointment: Appointment, starts_at: dt.datetime) -> Appointment:
    """The client moves the booking to ``starts_at`` (same service and staff member)
    within the online rules; the new row keeps the link's secret."""
    rules = BookingSettings.load()
    _refuse_unless_changeable(appointment, rules)
    win = window(rules)
    check_time(starts_at, rules, win)
    try:
        return appointment_reschedule(
            appointment=appointment,
            starts_at=starts_at,
            reason=_("Moved online by the client"),
            actor=None,
            actor_label=ACTOR_LABEL,
        )
    except SlotTaken as taken:
        raise SlotTaken(
            alternatives=alternatives(taken.alternatives, win), code=_code(taken)
        ) from None
