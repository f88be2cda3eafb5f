"""Forms of the scheduling set-up pages. They parse what was typed; the rules live in
``scheduling.setup``, whose errors the views show beside the fields they name."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from scheduling.models import (
    BookingSettings,
    Holiday,
    Resource,
    Service,
    ServiceCategory,
    Weekday,
)
from scheduling.setup import BOOKING_SETTINGS_FIELDS, SERVICE_FIELDS
from verticals import registry

TIME = {"type": "time"}


class _RulesInServices:
    """Names are checked by the services (one translated message per rule); the form
    does not run the model's unique checks a second time."""

    def validate_unique(self) -> None:
        return None


class CategoryForm(_RulesInServices, forms.ModelForm):
    class Meta:
        model = ServiceCategory
        fields = ["name", "order"]


class ServiceForm(_RulesInServices, forms.ModelForm):
    """The service with who performs it and what it occupies. Only active staff and
    resources in use are offered, plus those the service already has."""

    class Meta:
        model = Service
        fields = [*SERVICE_FIELDS, "staff", "resources"]
        widgets = {
            "staff": forms.CheckboxSelectMultiple,
            "resources": forms.CheckboxSelectMultiple,
            "price": forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        }

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        pk = self.instance.pk
        self.fields["staff"].queryset = User.objects.filter(
            Q(is_active=True) | Q(services_performed=pk) if pk else Q(is_active=True)
        ).distinct()
        self.fields["resources"].queryset = Resource.objects.filter(
            Q(active=True) | Q(services=pk) if pk else Q(active=True)
        ).distinct()
        self.fields["category"].empty_label = _("— no category —")
        self.fields["price"].label = _("Price (%(currency)s)") % {"currency": currency}
        self.fields["resources"].help_text = _(
            "The appointment takes any one of those ticked that is free; none: it needs none."
        )
        if not pk:
            self.initial.setdefault("price", Decimal(0))
        # The trades the business has on (and the one already marked, if since turned off).
        enabled = registry.enabled_keys() | {self.instance.vertical}
        self.fields["vertical"].choices = [("", _("— the business's own —"))] + [
            (v.key, v.label) for v in registry.all_verticals() if v.key in enabled
        ]

    def service_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in SERVICE_FIELDS}


class ResourceForm(_RulesInServices, forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["name", "kind"]


class HolidayForm(_RulesInServices, forms.ModelForm):
    class Meta:
        model = Holiday
        fields = ["day", "name"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class TimeOffForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("From"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Until"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=120,
        required=False,
        help_text=_("Shown to managers only; for example “holiday” or “training”."),
    )


class BookingSettingsForm(forms.ModelForm):
    class Meta:
        model = BookingSettings
        fields = list(BOOKING_SETTINGS_FIELDS)


class WeekForm(forms.Form):
    """A week of hours: per weekday open (or working) or not, a first range and an
    optional second one (the gap between them is a break)."""

    def __init__(self, *args, week: dict[int, list] | None = None, open_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_label = open_label or _("Open")
        for day in Weekday:
            key = f"day_{day.value}"
            self.fields[key] = forms.BooleanField(label=day.label, required=False)
            for part, label in (
                ("from1", _("From")),
                ("to1", _("Until")),
                ("from2", _("From (after a break)")),
                ("to2", _("Until")),
            ):
                self.fields[f"{key}_{part}"] = forms.TimeField(
                    label=label,
                    required=False,
                    widget=forms.TimeInput(attrs=TIME, format="%H:%M"),
                )
            ranges = (week or {}).get(day.value) or []
            self.initial[key] = bool(ranges)
            for n, (a, b) in enumerate(ranges[:2], start=1):
                self.initial[f"{key}_from{n}"] = a
                self.initial[f"{key}_to{n}"] = b

    def rows(self) -> list[dict]:
        out = []
        for day in Weekday:
            key = f"day_{day.value}"
            parts = [self[f"{key}_{p}"] for p in ("from1", "to1", "from2", "to2")]
            errors = [e for bound in (self[key], *parts) for e in bound.errors]
            out.append({"day": day, "open": self[key], "parts": parts, "errors": errors})
        return out

    def clean(self):
        cleaned = super().clean()
        week: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for day in Weekday:
            key = f"day_{day.value}"
            if not cleaned.get(key):
                week[day.value] = []
                continue
            ranges = []
            for n in (1, 2):
                a, b = cleaned.get(f"{key}_from{n}"), cleaned.get(f"{key}_to{n}")
                if a is None and b is None and n == 2:
                    continue
                if a is None or b is None:
                    self.add_error(
                        key,
                        forms.ValidationError(
                            _("%(day)s: give both times, or untick the day."),
                            code="incomplete",
                            params={"day": day.label},
                        ),
                    )
                    break
                ranges.append((a, b))
            week[day.value] = ranges
        cleaned["week"] = week
        return cleaned
