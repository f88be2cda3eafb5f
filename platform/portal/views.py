from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from core.forms import add_service_errors
from portal import dashboard, selectors
from portal.forms import BusinessSettingsForm, ClinicalModulesForm
from portal.mixins import CapabilityRequiredMixin
from portal.services import business_settings_save


class DashboardView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_DASHBOARD

    def get(self, request):
        tenant = connection.tenant
        context = {
            "now": timezone.localtime(),
            "summary": selectors.dashboard_summary(tenant=tenant, user=request.user),
            "widgets": dashboard.widgets_for(request),
        }
        return render(request, "portal/dashboard.html", context)


class SettingsView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    template_name = "portal/settings.html"

    def get(self, request):
        form = BusinessSettingsForm(initial=BusinessSettingsForm.initial_for(connection.tenant))
        return render(request, self.template_name, self._context(form))

    def _context(self, form, modules_form=None) -> dict:
        return {
            "form": form,
            "modules_form": modules_form or ClinicalModulesForm(tenant=connection.tenant),
        }

    def post(self, request):
        tenant = connection.tenant
        form = BusinessSettingsForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                updated = business_settings_save(
                    tenant=tenant, values=form.cleaned_data, logo=form.cleaned_data.get("logo")
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                connection.tenant = updated
                messages.success(request, _("Settings saved."))
                return redirect("portal:settings")
        return render(request, self.template_name, self._context(form), status=400)


class ClinicalModulesView(CapabilityRequiredMixin, View):
    """POST from the settings page: the trades turned on beside the business type's. One
    turned off hides its pages, tabs and menu entries; its records stay."""

    capability = Capability.MANAGE_SETTINGS

    def post(self, request):
        from tenants.services import tenant_verticals_set

        tenant = connection.tenant
        form = ClinicalModulesForm(request.POST, tenant=tenant)
        if form.is_valid():
            try:
                updated = tenant_verticals_set(
                    tenant=tenant, keys=form.cleaned_data["verticals"], actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                connection.tenant = updated
                messages.success(request, _("Clinical modules saved."))
                return redirect("portal:settings")
        settings_form = BusinessSettingsForm(initial=BusinessSettingsForm.initial_for(tenant))
        context = SettingsView()._context(settings_form, form)
        return render(request, SettingsView.template_name, context, status=400)


class LogoView(View):
    """The business logo, read from this tenant's own row; shown on its login page too."""

    def get(self, request):
        path = connection.tenant.logo
        if not path or not default_storage.exists(path):
            raise Http404
        response = FileResponse(default_storage.open(path, "rb"))
        response["Cache-Control"] = "private, max-age=300"
        return response
