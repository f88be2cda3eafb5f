"""The operator console's billing forms: a plan with its prices, granting a plan and
extending a trial."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.models import Plan
from billing.services import MAX_TRIAL_EXTENSION_DAYS, PLAN_FIELDS, PriceInput
from tenants.forms import ReasonForm
from tenants.models import Currency


def _price_field(label) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "class": "w-sm"}),
    )


class PlanForm(forms.ModelForm):
    """A plan's fields, and for each currency its monthly and yearly price (both empty:
    not sold in that currency)."""

    class Meta:
        model = Plan
        fields = PLAN_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        existing = {p.currency: p for p in self.instance.prices.all()} if self.instance.pk else {}
        self.currency_rows = []
        for currency, label in Currency.choices:
            monthly, yearly = f"price_{currency}_monthly", f"price_{currency}_yearly"
            self.fields[monthly] = _price_field(_("%(currency)s monthly") % {"currency": currency})
            self.fields[yearly] = _price_field(_("%(currency)s yearly") % {"currency": currency})
            if currency in existing:
                self.initial[monthly] = existing[currency].monthly
                self.initial[yearly] = existing[currency].yearly
            self.currency_rows.append((label, self[monthly], self[yearly]))

    def plan_fields(self):
        return [self[name] for name in PLAN_FIELDS]

    def _post_clean(self):
        # The service validates the model (and the one default) and reports beside the field.
        pass

    def service_args(self) -> dict:
        data = self.cleaned_data
        return {
            "fields": {name: data.get(name) for name in PLAN_FIELDS},
            "prices": {
                currency: PriceInput(
                    monthly=data.get(f"price_{currency}_monthly"),
                    yearly=data.get(f"price_{currency}_yearly"),
                )
                for currency in Currency.values
            },
        }


class GrantPlanForm(ReasonForm):
    plan = forms.ModelChoiceField(
        label=pgettext_lazy("subscription", "Plan"), queryset=Plan.objects.none()
    )

    field_order = ["plan", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(active=True)
        self.fields["plan"].label_from_instance = lambda plan: plan.name

    def service_args(self) -> dict:
        return {"plan": self.cleaned_data["plan"], "reason": self.cleaned_data["reason"]}


class ExtendTrialForm(ReasonForm):
    days = forms.IntegerField(
        label=_("Days to add"), min_value=1, max_value=MAX_TRIAL_EXTENSION_DAYS, initial=14
    )

    field_order = ["days", "reason"]

    def service_args(self) -> dict:
        return {"days": self.cleaned_data["days"], "reason": self.cleaned_data["reason"]}
