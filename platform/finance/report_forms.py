"""Forms of the report pages: the day, range or month a report is for, the cash count,
expenses and budgets. They parse input only; the rules are in ``finance.budgets``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from finance.models import BudgetKind, PaymentMethod

MAX_RANGE_DAYS = 370


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MoneyField(forms.DecimalField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=DateInput())


class RangeForm(forms.Form):
    UNIT_CHOICES = (("day", _("By day")), ("week", _("By week")), ("month", _("By month")))
    start = forms.DateField(label=_("From"), widget=DateInput())
    end = forms.DateField(label=_("To"), widget=DateInput())
    by = forms.ChoiceField(label=_("Group"), choices=UNIT_CHOICES, required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end must not be before the start."))
            elif (end - start).days > MAX_RANGE_DAYS:
                self.add_error("end", _("Choose at most a year."))
        data["by"] = data.get("by") or "day"
        return data


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )


class CashCountForm(forms.Form):
    counted = MoneyField(label=_("Cash counted in the drawer"))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ExpenseForm(forms.Form):
    spent_on = forms.DateField(label=_("Date"), widget=DateInput())
    category = forms.CharField(
        label=_("Category"),
        max_length=80,
        widget=forms.TextInput(attrs={"list": "expense-categories", "autocomplete": "off"}),
    )
    amount = MoneyField(label=_("Amount"))
    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=[("", "—"), *PaymentMethod.choices],
        required=False,
    )
    payee = forms.CharField(label=_("Paid to"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class BudgetForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=BudgetKind.choices)
    category = forms.CharField(
        label=_("Category"),
        max_length=80,
        required=False,
        help_text=_("Empty: the whole business."),
    )
    amount = MoneyField(label=_("Amount"), required=False, help_text=_("Empty: remove it."))


def month_of(value: str | None, default: dt.date) -> dt.date:
    form = MonthForm({"month": value}) if value else None
    if form is not None and form.is_valid():
        return form.cleaned_data["month"].replace(day=1)
    return default.replace(day=1)
