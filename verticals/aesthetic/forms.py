"""Forms of the aesthetic pages. They only shape input: every rule is in ``services`` (a
service's ValidationError is shown next to the field it names)."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from verticals.aesthetic.models import (
    ROMAN,
    Area,
    Concern,
    PhotoStage,
    RecordStatus,
    SkinType,
    Unit,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
PRODUCT_LINES = 3


def _text(label, rows=3, help_text=""):
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class SkinProfileForm(forms.Form):
    skin_type = forms.ChoiceField(label=_("Skin type"), choices=SkinType.choices)
    # A plain field: the service says why a number is not a Fitzpatrick type.
    fitzpatrick = forms.CharField(
        label=_("Fitzpatrick type"),
        required=False,
        widget=forms.Select(choices=[("", "—")] + [(str(n), r) for n, r in ROMAN.items()]),
        help_text=_("I (always burns) to VI (never burns)."),
    )
    concerns = forms.MultipleChoiceField(
        label=_("Concerns"),
        required=False,
        choices=Concern.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    sensitivities = _text(_("Sensitivities"), 2)
    product_allergies = _text(
        _("Product allergies"), 2, _("Shown as an allergy warning on bookings and visits.")
    )
    ingredient_allergies = _text(
        _("Ingredient allergies"), 2, _("Shown as an allergy warning on bookings and visits.")
    )
    preferences = _text(_("Salon preferences"), 2, _("Products, music, pressure, room…"))
    notes = _text(_("Notes"), 2)


class PointsField(forms.CharField):
    """The face map's points as JSON (written by static/aesthetic/facemap.js)."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return []
        try:
            return json.loads(value)
        except ValueError:
            raise forms.ValidationError(_("The face map could not be read.")) from None

    def prepare_value(self, value):
        if isinstance(value, list):
            return json.dumps(value)
        return value


class TreatmentRecordForm(forms.Form):
    performed_on = forms.DateField(label=_("Date"), widget=DATE)
    procedure = forms.CharField(label=_("Procedure"), max_length=120)
    areas = forms.MultipleChoiceField(
        label=_("Areas"), required=False, choices=Area.choices, widget=forms.CheckboxSelectMultiple
    )
    device = forms.CharField(label=_("Device"), max_length=120, required=False)
    device_settings = _text(_("Device settings"), 2, _("Energy, wavelength, pulses, passes…"))
    points = PointsField(
        label=_("Injection points"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "data-facemap-input": "1"}),
        help_text=_("Click the drawing to place a point, then type what was injected there."),
    )
    aftercare = _text(_("Aftercare given"), 2)
    efficacy = _text(_("Efficacy evaluation"), 2)
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction (1–5)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(n, str(n)) for n in range(1, 6)],
    )
    notes = _text(_("Notes"), 2)
    status = forms.ChoiceField(
        label=_("Status"), choices=RecordStatus.choices, initial=RecordStatus.DONE
    )


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Product"), max_length=120, required=False)
    batch_number = forms.CharField(label=_("Batch / lot number"), max_length=60, required=False)
    expires_on = forms.DateField(label=_("Expiry date"), required=False, widget=DATE)
    dose = forms.DecimalField(
        label=_("Dose"), required=False, max_digits=8, decimal_places=2, min_value=0
    )
    unit = forms.ChoiceField(label=_("Unit"), required=False, choices=[("", "—"), *Unit.choices])


ProductFormSet = forms.formset_factory(ProductForm, extra=PRODUCT_LINES, max_num=20)


class PhotoForm(forms.Form):
    file = forms.FileField(label=_("Photo"))
    area = forms.ChoiceField(label=_("Area"), choices=Area.choices)
    stage = forms.ChoiceField(label=_("Stage"), choices=PhotoStage.choices)
    taken_on = forms.DateField(label=_("Date taken"), widget=DATE)
    note = _text(_("Note"), 2)
