"""Forms of the dental pages. They only shape input: every rule is in ``services`` (a
service's ValidationError is shown next to the field it names)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from verticals.dental import teeth
from verticals.dental.models import (
    CleaningTool,
    Condition,
    EntryStatus,
    ItemStatus,
    Surface,
    XRayType,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _text(label, rows=3, required=False):
    return forms.CharField(
        label=label, required=required, widget=forms.Textarea(attrs={"rows": rows})
    )


class ToothSelect(forms.Select):
    """A plain select of FDI numbers, adult then child teeth; any posted value reaches the
    service, which says why a number is not a tooth."""


TOOTH = _("Tooth")


def tooth_field(required=True, label=TOOTH):
    # A blank first choice, so no tooth is picked before the dentist picks one.
    choices = [("", "—")]
    choices += [
        (_("Adult teeth"), teeth.tooth_choices(child=False)),
        (_("Child teeth"), teeth.tooth_choices(child=True)),
    ]
    return forms.CharField(
        label=label,
        required=required,
        widget=ToothSelect(choices=choices, attrs={"data-tooth-select": "1"}),
    )


class ToothEntryForm(forms.Form):
    tooth = tooth_field()
    surfaces = forms.MultipleChoiceField(
        label=_("Surfaces"),
        required=False,
        choices=Surface.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for the whole tooth."),
    )
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices)
    status = forms.ChoiceField(
        label=_("Status"), choices=EntryStatus.choices, initial=EntryStatus.EXISTING
    )
    note = _text(_("Note"), rows=2)


class OralRecordForm(forms.Form):
    examined_on = forms.DateField(label=_("Examined on"), widget=DATE)
    medical_history = _text(_("Relevant medical history"))
    findings = _text(_("Recent examination findings"))
    periodontal_status = _text(_("Periodontal status"))


class TeethListField(forms.CharField):
    """Tooth numbers typed as "16 17, 46": the service checks each."""

    def to_python(self, value):
        value = super().to_python(value) or ""
        return [part for part in value.replace(",", " ").split() if part]


class XRayForm(forms.Form):
    file = forms.FileField(label=_("Image"))
    taken_on = forms.DateField(label=_("Date taken"), widget=DATE)
    kind = forms.ChoiceField(label=_("Type"), choices=XRayType.choices)
    teeth = TeethListField(
        label=_("Teeth"), required=False, help_text=_("FDI numbers, e.g. 36 37 (optional).")
    )
    note = _text(_("Findings"), rows=2)


class CleaningForm(forms.Form):
    performed_on = forms.DateField(label=_("Date"), widget=DATE)
    steriliser_batch = forms.CharField(label=_("Steriliser batch"), max_length=60, required=False)
    steriliser_cycle = forms.CharField(label=_("Steriliser cycle"), max_length=60, required=False)
    preparation = _text(_("Preparation (instrument sterilisation, set-up)"))
    tools = forms.MultipleChoiceField(
        label=_("Tools used"),
        required=False,
        choices=CleaningTool.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    procedure_steps = _text(_("Procedure steps"))
    effect_evaluation = _text(_("Effect evaluation"))
    client_feedback = _text(_("Client feedback"))
    special_situations = _text(_("Special situations"))
    other_notes = _text(_("Other notes"))


class PlanForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    note = _text(_("Note"), rows=2)


class PlanItemForm(forms.Form):
    tooth = tooth_field(required=False, label=_("Tooth (optional)"))
    procedure = forms.CharField(label=_("Procedure"), max_length=120)
    phase = forms.IntegerField(label=_("Phase"), initial=1)
    status = forms.ChoiceField(label=_("Status"), choices=ItemStatus.choices)
    estimated_cost = forms.DecimalField(
        label=_("Estimated cost"), max_digits=12, decimal_places=2, initial=0
    )
    note = _text(_("Note"), rows=2)
