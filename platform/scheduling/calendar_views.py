"""The staff calendar under /appointments/: the day, week and agenda views with today's
arrivals, the booking form (phone and walk-in), an appointment's page with its status
actions, and the move page (where a drag on the calendar lands, for a confirmation).

Looking needs ``schedule.view``; every write needs ``schedule.manage`` and goes through
``scheduling.services``. Health data is shown only to roles that may see it, through
``{% allergy_alert %}``; a row of another business, or none, is 404."""

from __future__ import annotations

import contextlib
import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability, ExtraCapability
from clients import duplicates
from clients import services as client_services
from clients.models import Client
from clients.selectors import client_list
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin
from scheduling import availability, calendar, selectors, services
from scheduling.calendar_forms import BookingForm, CancelForm, MoveForm
from scheduling.errors import SlotTaken
from scheduling.models import Appointment, BookingSettings, Status
from scheduling.services import TRANSITIONS, statuses_allowing

T = "scheduling/calendar/"
VIEWS = ("day", "week", "agenda")
# What can be dragged to another time: the states a move is allowed from.
MOVABLE = statuses_allowing(Status.RESCHEDULED)
# The status actions of the appointment page: action -> target status and button label.
ACTIONS = {
    "approve": Status.BOOKED,
    "confirm": Status.CONFIRMED,
    "arrive": Status.ARRIVED,
    "start": Status.IN_SERVICE,
    "no_show": Status.NO_SHOW,
}


def _labels() -> dict[str, str]:
    return {
        "approve": _("Approve"),
        "confirm": _("Confirm"),
        "arrive": _("Check in"),
        "start": _("Start"),
        "complete": _("Complete"),
        "no_show": _("No-show"),
    }


def _day_param(value: str | None) -> dt.date:
    """The day of the query string; today if none, unreadable or far out of range."""
    try:
        day = parse_date(value or "")
    except ValueError:  # well formed but no such day (2026-02-30)
        day = None
    if day is None or not 1900 < day.year < 2200:
        return timezone.localdate()
    return day


def _instant(value: str | None) -> dt.datetime | None:
    """An ISO date and time from the query string or a button (a free time); None if it
    cannot be read."""
    try:
        found = parse_datetime(value or "")
    except ValueError:
        return None
    if found is None or not 1900 < found.year < 2200:
        return None
    return found


def _int_param(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _calendar_url(**params) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    url = reverse("scheduling:calendar")
    return f"{url}?{urlencode(clean)}" if clean else url


def _appointment_or_404(pk: int) -> Appointment:
    try:
        return calendar.appointment_for_page(pk)
    except Appointment.DoesNotExist:
        raise Http404 from None


class ScheduleView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_SCHEDULE


class ManageView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SCHEDULE


# ---------- the calendar ----------


def _phone_column(columns: list, user):
    """The column a phone shows of a day view (one at a time): the signed-in user's own,
    else the busiest one, so a phone never opens on an empty column beside a full one."""
    if not columns:
        return None
    own = next((c for c in columns if c.staff_id is not None and c.staff_id == user.pk), None)
    return own or max(columns, key=lambda c: len(c.placed))


class CalendarView(ScheduleView):
    def get(self, request):
        day = _day_param(request.GET.get("day"))
        view = request.GET.get("view") if request.GET.get("view") in VIEWS else "day"
        by = "room" if request.GET.get("by") == "room" else "staff"
        staff_id = _int_param(request.GET.get("staff"))
        colour = "status" if request.GET.get("colour") == "status" else "service"
        today = timezone.localdate()
        step = {"day": 1, "week": 7, "agenda": 7}[view]
        keep = {
            "view": view,
            "by": "room" if by == "room" else "",
            "staff": staff_id,
            "colour": "status" if colour == "status" else "",
        }
        context = {
            "day": day,
            "today": today,
            "view": view,
            "by": by,
            "staff_id": staff_id,
            "colour": colour,
            "can_manage": request.user.can(Capability.MANAGE_SCHEDULE),
            "can_health": request.user.can(Capability.VIEW_HEALTH),
            "movable": MOVABLE,
            "prev_url": _calendar_url(day=(day - dt.timedelta(days=step)).isoformat(), **keep),
            "next_url": _calendar_url(day=(day + dt.timedelta(days=step)).isoformat(), **keep),
            "today_url": _calendar_url(**keep),
            "view_urls": [
                (name, label, _calendar_url(day=day.isoformat(), **{**keep, "view": name}))
                for name, label in (("day", _("Day")), ("week", _("Week")), ("agenda", _("Agenda")))
            ],
            "by_urls": [
                ("staff", _("Staff"), _calendar_url(day=day.isoformat(), view="day")),
                ("room", _("Rooms"), _calendar_url(day=day.isoformat(), view="day", by="room")),
            ],
            "colour_url": _calendar_url(
                day=day.isoformat(), **{**keep, "colour": "" if colour == "status" else "status"}
            ),
            "staff_options": list(selectors.bookable_staff()),
        }
        if view == "day":
            context["grid"] = calendar.day_grid(
                day=day, by=by, staff_id=staff_id if by == "staff" else None
            )
            context["focus"] = _phone_column(context["grid"].columns, request.user)
            if day == today:
                context["arrivals"] = calendar.arrivals(
                    day=day, with_health=request.user.can(Capability.VIEW_HEALTH)
                )
        elif view == "week":
            context["grid"] = calendar.week_grid(day=day, staff_id=staff_id)
            context["week_days"] = [c.day for c in context["grid"].columns]
        else:
            context["agenda"] = calendar.agenda(day=day, staff_id=staff_id)
        return render(request, T + "calendar.html", context)


# ---------- booking ----------


def _free_times(form: BookingForm, *, after: dt.datetime):
    """The next free starts for the form's services and staff from ``after`` (a week)."""
    services_ = form.services()
    if not services_:
        return []
    staff = form.staff_member()
    request_ = availability.build_request(services_, staff.pk if staff else None)
    step = BookingSettings.load().slot_minutes
    start = max(after, timezone.now())
    return availability.options(
        request=request_, start=start, end=start + dt.timedelta(days=7), step=step, limit=12
    )


def _client_matches(user, query: str) -> list[Client]:
    query = (query or "").strip()
    if not query:
        return []
    return list(client_list(user=user, query=query)[:8])


def _prefill(request) -> dict:
    """The booking form's first values from the query string (a click on a free slot,
    a client file's "Book" link): client, service, staff, start (local ISO) or day."""
    initial: dict = {}
    params = request.GET
    if pk := _int_param(params.get("client")):
        initial["client"] = Client.objects.filter(pk=pk, erased_at__isnull=True).first()
    if pk := _int_param(params.get("service")):
        initial["service_1"] = str(pk)
    if pk := _int_param(params.get("staff")):
        initial["staff"] = str(pk)
    start = _instant(params.get("start"))
    if start is not None:
        if timezone.is_aware(start):
            start = timezone.localtime(start, availability.tenant_zone())
        initial["day"], initial["time"] = start.date(), start.time().replace(second=0)
    else:
        initial["day"] = _day_param(params.get("day"))
    return initial


class BookView(ManageView):
    def get(self, request):
        form = BookingForm(initial=_prefill(request), region=client_services.phone_region())
        client = form.initial.get("client")
        return self.page(request, form, client=client)

    def page(self, request, form, *, client=None, status=200, **extra):
        context = {
            "form": form,
            "client": client,
            "matches": extra.pop("matches", []),
            "free": extra.pop("free", None),
            "alternatives": extra.pop("alternatives", None),
            "duplicates": extra.pop("duplicates", None),
            **extra,
        }
        return render(request, T + "book.html", context, status=status)

    def post(self, request):
        action = request.POST.get("action", "book")
        data = request.POST.copy()
        if request.POST.get("choose", "").isdigit():  # a client picked among the matches
            data["client"], action = request.POST["choose"], "search"
            data["q"] = ""
        elif action == "clear":  # another client
            data["client"], action = "", "search"
        form = BookingForm(data, region=client_services.phone_region())
        pick = _instant(request.POST.get("pick"))
        if pick is not None:
            # A free-time button: that start, and book it.
            local = (
                timezone.localtime(pick, availability.tenant_zone())
                if timezone.is_aware(pick)
                else pick
            )
            data["day"], data["time"] = local.date().isoformat(), local.strftime("%H:%M")
            form = BookingForm(data, region=client_services.phone_region())
            action = "book"
        valid = form.is_valid()
        client = form.cleaned_data.get("client") if hasattr(form, "cleaned_data") else None
        if action == "search":
            return self.page(
                request,
                _unbound_errors(form),
                client=client,
                matches=_client_matches(request.user, data.get("q", "")),
                searched=bool(data.get("q", "").strip()),
            )
        if action == "find":
            free = []
            if form.services():
                day = form.cleaned_data.get("day") or timezone.localdate()
                after = availability.local_instant(day, dt.time(0), availability.tenant_zone())
                free = _free_times(form, after=after)
            return self.page(request, _unbound_errors(form), client=client, free=free)
        if not valid:
            return self.page(request, form, client=client, status=400)
        return self.book(request, form, client)

    def book(self, request, form, client):
        if client is None:
            values = {
                "name": form.cleaned_data["new_name"].strip(),
                "mobile": form.cleaned_data["new_mobile"],
            }
            held = duplicates.held_for_duplicates(request, values)
            if held:
                return self.page(request, form, duplicates=held, status=400)
        starts_at = form.starts_at()
        new_client = client is None
        booking = {
            "services": form.services(),
            "starts_at": starts_at,
            "staff": form.staff_member(),
            "channel": form.cleaned_data["channel"],
            "actor": request.user,
            "note": form.cleaned_data["note"],
            "respect_hours": not form.cleaned_data["outside_hours"],
        }
        try:
            if new_client:
                made = services.appointment_book_new_client(client_values=values, **booking)
                client = made[0].client
            else:
                made = services.appointment_book(client=client, **booking)
        except SlotTaken as taken:
            form.add_error("time", taken.messages)
            client = None if new_client else client
            return self.page(
                request, form, client=client, alternatives=taken.alternatives, status=409
            )
        except ValidationError as error:
            add_service_errors(form, error)
            client = None if new_client else client
            return self.page(request, form, client=client, status=400)
        first = made[0]
        local = timezone.localtime(first.starts_at, availability.tenant_zone())
        messages.success(
            request,
            _("Booked %(client)s on %(when)s with %(staff)s.")
            % {
                "client": client.name,
                "when": date_format(local, "SHORT_DATETIME_FORMAT"),
                "staff": str(first.staff),
            },
        )
        return redirect(_calendar_url(day=local.date().isoformat()))


def _unbound_errors(form: BookingForm) -> BookingForm:
    """The form as typed, without the errors of fields not filled in yet (a search or a
    "find free times" press is not a booking attempt)."""
    form._errors = {}
    return form


class ClientSearchView(ManageView):
    """The booking form's client search as you type (htmx): matches to pick."""

    def get(self, request):
        matches = _client_matches(request.user, request.GET.get("q", ""))
        return render(
            request,
            T + "_client_matches.html",
            {"matches": matches, "searched": bool(request.GET.get("q", "").strip())},
        )


# ---------- one appointment ----------


def _actions(appointment: Appointment) -> list[tuple[str, str]]:
    """The status buttons the appointment's current status allows, in the day's order."""
    allowed = TRANSITIONS.get(appointment.status, frozenset())
    labels = _labels()
    targets = {**ACTIONS, "complete": Status.COMPLETED}
    found = []
    for action in ("approve", "confirm", "arrive", "start", "complete", "no_show"):
        if targets[action] not in allowed:
            continue
        if action == "approve" and appointment.status != Status.REQUESTED:
            continue
        found.append((action, labels[action]))
    return found


class AppointmentView(ScheduleView):
    def get(self, request, pk: int):
        appointment = _appointment_or_404(pk)
        return self.page(request, appointment)

    def page(self, request, appointment, *, cancel_form=None, refusals=(), status=200):
        allowed = TRANSITIONS.get(appointment.status, frozenset())
        context = {
            "refusals": refusals,
            "appointment": appointment,
            "client": appointment.client,
            "group": calendar.group_of(appointment),
            "events": list(appointment.events.select_related("actor")),
            "actions": _actions(appointment),
            "can_manage": request.user.can(Capability.MANAGE_SCHEDULE),
            "can_move": Status.RESCHEDULED in allowed,
            "can_cancel": Status.CANCELLED in allowed,
            "cancel_form": cancel_form or CancelForm(),
            "late": services.is_late(appointment) if Status.CANCELLED in allowed else False,
            "moved_from": Appointment.objects.filter(rescheduled_to=appointment).first(),
            "visit_record": _visit_record(request.user, appointment, appointment.visit)
            if appointment.visit_id
            else None,
        }
        return render(request, T + "detail.html", context, status=status)


def _visit_record(user, appointment: Appointment, visit):
    """The trade's visit-record form for a completed appointment (the treatment record,
    the cleaning record…) as (label, address), when its trade is on, declares one and the
    user may write it; else None."""
    from verticals import registry

    key = appointment.service.vertical_key()
    vertical = registry.get(key)
    if vertical is None or vertical.visit_record is None or not registry.is_enabled(key):
        return None
    if not user.can(vertical.visit_record.capability):
        return None
    url = reverse(vertical.visit_record.url_name, kwargs={"visit_id": visit.pk})
    return vertical.visit_record.label, url


def _refusals(user, error: ValidationError) -> list[dict]:
    """Why a completion check refused the appointment, for the page beside the Complete
    button: each message, with the link its params carry (``url``, ``url_label``,
    ``url_capability``) when the user may follow it."""
    items = getattr(error, "error_list", None) or [ValidationError(m) for m in error.messages]
    found = []
    for item in items:
        params = item.params if isinstance(item.params, dict) else {}
        text = str(item.message) % params if params else str(item.message)
        url = params.get("url") or ""
        capability = params.get("url_capability")
        if capability is not None and not isinstance(capability, Capability | ExtraCapability):
            url = ""  # a capability not spelt through its enum: no link rather than a guess
        elif not str(url).startswith("/") or (capability and not user.can(capability)):
            url = ""
        label = params.get("url_label") or _("Put it right")
        found.append({"message": text, "url": url, "label": str(label)})
    return found


def _visit_record_url(user, appointment: Appointment, visit) -> str:
    found = _visit_record(user, appointment, visit)
    return found[1] if found else ""


class AppointmentActionView(ManageView):
    """POST: a status change of the appointment page or the arrivals panel."""

    def post(self, request, pk: int):
        appointment = _appointment_or_404(pk)
        action = request.POST.get("action", "")
        back = request.POST.get("next", "")
        if back != "calendar":
            back = ""
        try:
            if action in ACTIONS:
                services.appointment_transition(
                    appointment=appointment, to=ACTIONS[action], actor=request.user
                )
                done = {
                    "approve": _("Approved."),
                    "confirm": _("Confirmed."),
                    "arrive": _("%(client)s checked in."),
                    "start": _("Started."),
                    "no_show": _("Marked as a no-show."),
                }[action]
                messages.success(request, done % {"client": appointment.client.name})
            elif action == "complete":
                try:
                    visit = services.appointment_complete(
                        appointment=appointment, actor=request.user
                    )
                except ValidationError as refused:
                    if Status.COMPLETED not in TRANSITIONS.get(appointment.status, frozenset()):
                        raise  # not a step from here: said as for any other step
                    # A check refused it: said beside the Complete button, with the way to
                    # put it right; nothing was written.
                    appointment = _appointment_or_404(pk)
                    refusals = _refusals(request.user, refused)
                    view = AppointmentView()
                    return view.page(request, appointment, refusals=refusals, status=400)
                messages.success(request, _("Completed; the visit is in the client file."))
                record_url = _visit_record_url(request.user, appointment, visit)
                if record_url:
                    return redirect(record_url)
            elif action == "cancel":
                form = CancelForm(request.POST)
                if not form.is_valid():
                    view = AppointmentView()
                    return view.page(request, appointment, cancel_form=form, status=400)
                services.appointment_cancel(
                    appointment=appointment,
                    by=form.cleaned_data["by"],
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
                messages.success(request, _("Cancelled."))
            else:
                raise Http404
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        if back == "calendar":
            day = timezone.localtime(appointment.starts_at, availability.tenant_zone()).date()
            return redirect(_calendar_url(day=day.isoformat()))
        return redirect("scheduling:appointment", pk=appointment.pk)


class MoveView(ManageView):
    """Move an appointment: from a drag on the calendar (``start`` and ``staff`` in the
    query string) or by hand. The page says what changes before anything is saved."""

    def get(self, request, pk: int):
        appointment = _appointment_or_404(pk)
        zone = availability.tenant_zone()
        current = timezone.localtime(appointment.starts_at, zone)
        start = _instant(request.GET.get("start"))
        if start is not None and timezone.is_aware(start):
            start = timezone.localtime(start, zone)
        target = start or current
        staff = _int_param(request.GET.get("staff")) or appointment.staff_id
        form = MoveForm(
            initial={
                "day": target.date(),
                "time": target.time().replace(second=0),
                "staff": str(staff),
                "whole_visit": True,
            }
        )
        return self.page(request, appointment, form, proposed=start is not None)

    def page(self, request, appointment, form, *, proposed=False, alternatives=None, status=200):
        change = None
        if form.is_bound:
            data = dict(getattr(form, "cleaned_data", {}))
            for name in ("day", "time", "staff"):  # kept as typed when the service refused
                if name not in data:
                    with contextlib.suppress(ValidationError):
                        data[name] = form.fields[name].clean(form[name].value())
        else:
            data = {name: form.initial[name] for name in ("day", "time", "staff")}
        if all(data.get(name) for name in ("day", "time", "staff")):
            new_start = availability.local_instant(
                data["day"], data["time"], availability.tenant_zone()
            )
            new_staff = form.staff_objects.get(str(data["staff"]))
            change = {
                "new_start": new_start,
                "new_staff": new_staff,
                "time_changes": new_start != appointment.starts_at,
                "staff_changes": new_staff is not None and new_staff.pk != appointment.staff_id,
            }
        context = {
            "appointment": appointment,
            "form": form,
            "change": change,
            "proposed": proposed,
            "alternatives": alternatives,
            "can_move": Status.RESCHEDULED in TRANSITIONS.get(appointment.status, frozenset()),
            # the other services booked in the same sequence stay where they are
            "others": [a for a in calendar.group_of(appointment) if a.pk != appointment.pk],
        }
        return render(request, T + "move.html", context, status=status)

    def post(self, request, pk: int):
        appointment = _appointment_or_404(pk)
        data = request.POST.copy()
        pick = _instant(request.POST.get("pick"))
        if pick is not None:
            local = timezone.localtime(pick, availability.tenant_zone())
            data["day"], data["time"] = local.date().isoformat(), local.strftime("%H:%M")
        form = MoveForm(data)
        if not form.is_valid():
            return self.page(request, appointment, form, status=400)
        if request.POST.get("action") != "move" or pick is not None:
            # Changed by hand, or a free time picked: show what changes first.
            return self.page(request, appointment, form, proposed=True)
        try:
            moved = services.appointment_reschedule(
                appointment=appointment,
                starts_at=form.starts_at(),
                staff=form.staff_member(),
                reason=form.cleaned_data["reason"],
                actor=request.user,
                respect_hours=not form.cleaned_data["outside_hours"],
                with_visit=form.cleaned_data["whole_visit"],
            )
        except SlotTaken as taken:
            form.add_error("time", taken.messages)
            return self.page(
                request, appointment, form, alternatives=taken.alternatives, status=409
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.page(request, appointment, form, status=400)
        local = timezone.localtime(moved.starts_at, availability.tenant_zone())
        messages.success(
            request,
            _("Moved to %(when)s with %(staff)s.")
            % {"when": date_format(local, "SHORT_DATETIME_FORMAT"), "staff": str(moved.staff)},
        )
        return redirect(_calendar_url(day=local.date().isoformat()))
