"""Online booking for clients, public (no login), under ``/book/`` on the business's own
host: service → staff member or "anyone" → a free time (a day at a time, in the
business's time zone) → name and phone → confirmation with a signed link through which
the client cancels or moves the booking.

Nothing here needs a login: the staff portal asks for one view by view
(``CapabilityRequiredMixin``), and these views simply do not use it. They read only the
service menu, free times and the one booking a signed link names; no client file, no
health data. Every answer is ``no-store`` (the details typed in and the booking are
personal)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from django.views import View
from django.views.decorators.cache import never_cache

from billing import limits
from core import ratelimit
from core.forms import add_service_errors
from core.http import client_ip
from scheduling import online, phone_codes
from scheduling.booking_forms import CancelForm, DetailsForm, MoveForm, format_at, parse_at
from scheduling.errors import SlotTaken
from scheduling.models import BookingSettings, Status
from scheduling.services import is_late

T = "scheduling/book/"


def _client_language(request) -> None:
    """The client's own choice (the language cookie, set by the switch on the page) wins;
    without one, the browser's Accept-Language, then the business's default."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    for code, _quality in parse_accept_lang_header(header):
        try:
            language = translation.get_supported_language_variant(code)
        except LookupError:
            continue
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return


def _menu(services) -> list[dict]:
    groups: dict = {}
    for service in services:
        key = service.category_id or 0
        if key not in groups:
            groups[key] = {"category": service.category, "services": []}
        groups[key]["services"].append(service)
    loose = groups.pop(0, None)
    return [*groups.values(), *([loose] if loose else [])]


@method_decorator(never_cache, name="dispatch")
class BookingView(View):
    """The common part: the business, its rules, the language; closed when the business
    takes no bookings online."""

    open_only = True

    def dispatch(self, request, *args, **kwargs):
        _client_language(request)
        self.rules = BookingSettings.load()
        self.tenant = connection.tenant
        if self.open_only and not limits.has_feature(self.tenant, "online_booking"):
            # The plan has no online booking: the pages are not there (a booking already
            # made keeps its link pages, so its client can still cancel).
            return self.page(request, "unavailable.html", {}, status=404)
        if self.open_only and not self.rules.online_enabled:
            return self.page(request, "closed.html", {})
        return super().dispatch(request, *args, **kwargs)

    def page(self, request, template: str, context: dict, status: int = 200):
        context = {
            "business": self.tenant,
            "currency": getattr(self.tenant, "currency", ""),
            "rules": self.rules,
            **context,
        }
        return render(request, T + template, context, status=status)

    # ----- what the path and query name -----

    def service(self, service_id: int):
        service = online.online_service(service_id)
        if service is None:
            raise Http404
        return service

    def staff(self, service, value: str):
        """The chosen performer, or None for "anyone"; someone else is 404."""
        if value in ("", "any"):
            return None
        for person in online.performers(service):
            if str(person.pk) == value:
                return person
        raise Http404

    def day(self, value: str, win: online.Window) -> dt.date:
        try:
            day = dt.date.fromisoformat(value) if value else win.first_day
        except ValueError:
            day = win.first_day
        return min(max(day, win.first_day), win.last_day)

    # ----- rate limits -----

    def limited(self, request, phone: str = "") -> bool:
        """Count one attempt from this address (and for this phone); True once either has
        tried too often within the window."""
        keys = [(f"book:addr:{client_ip(request)}", settings.ONLINE_BOOKING_RATE_PER_ADDRESS)]
        if phone:
            keys.append((f"book:phone:{phone}", settings.ONLINE_BOOKING_RATE_PER_PHONE))
        return _over_limit(keys)

    def codes_limited(self, request, phone: str) -> bool:
        """Count one code texted from this address to this phone; True once either has
        had too many within the window."""
        return _over_limit(
            [
                (f"book:code:addr:{client_ip(request)}", phone_codes.SENDS_PER_ADDRESS),
                (f"book:code:phone:{phone}", phone_codes.SENDS_PER_PHONE),
            ]
        )


def _over_limit(keys: list[tuple[str, int]]) -> bool:
    """True when any key has reached its limit; otherwise count one more under each."""
    if any(ratelimit.count(key) >= limit for key, limit in keys):
        return True
    for key, _limit_value in keys:
        ratelimit.hit(key, window_seconds=settings.ONLINE_BOOKING_RATE_WINDOW_SECONDS)
    return False


def _staff_param(staff) -> str:
    return str(staff.pk) if staff is not None else "any"


def _times_url(service, staff, day: dt.date | None = None) -> str:
    query = {"staff": _staff_param(staff)}
    if day is not None:
        query["day"] = day.isoformat()
    return f"{reverse('booking:times', args=[service.pk])}?{urlencode(query)}"


def _details_url(service, staff, at: dt.datetime) -> str:
    query = {"staff": _staff_param(staff), "at": format_at(at)}
    return f"{reverse('booking:details', args=[service.pk])}?{urlencode(query)}"


class HomeView(BookingView):
    def get(self, request):
        return self.page(request, "home.html", {"menu": _menu(online.online_services())})


class StaffView(BookingView):
    def get(self, request, service_id: int):
        service = self.service(service_id)
        people = online.performers(service)
        choices = [
            {"label": _("Anyone available"), "url": _times_url(service, None), "anyone": True}
        ] + [{"label": p.full_name or p.email, "url": _times_url(service, p)} for p in people]
        return self.page(request, "staff.html", {"service": service, "choices": choices})


def _day_links(day: dt.date, win: online.Window, url) -> dict:
    one = dt.timedelta(days=1)
    return {
        "prev_url": url(day - one) if day > win.first_day else "",
        "next_url": url(day + one) if day < win.last_day else "",
    }


class TimesView(BookingView):
    def get(self, request, service_id: int):
        service = self.service(service_id)
        staff = self.staff(service, request.GET.get("staff", ""))
        win = online.window(self.rules)
        day = self.day(request.GET.get("day", ""), win)
        staff_id = staff.pk if staff else None
        slots = online.slots_on(service=service, staff_id=staff_id, day=day, win=win)
        context = {
            "service": service,
            "staff": staff,
            "day": day,
            "slots": [
                {"at": o.starts_at, "url": _details_url(service, staff, o.starts_at)} for o in slots
            ],
            "staff_url": reverse("booking:staff", args=[service.pk]),
            **_day_links(day, win, lambda d: _times_url(service, staff, d)),
        }
        if not slots:
            free = online.next_free_day(service=service, staff_id=staff_id, after=day, win=win)
            context["next_free_url"] = _times_url(service, staff, free) if free else ""
            context["next_free_day"] = free
        return self.page(request, "times.html", context)


class DetailsView(BookingView):
    """The chosen time, then name and phone; posting books."""

    def _context(self, service, staff, at, form, **extra) -> dict:
        return {
            "service": service,
            "staff": staff,
            "at": at,
            "form": form,
            "times_url": _times_url(
                service,
                staff,
                at.astimezone(timezone.get_current_timezone()).date() if at else None,
            ),
            # The code box stays once shown (its field is posted, even empty).
            "verifying": self.rules.verify_phone and "code" in self.request.POST,
            **extra,
        }

    def get(self, request, service_id: int):
        service = self.service(service_id)
        staff = self.staff(service, request.GET.get("staff", ""))
        at = parse_at(request.GET.get("at", ""))
        win = online.window(self.rules)
        if at is None or not win.allows(at):
            return redirect(_times_url(service, staff))
        form = DetailsForm(initial={"at": format_at(at)})
        return self.page(request, "details.html", self._context(service, staff, at, form))

    def post(self, request, service_id: int):
        service = self.service(service_id)
        staff = self.staff(service, request.POST.get("staff", request.GET.get("staff", "")))
        form = DetailsForm(request.POST)
        valid = form.is_valid()
        at = form.cleaned_data.get("at") if valid else parse_at(request.POST.get("at", ""))
        phone = form.cleaned_data.get("phone", "") if valid else ""
        if self.limited(request, phone):
            form.add_error(
                None, _("Too many booking attempts. Please wait an hour, or call us to book.")
            )
            return self.page(
                request, "details.html", self._context(service, staff, at, form), status=429
            )
        if not valid:
            return self.page(
                request, "details.html", self._context(service, staff, at, form), status=400
            )
        data = form.cleaned_data
        if self.rules.verify_phone and not phone_codes.is_verified(request, data["phone"]):
            unverified = self.verify_phone(request, service, staff, at, form)
            if unverified is not None:
                return unverified
        try:
            appointment = online.online_book(
                service=service,
                staff=staff,
                starts_at=data["at"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                note=data["note"],
            )
        except SlotTaken as taken:
            form.add_error(None, taken.messages)
            alternatives = [
                {"at": o.starts_at, "url": _details_url(service, staff, o.starts_at)}
                for o in taken.alternatives
            ]
            context = self._context(service, staff, at, form, alternatives=alternatives, taken=True)
            return self.page(request, "details.html", context, status=409)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.page(
                request, "details.html", self._context(service, staff, at, form), status=400
            )
        return redirect("booking:done", token=online.manage_token(appointment))

    def verify_phone(self, request, service, staff, at, form):
        """The code step: check the code typed (None once it is right: booking goes on),
        or text one (the first time, or when asked for a new one) and ask for it."""
        phone = form.cleaned_data["phone"]
        code = form.cleaned_data["code"]
        try:
            online.check_bookable(service=service, starts_at=at, phone=phone, rules=self.rules)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.page(request, "details.html", self._context(service, staff, at, form), 400)
        context = self._context(service, staff, at, form, verifying=True)
        if code and not request.POST.get("new_code"):
            try:
                phone_codes.phone_code_check(phone=phone, code=code)
            except ValidationError as exc:
                add_service_errors(form, exc)
                return self.page(request, "details.html", context, status=400)
            phone_codes.remember_verified(request, phone)
            return None
        if self.codes_limited(request, phone):
            form.add_error(
                "code",
                _("Too many codes were sent to this number. Please wait an hour, or call us."),
            )
            return self.page(request, "details.html", context, status=429)
        phone_codes.phone_code_send(phone=phone, language=translation.get_language())
        form.data = form.data.copy()
        form.data["code"] = ""  # the new code goes in an empty box
        context["code_sent_to"] = request.POST.get("phone", "")
        return self.page(request, "details.html", context)


@method_decorator(never_cache, name="dispatch")
class LinkView(BookingView):
    """A page reached through the signed link: the booking it names, or a clear refusal."""

    open_only = False

    def dispatch(self, request, *args, **kwargs):
        _client_language(request)
        self.rules = BookingSettings.load()
        self.tenant = connection.tenant
        try:
            self.appointment = online.manage_find(kwargs["token"])
        except online.LinkError as error:
            status = 404 if error.reason == "invalid" else 400
            return self.page(request, "link_refused.html", {"reason": error.reason}, status=status)
        return View.dispatch(self, request, *args, **kwargs)

    def manage_context(self, **extra) -> dict:
        appointment = self.appointment
        token = self.kwargs["token"]
        changeable = online.can_change(appointment, self.rules)
        return {
            "appointment": appointment,
            "service": appointment.service,
            "staff": appointment.staff,
            "token": token,
            "manage_url": self.request.build_absolute_uri(reverse("booking:manage", args=[token])),
            "changeable": changeable,
            "late": changeable and is_late(appointment),
            "requested": appointment.status == Status.REQUESTED,
            "cancelled": appointment.status == Status.CANCELLED,
            "cancel_form": CancelForm(),
            **extra,
        }


class DoneView(LinkView):
    def get(self, request, token: str):
        return self.page(request, "manage.html", self.manage_context(just_booked=True))


class ManageView(LinkView):
    def get(self, request, token: str):
        return self.page(request, "manage.html", self.manage_context())


class CancelView(LinkView):
    def post(self, request, token: str):
        form = CancelForm(request.POST)
        if self.limited(request):
            form.add_error(None, _("Too many attempts. Please wait an hour, or call us."))
            return self.page(
                request, "manage.html", self.manage_context(cancel_form=form), status=429
            )
        if form.is_valid():
            try:
                online.online_cancel(
                    appointment=self.appointment, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your booking is cancelled."))
                return redirect("booking:manage", token=token)
        return self.page(request, "manage.html", self.manage_context(cancel_form=form), status=400)


class MoveView(LinkView):
    """Another time for the same service with the same staff member."""

    def _page(self, request, form=None, day=None, status=200, **extra):
        appointment = self.appointment
        token = self.kwargs["token"]
        win = online.window(self.rules)
        day = day or self.day(request.GET.get("day", ""), win)
        base = reverse("booking:move", args=[token])
        ignore = [appointment.pk]
        slots = online.slots_on(
            service=appointment.service,
            staff_id=appointment.staff_id,
            day=day,
            win=win,
            ignore_appointments=ignore,
        )
        context = self.manage_context(
            form=form or MoveForm(),
            day=day,
            slots=[
                {"at": o.starts_at, "value": format_at(o.starts_at)}
                for o in slots
                if o.starts_at != appointment.starts_at  # where it already is
            ],
            **_day_links(day, win, lambda d: f"{base}?{urlencode({'day': d.isoformat()})}"),
            **extra,
        )
        if not slots:
            free = online.next_free_day(
                service=appointment.service,
                staff_id=appointment.staff_id,
                after=day,
                win=win,
                ignore_appointments=ignore,
            )
            context["next_free_day"] = free
            context["next_free_url"] = (
                f"{base}?{urlencode({'day': free.isoformat()})}" if free else ""
            )
        return self.page(request, "move.html", context, status=status)

    def get(self, request, token: str):
        if not online.can_change(self.appointment, self.rules):
            return redirect("booking:manage", token=token)
        return self._page(request)

    def post(self, request, token: str):
        form = MoveForm(request.POST)
        if self.limited(request):
            form.add_error(None, _("Too many attempts. Please wait an hour, or call us."))
            return self._page(request, form, status=429)
        if not form.is_valid():
            return self._page(request, form, status=400)
        at = form.cleaned_data["at"]
        try:
            online.online_reschedule(appointment=self.appointment, starts_at=at)
        except SlotTaken as taken:
            form.add_error(None, taken.messages)
            zone = timezone.get_current_timezone()
            alternatives = [
                {"at": o.starts_at, "value": format_at(o.starts_at)} for o in taken.alternatives
            ]
            return self._page(
                request,
                form,
                day=at.astimezone(zone).date(),
                status=409,
                alternatives=alternatives,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self._page(request, form, status=400)
        messages.success(request, _("Your booking has moved."))
        return redirect("booking:manage", token=token)
