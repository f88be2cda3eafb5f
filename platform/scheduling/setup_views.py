"""The scheduling set-up pages under /appointments/setup/: the service menu and its
categories, rooms, chairs and devices, business hours, each staff member's working hours
and time off, public holidays and the online booking rules. Owners and managers
(``schedule.setup``); a row of another business, or none, is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import User
from accounts.roles import Capability
from billing import limits
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin
from scheduling import selectors, setup
from scheduling.models import (
    BookingSettings,
    BusinessHours,
    Holiday,
    Resource,
    Service,
    ServiceCategory,
    TimeOff,
)
from scheduling.setup_forms import (
    BookingSettingsForm,
    CategoryForm,
    HolidayForm,
    ResourceForm,
    ServiceForm,
    TimeOffForm,
    WeekForm,
)

T = "scheduling/setup/"


def _currency() -> str:
    return getattr(connection.tenant, "currency", "")


class SetupView(CapabilityRequiredMixin, View):
    capability = Capability.SETUP_SCHEDULE
    tab = ""

    def page(self, request, template: str, context: dict, status: int = 200):
        context = {
            "tab": self.tab,
            "currency": _currency(),
            "online_booking_in_plan": limits.has_feature(connection.tenant, "online_booking"),
            **context,
        }
        return render(request, T + template, context, status=status)


def _saved(request, message: str, url_name: str, *args):
    messages.success(request, message)
    return redirect(reverse(f"scheduling:{url_name}", args=args))


class SetupHomeView(SetupView):
    tab = "home"

    def get(self, request):
        # Only those who perform services need hours; front desk without them is fine.
        bookable = list(selectors.bookable_staff().prefetch_related("working_hours"))
        context = {
            "service_count": Service.objects.filter(active=True).count(),
            "category_count": ServiceCategory.objects.count(),
            "resource_count": Resource.objects.filter(active=True).count(),
            "open_days": BusinessHours.objects.values("weekday").distinct().count(),
            "bookable": bookable,
            "without_hours": [u for u in bookable if not u.working_hours.all()],
            "holiday_count": Holiday.objects.count(),
            "rules": BookingSettings.load(),
        }
        return self.page(request, "home.html", context)


# ---------- services ----------


class ServiceListView(SetupView):
    tab = "services"

    def get(self, request):
        context = {
            "menu": selectors.service_menu(),
            "retired": list(
                Service.objects.filter(active=False).select_related("category").order_by("name")
            ),
        }
        return self.page(request, "services.html", context)


class ServiceFormView(SetupView):
    tab = "services"

    def _service(self, pk):
        return get_object_or_404(Service, pk=pk) if pk else None

    def _render(self, request, form, service, status=200):
        context = {
            "form": form,
            "service": service,
            "deletable": service is not None and not setup.service_was_used(service),
        }
        return self.page(request, "service_form.html", context, status)

    def get(self, request, pk: int | None = None):
        service = self._service(pk)
        form = ServiceForm(instance=service, currency=_currency())
        return self._render(request, form, service)

    def post(self, request, pk: int | None = None):
        service = self._service(pk)
        # The form works on its own copy: the service compares the row before and after.
        form = ServiceForm(data=request.POST, instance=self._service(pk), currency=_currency())
        if form.is_valid():
            try:
                setup.service_save(
                    service=service,
                    values=form.service_values(),
                    staff=form.cleaned_data["staff"],
                    resources=form.cleaned_data["resources"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, _("Service saved."), "setup_services")
        return self._render(request, form, service, status=400)


class ServiceStateView(SetupView):
    """Retire, offer again or delete (a service never booked)."""

    def post(self, request, pk: int, action: str):
        if action not in ("retire", "reoffer", "delete"):
            raise Http404
        service = get_object_or_404(Service, pk=pk)
        try:
            if action == "retire":
                setup.service_retire(service=service, actor=request.user)
                done = _("“%(name)s” is no longer offered; its history stays.")
            elif action == "reoffer":
                setup.service_reoffer(service=service, actor=request.user)
                done = _("“%(name)s” is offered again.")
            else:
                setup.service_delete(service=service, actor=request.user)
                done = _("“%(name)s” deleted.")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(reverse("scheduling:setup_service_edit", args=[pk]))
        return _saved(request, done % {"name": service.name}, "setup_services")


# ---------- categories ----------


class CategoryListView(SetupView):
    tab = "categories"

    def _render(self, request, form, status=200):
        categories = ServiceCategory.objects.all()
        return self.page(
            request, "categories.html", {"form": form, "categories": categories}, status
        )

    def get(self, request):
        return self._render(request, CategoryForm())

    def post(self, request):
        form = CategoryForm(data=request.POST)
        if form.is_valid():
            try:
                setup.category_save(category=None, values=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, _("Category added."), "setup_categories")
        return self._render(request, form, status=400)


class CategoryEditView(SetupView):
    tab = "categories"

    def get(self, request, pk: int):
        category = get_object_or_404(ServiceCategory, pk=pk)
        form = CategoryForm(instance=category)
        return self.page(request, "category_form.html", {"form": form, "category": category})

    def post(self, request, pk: int):
        category = get_object_or_404(ServiceCategory, pk=pk)
        form = CategoryForm(data=request.POST, instance=get_object_or_404(ServiceCategory, pk=pk))
        try:
            if "delete" in request.POST:
                setup.category_delete(category=category, actor=request.user)
                return _saved(request, _("Category deleted."), "setup_categories")
            if form.is_valid():
                setup.category_save(category=category, values=form.cleaned_data, actor=request.user)
                return _saved(request, _("Category saved."), "setup_categories")
        except ValidationError as exc:
            add_service_errors(form, exc)
        context = {"form": form, "category": category}
        return self.page(request, "category_form.html", context, status=400)


# ---------- rooms, chairs and devices ----------


class ResourceListView(SetupView):
    tab = "resources"

    def _render(self, request, form, status=200):
        context = {"form": form, "resources": Resource.objects.prefetch_related("services")}
        return self.page(request, "resources.html", context, status)

    def get(self, request):
        return self._render(request, ResourceForm())

    def post(self, request):
        form = ResourceForm(data=request.POST)
        if form.is_valid():
            try:
                setup.resource_save(resource=None, values=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, _("Room, chair or device added."), "setup_resources")
        return self._render(request, form, status=400)


class ResourceEditView(SetupView):
    tab = "resources"

    def get(self, request, pk: int):
        resource = get_object_or_404(Resource, pk=pk)
        form = ResourceForm(instance=resource)
        return self.page(request, "resource_form.html", {"form": form, "resource": resource})

    def post(self, request, pk: int):
        resource = get_object_or_404(Resource, pk=pk)
        if "retire" in request.POST or "reactivate" in request.POST:
            if "retire" in request.POST:
                setup.resource_retire(resource=resource, actor=request.user)
            else:
                setup.resource_reactivate(resource=resource, actor=request.user)
            return _saved(request, _("Saved."), "setup_resources")
        form = ResourceForm(data=request.POST, instance=get_object_or_404(Resource, pk=pk))
        if form.is_valid():
            try:
                setup.resource_save(resource=resource, values=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, _("Saved."), "setup_resources")
        context = {"form": form, "resource": resource}
        return self.page(request, "resource_form.html", context, status=400)


# ---------- hours ----------


class BusinessHoursView(SetupView):
    tab = "hours"

    def _render(self, request, form, status=200):
        return self.page(request, "business_hours.html", {"form": form}, status)

    def get(self, request):
        return self._render(request, WeekForm(week=setup.business_week()))

    def post(self, request):
        form = WeekForm(data=request.POST)
        if form.is_valid():
            try:
                setup.business_hours_set(hours=form.cleaned_data["week"], actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, _("Business hours saved."), "setup_hours")
        return self._render(request, form, status=400)


class StaffListView(SetupView):
    tab = "staff"

    def get(self, request):
        staff = User.objects.filter(is_active=True).prefetch_related(
            "working_hours", "services_performed"
        )
        return self.page(request, "staff.html", {"staff": staff})


class StaffHoursView(SetupView):
    """One staff member's week (with a break) and their time off."""

    tab = "staff"

    def _staff(self, pk: int) -> User:
        return get_object_or_404(User, pk=pk, is_active=True)

    def _render(self, request, person, form, time_off_form, status=200):
        context = {
            "person": person,
            "form": form,
            "time_off_form": time_off_form,
            "time_off": TimeOff.objects.filter(staff=person).order_by("-starts_at")[:50],
            "services": person.services_performed.filter(active=True),
        }
        return self.page(request, "staff_hours.html", context, status)

    def get(self, request, pk: int):
        person = self._staff(pk)
        form = WeekForm(week=setup.staff_week(person), open_label=_("Works"))
        return self._render(request, person, form, TimeOffForm())

    def post(self, request, pk: int):
        person = self._staff(pk)
        if request.POST.get("form") == "time_off":
            time_off_form = TimeOffForm(data=request.POST)
            if time_off_form.is_valid():
                try:
                    setup.time_off_add(
                        staff=person, actor=request.user, **time_off_form.cleaned_data
                    )
                except ValidationError as exc:
                    add_service_errors(time_off_form, exc)
                else:
                    return _saved(request, _("Time off added."), "setup_staff_hours", pk)
            form = WeekForm(week=setup.staff_week(person), open_label=_("Works"))
            return self._render(request, person, form, time_off_form, status=400)
        form = WeekForm(data=request.POST, open_label=_("Works"))
        if form.is_valid():
            try:
                setup.working_hours_set(
                    staff=person, hours=form.cleaned_data["week"], actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, _("Working hours saved."), "setup_staff_hours", pk)
        return self._render(request, person, form, TimeOffForm(), status=400)


class TimeOffDeleteView(SetupView):
    def post(self, request, pk: int):
        time_off = get_object_or_404(TimeOff, pk=pk)
        staff_id = time_off.staff_id
        setup.time_off_delete(time_off=time_off, actor=request.user)
        return _saved(request, _("Time off deleted."), "setup_staff_hours", staff_id)


# ---------- holidays ----------


class HolidayListView(SetupView):
    tab = "holidays"

    def _render(self, request, form, status=200):
        return self.page(
            request, "holidays.html", {"form": form, "holidays": Holiday.objects.all()}, status
        )

    def get(self, request):
        return self._render(request, HolidayForm())

    def post(self, request):
        form = HolidayForm(data=request.POST)
        if form.is_valid():
            try:
                setup.holiday_save(holiday=None, values=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, _("Holiday added."), "setup_holidays")
        return self._render(request, form, status=400)


class HolidayDeleteView(SetupView):
    def post(self, request, pk: int):
        holiday = get_object_or_404(Holiday, pk=pk)
        setup.holiday_delete(holiday=holiday, actor=request.user)
        return _saved(request, _("Holiday deleted."), "setup_holidays")


# ---------- online booking rules ----------


class BookingRulesView(SetupView):
    tab = "online"

    def _render(self, request, form, status=200):
        return self.page(request, "online.html", {"form": form}, status)

    def get(self, request):
        return self._render(request, BookingSettingsForm(instance=BookingSettings.load()))

    def post(self, request):
        form = BookingSettingsForm(data=request.POST, instance=BookingSettings.load())
        if form.is_valid():
            try:
                setup.booking_settings_update(values=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, _("Online booking rules saved."), "setup_online")
        return self._render(request, form, status=400)
