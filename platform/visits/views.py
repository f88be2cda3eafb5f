"""Visit history pages. Who may do what:

- the Visits tab: anyone who may look up clients (date, items, practitioner, satisfaction,
  the amount taken on the visit's bills); efficacy evaluation and the client's
  suggestions are clinical notes and are shown only with ``clients.health``;
- add and edit: anyone who may edit client files (front desk records visits at the till);
  the clinical fields are in the form only for ``treatment.record``, and a save by anyone
  else leaves them as they were;
- delete: anyone who may edit client files, unless the visit holds clinical notes; then
  only ``treatment.record`` may delete it.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from clients.selectors import client_for_page
from core.forms import add_service_errors
from finance.summary import visit_amounts
from portal.mixins import CapabilityRequiredMixin
from visits import selectors, services
from visits.forms import VisitForm
from visits.models import Visit

PAGE_SIZE = 50


def _currency() -> str:
    return getattr(connection.tenant, "currency", "")


def _tab_url(client_id: int) -> str:
    return reverse("clients:detail_tab", kwargs={"pk": client_id, "tab": "visits"})


def visits_tab_context(request, client) -> dict:
    page = Paginator(selectors.client_visits(client=client), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    # What each visit cost is on its bill (one query for the page).
    page.object_list = list(page.object_list)
    billed = visit_amounts(v.pk for v in page.object_list)
    for visit in page.object_list:
        visit.billed = billed.get(visit.pk)
    return {
        "visit_page": page,
        "currency": _currency(),
        "show_clinical": request.user.can(Capability.VIEW_HEALTH),
        "can_record_visits": request.user.can(Capability.EDIT_CLIENTS) and not client.erased_at,
    }


def dashboard_widget_context(request) -> dict:
    """Today's visits on the dashboard: a practitioner's own; for everyone else (front
    desk greeting clients, managers, owners) the business's."""
    user = request.user
    own = user.can(Capability.RECORD_TREATMENT) and not user.can(Capability.MANAGE_STAFF)
    return {
        "visits": selectors.visits_on(day=timezone.localdate(), practitioner=user if own else None),
        "own": own,
    }


class _VisitFormView(CapabilityRequiredMixin, View):
    capability = Capability.EDIT_CLIENTS
    template_name = "visits/form.html"

    def _form(self, request, **kwargs) -> VisitForm:
        return VisitForm(
            clinical=request.user.can(Capability.RECORD_TREATMENT),
            **kwargs,
        )

    def _render(self, request, form, client, visit=None, status=200):
        context = {"form": form, "client": client, "visit": visit, "currency": _currency()}
        if visit is not None:
            context["billed"] = visit_amounts([visit.pk]).get(visit.pk)
        return render(request, self.template_name, context, status=status)


class VisitCreateView(_VisitFormView):
    def get(self, request, client_pk: int):
        client = client_for_page(request.user, client_pk)
        # The business's today (the tenant's time zone is active for the request).
        initial = {"practitioner": request.user.pk, "visited_on": timezone.localdate()}
        form = self._form(request, initial=initial)
        return self._render(request, form, client)

    def post(self, request, client_pk: int):
        client = client_for_page(request.user, client_pk)
        form = self._form(request, data=request.POST)
        if form.is_valid():
            try:
                services.visit_create(
                    client=client, values=form.visit_values(), created_by=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Visit recorded."))
                return redirect(_tab_url(client.pk))
        return self._render(request, form, client, status=400)


class VisitEditView(_VisitFormView):
    def _visit(self, pk: int) -> Visit:
        return get_object_or_404(Visit.objects.select_related("client"), pk=pk)

    def get(self, request, pk: int):
        visit = self._visit(pk)
        return self._render(request, self._form(request, instance=visit), visit.client, visit)

    def post(self, request, pk: int):
        visit = self._visit(pk)
        form = self._form(request, data=request.POST, instance=visit)
        if form.is_valid():
            try:
                services.visit_update(visit=visit, values=form.visit_values(), actor=request.user)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Visit saved."))
                return redirect(_tab_url(visit.client_id))
        return self._render(request, form, visit.client, visit, status=400)


class VisitDeleteView(CapabilityRequiredMixin, View):
    capability = Capability.EDIT_CLIENTS

    def _visit(self, request, pk: int) -> Visit:
        visit = get_object_or_404(Visit.objects.select_related("client", "practitioner"), pk=pk)
        if services.visit_has_clinical_notes(visit) and not request.user.can(
            Capability.RECORD_TREATMENT
        ):
            raise Http404
        return visit

    def get(self, request, pk: int):
        visit = self._visit(request, pk)
        context = {
            "visit": visit,
            "client": visit.client,
            "currency": _currency(),
            "billed": visit_amounts([visit.pk]).get(visit.pk),
        }
        return render(request, "visits/confirm_delete.html", context)

    def post(self, request, pk: int):
        visit = self._visit(request, pk)
        client_id = visit.client_id
        services.visit_delete(visit=visit, actor=request.user)
        messages.success(request, _("Visit deleted."))
        return redirect(_tab_url(client_id))
