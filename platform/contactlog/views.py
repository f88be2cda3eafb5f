"""Contact-log pages and the follow-up list. Who may do what:

- read the Contact log tab and one's own follow-ups: anyone who may look up clients;
- log a contact: anyone who may edit client files or run care campaigns (front desk,
  practitioners, managers, marketing, owners);
- edit or delete an entry, or mark its follow-up done: the staff member it names or who
  wrote it, and anyone who manages staff (owners, managers) — contactlog.services holds
  this rule;
- see everyone's follow-ups on the list: anyone who manages staff.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from accounts.selectors import staff_choices
from clients.selectors import client_for_page
from clients.services import phone_region
from contactlog import selectors, services
from contactlog.forms import ContactEntryForm
from contactlog.models import ContactEntry
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin

PAGE_SIZE = 50


def can_see_all_follow_ups(user) -> bool:
    return user.can(Capability.MANAGE_STAFF)


def _tab_url(client_id: int) -> str:
    return reverse("clients:detail_tab", kwargs={"pk": client_id, "tab": "contacts"})


def contacts_tab_context(request, client) -> dict:
    page = Paginator(selectors.client_contacts(client=client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    can_log = services.contact_may_log(request.user) and not client.erased_at
    for entry in page.object_list:
        entry.changeable = services.contact_may_change(request.user, entry)
    return {
        "contact_page": page,
        "can_log_contacts": can_log,
        "contact_form": ContactEntryForm(user=request.user) if can_log else None,
    }


def dashboard_widget_context(request) -> dict:
    follow_ups = selectors.follow_up_list(staff=request.user, limit=10, upcoming=False)
    return {
        "follow_ups": follow_ups,
        "can_complete": services.contact_may_log(request.user),
        # Phones are shown only in rows; an empty widget needs no settings read.
        "region": phone_region() if follow_ups.overdue or follow_ups.due_today else "",
    }


class _LogMixin(CapabilityRequiredMixin):
    capability = Capability.VIEW_CLIENTS

    def role_allows(self, user) -> bool:
        return super().role_allows(user) and services.contact_may_log(user)


class ContactCreateView(_LogMixin, View):
    template_name = "contactlog/form.html"

    def get(self, request, client_pk: int):
        client = client_for_page(request.user, client_pk)
        form = ContactEntryForm(user=request.user)
        return render(request, self.template_name, {"form": form, "client": client})

    def post(self, request, client_pk: int):
        client = client_for_page(request.user, client_pk)
        form = ContactEntryForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.contact_create(
                    client=client, values=form.contact_values(), created_by=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Contact logged."))
                return redirect(_tab_url(client.pk))
        context = {"form": form, "client": client}
        return render(request, self.template_name, context, status=400)


class _EntryMixin(_LogMixin):
    def _entry(self, request, pk: int) -> ContactEntry:
        entry = get_object_or_404(ContactEntry.objects.select_related("client"), pk=pk)
        if not services.contact_may_change(request.user, entry):
            raise Http404
        return entry


class ContactEditView(_EntryMixin, View):
    template_name = "contactlog/form.html"

    def _render(self, request, form, entry, status=200):
        context = {"form": form, "client": entry.client, "entry": entry}
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk: int):
        entry = self._entry(request, pk)
        return self._render(request, ContactEntryForm(instance=entry, user=request.user), entry)

    def post(self, request, pk: int):
        entry = self._entry(request, pk)
        form = ContactEntryForm(request.POST, instance=entry, user=request.user)
        if form.is_valid():
            try:
                services.contact_update(
                    entry=entry, values=form.contact_values(), actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Contact log entry saved."))
                return redirect(_tab_url(entry.client_id))
        return self._render(request, form, entry, status=400)


class ContactDeleteView(_EntryMixin, View):
    def get(self, request, pk: int):
        entry = self._entry(request, pk)
        context = {"entry": entry, "client": entry.client}
        return render(request, "contactlog/confirm_delete.html", context)

    def post(self, request, pk: int):
        entry = self._entry(request, pk)
        client_id = entry.client_id
        services.contact_delete(entry=entry, actor=request.user)
        messages.success(request, _("Contact log entry deleted."))
        return redirect(_tab_url(client_id))


class FollowUpDoneView(_EntryMixin, View):
    """POST only. From htmx it answers with the entry's row in its new state; otherwise it
    goes back where the form said (a local URL) or to the client's contact log."""

    def post(self, request, pk: int):
        entry = self._entry(request, pk)
        entry = services.contact_follow_up_done(entry=entry, actor=request.user)
        if request.htmx:
            return render(
                request,
                "contactlog/_follow_up_row.html",
                {
                    "entry": entry,
                    "can_complete": True,
                    "show_staff": bool(request.POST.get("show_staff")),
                    "today": timezone.localdate(),
                    "region": phone_region(),
                },
            )
        messages.success(request, _("Follow-up marked done."))
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = _tab_url(entry.client_id)
        return redirect(target)


class FollowUpListView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_CLIENTS

    def get(self, request):
        see_all = can_see_all_follow_ups(request.user)
        who = request.GET.get("who", "mine")
        staff, staff_list = request.user, None
        if see_all:
            staff_list = list(staff_choices())
            if who == "all":
                staff = None
            elif who.isdigit():
                staff = next((s for s in staff_list if s.pk == int(who)), request.user)
        if staff is request.user:
            who = "mine"
        context = {
            "follow_ups": selectors.follow_up_list(staff=staff),
            "who": who,
            "selected_staff": staff,
            "staff_list": staff_list,
            "can_complete": services.contact_may_log(request.user),
            "show_staff": staff is None,
            "region": phone_region(),
        }
        return render(request, "contactlog/follow_ups.html", context)
