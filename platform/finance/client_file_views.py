"""The Finance tab's one form: the client's invoice details (发票抬头/税号), which every
bill issued afterwards copies. The tab itself is ``finance.client_file``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views import View

from accounts.roles import Capability
from clients import selectors as client_selectors
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin

# A bound form with errors, handed to the tab when the profile is shown again.
FORM_ATTRIBUTE = "finance_billing_form"


class BillingProfileForm(forms.Form):
    invoice_title = forms.CharField(
        label=pgettext_lazy("receipt", "Invoice title"), max_length=120, required=False
    )
    tax_id = forms.CharField(
        label=pgettext_lazy("receipt", "Tax ID"), max_length=40, required=False
    )


class BillingProfileView(CapabilityRequiredMixin, View):
    capability = Capability.TAKE_PAYMENTS

    def post(self, request, pk: int):
        from clients.views import tab_with_form
        from finance import bills

        client = client_selectors.client_for_page(request.user, pk)
        form = BillingProfileForm(request.POST)
        if form.is_valid():
            try:
                bills.billing_profile_update(
                    client=client,
                    actor=request.user,
                    invoice_title=form.cleaned_data["invoice_title"],
                    tax_id=form.cleaned_data["tax_id"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Invoice details saved."))
                return redirect("clients:detail_tab", pk=client.pk, tab="finance")
        # The profile's Finance tab again, the errors beside their fields.
        return tab_with_form(request, pk=pk, tab="finance", attribute=FORM_ATTRIBUTE, form=form)
