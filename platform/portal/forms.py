from __future__ import annotations

from datetime import time

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.places import SearchableSelect, time_zone_choices, time_zone_choices_keeping
from tenants.models import Currency

WEEKDAYS = [
    ("mon", _("Monday")),
    ("tue", _("Tuesday")),
    ("wed", _("Wednesday")),
    ("thu", _("Thursday")),
    ("fri", _("Friday")),
    ("sat", _("Saturday")),
    ("sun", _("Sunday")),
]
LOGO_MAX_BYTES = 2 * 1024 * 1024


class BusinessSettingsForm(forms.Form):
    name = forms.CharField(label=_("Business name"), max_length=120)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    logo = forms.ImageField(
        label=_("Logo"), required=False, help_text=_("PNG or JPEG, at most 2 MB.")
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=time_zone_choices, widget=SearchableSelect
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    require_two_factor = forms.BooleanField(
        label=_("Require two-factor login for every staff member"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.data.get("time_zone") or self.initial.get("time_zone")
        self.fields["time_zone"].choices = time_zone_choices_keeping(current)
        for key, label in WEEKDAYS:
            self.fields[f"{key}_open"] = forms.BooleanField(label=label, required=False)
            self.fields[f"{key}_from"] = forms.TimeField(
                label=_("Opens"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )
            self.fields[f"{key}_to"] = forms.TimeField(
                label=_("Closes"),
                required=False,
                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            )

    @staticmethod
    def initial_for(tenant) -> dict:
        initial = {
            "name": tenant.name,
            "phone": tenant.phone,
            "address": tenant.address,
            "time_zone": tenant.time_zone,
            "currency": tenant.currency,
            "language": tenant.language,
            "require_two_factor": tenant.require_two_factor,
        }
        hours = tenant.business_hours or {}
        for key, _label in WEEKDAYS:
            day = hours.get(key)
            initial[f"{key}_open"] = bool(day)
            if day:
                initial[f"{key}_from"] = day["open"]
                initial[f"{key}_to"] = day["close"]
        return initial

    def hour_rows(self):
        return [
            (label, self[f"{key}_open"], self[f"{key}_from"], self[f"{key}_to"])
            for key, label in WEEKDAYS
        ]

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo must be 2 MB or smaller."), code="too_big")
        if logo and getattr(logo, "image", None) and logo.image.format not in ("PNG", "JPEG"):
            raise forms.ValidationError(_("Upload a PNG or JPEG image."), code="format")
        return logo

    def clean(self):
        cleaned = super().clean()
        hours: dict[str, dict[str, str] | None] = {}
        for key, _label in WEEKDAYS:
            if not cleaned.get(f"{key}_open"):
                hours[key] = None
                continue
            start: time | None = cleaned.get(f"{key}_from")
            end: time | None = cleaned.get(f"{key}_to")
            if not start or not end:
                self.add_error(
                    f"{key}_from", _("Give opening and closing times, or mark the day closed.")
                )
                continue
            if end <= start:
                self.add_error(f"{key}_to", _("Closing time must be after opening time."))
                continue
            hours[key] = {"open": start.strftime("%H:%M"), "close": end.strftime("%H:%M")}
        cleaned["business_hours"] = hours
        return cleaned
