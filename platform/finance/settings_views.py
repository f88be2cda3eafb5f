"""The till's settings page, /till/settings/ (owners and managers, ``settings.manage``),
linked from the admin section of the sidebar beside the other settings."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.roles import Capability
from core.forms import add_service_errors
from finance.models import FinanceSettings, PaymentMethod
from finance.settings_services import FIELDS, finance_settings_update
from portal.mixins import CapabilityRequiredMixin


class FinanceSettingsForm(forms.ModelForm):
    methods = forms.MultipleChoiceField(
        label=gettext_lazy("Payment methods the till takes"),
        choices=PaymentMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = FinanceSettings
        fields = list(FIELDS)
        labels = {
            "tax_rate": gettext_lazy("Tax rate (%)"),
            "tax_mode": gettext_lazy("Tax"),
            "tax_label": gettext_lazy("Name of the tax on receipts"),
            "discount_limit_percent": gettext_lazy("Largest discount without approval (%)"),
            "allow_card_transfers": gettext_lazy(
                "Balances can be moved between family members' cards"
            ),
            "seller_tax_id": gettext_lazy("Business tax ID"),
            "receipt_footer": gettext_lazy("Receipt footer"),
        }
        help_texts = {
            "tax_label": gettext_lazy("For example VAT or 增值税; empty: “Tax”."),
            "discount_limit_percent": gettext_lazy(
                "Front desk may give discounts up to this; above it an owner or manager approves."
            ),
            "receipt_footer": gettext_lazy("Printed at the foot of every receipt."),
            "allow_card_transfers": gettext_lazy(
                "Stored value and package sessions, between clients linked in one household "
                "on their Details tab; off until you switch it on."
            ),
        }
        widgets = {
            "tax_rate": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
            "discount_limit_percent": forms.NumberInput(
                attrs={"step": "0.01", "min": "0", "max": "100"}
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # Empty in the row means every method: show them all ticked.
            self.initial["methods"] = list(self.instance.methods) or list(PaymentMethod.values)

    def clean_methods(self):
        methods = self.cleaned_data.get("methods") or []
        if not methods:
            raise forms.ValidationError(
                _("Choose at least one payment method the till takes."), code="required"
            )
        return methods


class FinanceSettingsView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    template_name = "finance/settings.html"

    def get(self, request):
        form = FinanceSettingsForm(instance=FinanceSettings.load())
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        row = FinanceSettings.load()
        form = FinanceSettingsForm(request.POST, instance=row)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in FIELDS}
            try:
                finance_settings_update(actor=request.user, values=values)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Till settings saved."))
                return redirect("finance:settings")
        return render(request, self.template_name, {"form": form}, status=400)
