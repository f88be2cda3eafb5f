from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.places import SearchableSelect, time_zone_choices, time_zone_choices_keeping
from tenants.models import Currency

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

    @staticmethod
    def initial_for(tenant) -> dict:
        return {
            "name": tenant.name,
            "phone": tenant.phone,
            "address": tenant.address,
            "time_zone": tenant.time_zone,
            "currency": tenant.currency,
            "language": tenant.language,
            "require_two_factor": tenant.require_two_factor,
        }

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and logo.size > LOGO_MAX_BYTES:
            raise forms.ValidationError(_("The logo must be 2 MB or smaller."), code="too_big")
        if logo and getattr(logo, "image", None) and logo.image.format not in ("PNG", "JPEG"):
            raise forms.ValidationError(_("Upload a PNG or JPEG image."), code="format")
        return logo


class ClinicalModulesForm(forms.Form):
    """The trades the owner turns on beside the business type's own."""

    verticals = forms.MultipleChoiceField(
        label=_("More clinical modules"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, tenant, **kwargs):
        from verticals import registry

        super().__init__(*args, **kwargs)
        primary = registry.for_business_type(tenant.business_type or "")
        self.primary = primary
        self.fields["verticals"].choices = [
            (v.key, v.label)
            for v in registry.all_verticals()
            if primary is None or v.key != primary.key
        ]
        if not self.is_bound:
            self.initial["verticals"] = list(tenant.extra_verticals or [])
