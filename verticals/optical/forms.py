"""Forms of the optical pages. They only shape input (acuity typed in the business's
notation becomes logMAR here); every rule is in ``services``, whose ValidationError is
shown next to the field it names."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from verticals.optical import acuity, services
from verticals.optical.models import Coating, IOPMethod, LensType, Notation, PrismBase

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _text(label, rows=3):
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}))


class SignedDecimalField(forms.CharField):
    """A decimal typed as optometrists write it: "+1.25", "−2.50" (a typographic minus),
    "-0,75", "plano". The service checks ranges and steps."""

    def __init__(self, *, label, step="0.25", **kwargs):
        attrs = {"inputmode": "decimal", "class": "num", "step": step}
        super().__init__(label=label, required=False, widget=forms.TextInput(attrs=attrs), **kwargs)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return f"{value:+.2f}" if self.widget.attrs.get("step") == "0.25" else str(value)
        return value

    def to_python(self, value):
        text = (super().to_python(value) or "").strip()
        text = text.replace("−", "-").replace("–", "-").replace(",", ".").replace("＋", "+")
        if not text:
            return None
        if text.lower() in ("pl", "plano", "平光"):
            return Decimal(0)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValidationError(_("Enter a number, e.g. -1.25.")) from None
        if not number.is_finite() or abs(number) >= 10000:
            raise ValidationError(_("Enter a number, e.g. -1.25."))
        return number


class PlainDecimalField(SignedDecimalField):
    def __init__(self, *, label, **kwargs):
        super().__init__(label=label, step="any", **kwargs)


class AxisField(forms.IntegerField):
    def __init__(self, *, label):
        super().__init__(
            label=label,
            required=False,
            widget=forms.NumberInput(attrs={"class": "num", "min": 1, "max": 180}),
        )


class AcuityField(forms.CharField):
    """Acuity typed in the business's notation; cleaned to logMAR."""

    def __init__(self, *, label, notation: str):
        self.notation = notation
        super().__init__(
            label=label,
            required=False,
            widget=forms.TextInput(attrs={"class": "num", "inputmode": "decimal"}),
        )

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return acuity.format_acuity(value, self.notation)
        return value

    def to_python(self, value):
        try:
            return acuity.parse_acuity(super().to_python(value), self.notation)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


REFRACTION_LABELS = {
    "sphere": _("Sphere"),
    "cylinder": _("Cylinder"),
    "axis": _("Axis"),
    "add": pgettext_lazy("refraction", "Add"),
    "prism": _("Prism (Δ)"),
    "prism_base": _("Base"),
    "pd": _("PD (mm)"),
}


class ExamForm(forms.Form):
    examined_on = forms.DateField(label=_("Examined on"), widget=DATE)
    pd_binocular = PlainDecimalField(label=_("Binocular PD (mm)"))
    iop_od = PlainDecimalField(label=_("IOP right (mmHg)"))
    iop_os = PlainDecimalField(label=_("IOP left (mmHg)"))
    iop_method = forms.ChoiceField(
        label=_("IOP method"), required=False, choices=[("", "—"), *IOPMethod.choices]
    )
    iop_time = forms.TimeField(label=_("IOP time"), required=False, widget=TIME)
    k1_od = PlainDecimalField(label=_("K1 (D)"))
    k1_axis_od = AxisField(label=_("K1 axis"))
    k2_od = PlainDecimalField(label=_("K2 (D)"))
    k2_axis_od = AxisField(label=_("K2 axis"))
    k1_os = PlainDecimalField(label=_("K1 (D)"))
    k1_axis_os = AxisField(label=_("K1 axis"))
    k2_os = PlainDecimalField(label=_("K2 (D)"))
    k2_axis_os = AxisField(label=_("K2 axis"))
    axial_od = PlainDecimalField(label=_("Axial length right (mm)"))
    axial_os = PlainDecimalField(label=_("Axial length left (mm)"))
    diagnosis = _text(_("Diagnosis"))
    advice = _text(_("Advice"))
    next_recheck = forms.DateField(label=_("Next recheck"), required=False, widget=DATE)

    def __init__(self, *args, notation: str = Notation.FIVE_POINT, **kwargs):
        super().__init__(*args, **kwargs)
        self.notation = notation
        acuity_labels = {
            "ua_od": _("Uncorrected, right"),
            "ua_os": _("Uncorrected, left"),
            "ca_od": _("Corrected, right"),
            "ca_os": _("Corrected, left"),
        }
        for name, label in acuity_labels.items():
            self.fields[name] = AcuityField(label=label, notation=notation)
        for prefix in services.KINDS:
            for eye in services.EYES:
                for name in services.REFRACTION_FIELDS:
                    key = services.refraction_key(prefix, eye, name)
                    label = REFRACTION_LABELS[name]
                    if name in ("sphere", "cylinder", "add", "prism"):
                        field = SignedDecimalField(label=label)
                    elif name == "axis":
                        field = AxisField(label=label)
                    elif name == "pd":
                        field = PlainDecimalField(label=label)
                    else:
                        field = forms.ChoiceField(
                            label=label, required=False, choices=[("", "—"), *PrismBase.choices]
                        )
                    self.fields[key] = field

    def refraction_rows(self):
        """[(kind label, [(eye label, [bound fields…]), …]), …] for the grid."""
        from verticals.optical.models import Eye, RefractionKind

        rows = []
        for prefix, kind in services.KINDS.items():
            eyes = []
            for eye in services.EYES:
                cells = [
                    self[services.refraction_key(prefix, eye, n)]
                    for n in services.REFRACTION_FIELDS
                ]
                eyes.append((Eye(eye).label, cells))
            rows.append((RefractionKind(kind).label, eyes))
        return rows

    def acuity_fields(self):
        return [self[n] for n in services.ACUITY_FIELDS]

    def k_rows(self):
        from verticals.optical.models import Eye

        return [
            (
                Eye(eye).label,
                [
                    self[f"k1_{eye}"],
                    self[f"k1_axis_{eye}"],
                    self[f"k2_{eye}"],
                    self[f"k2_axis_{eye}"],
                    self[f"axial_{eye}"],
                ],
            )
            for eye in services.EYES
        ]

    def refraction_headers(self):
        return [REFRACTION_LABELS[n] for n in services.REFRACTION_FIELDS]


class DispensingForm(forms.Form):
    exam = forms.ChoiceField(label=_("Prescription used"), required=False)
    dispensed_on = forms.DateField(label=_("Date"), widget=DATE)
    lens_type = forms.ChoiceField(label=_("Lens type"), choices=LensType.choices)
    lens_product = forms.CharField(label=_("Lens product"), max_length=120, required=False)
    frame = forms.CharField(
        label=_("Frame"),
        max_length=120,
        required=False,
        help_text=_("Brand, model, colour and size; not needed for contact lenses."),
    )
    coatings = forms.MultipleChoiceField(
        label=_("Coatings"),
        required=False,
        choices=Coating.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    cl_base_curve = PlainDecimalField(label=_("Contact lens base curve (mm)"))
    cl_diameter = PlainDecimalField(label=_("Contact lens diameter (mm)"))
    cl_power_od = SignedDecimalField(label=_("Contact lens power, right (D)"))
    cl_power_os = SignedDecimalField(label=_("Contact lens power, left (D)"))
    price = PlainDecimalField(label=_("Price"))
    note = _text(_("Note"), rows=2)

    def __init__(self, *args, exams=(), currency: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.exams = {str(e.pk): e for e in exams}
        self.fields["exam"].choices = [("", "—")] + [(str(e.pk), _rx_label(e)) for e in exams]
        if currency:
            self.fields["price"].label = _("Price (%(currency)s)") % {"currency": currency}

    def clean_exam(self):
        value = self.cleaned_data.get("exam")
        return self.exams.get(value) if value else None


def _rx_label(exam) -> str:
    from django.utils import formats

    parts = [formats.date_format(exam.examined_on, "SHORT_DATE_FORMAT")]
    for r in exam.refractions.all():
        if r.kind == "subjective":
            parts.append(
                f"{r.eye.upper()} {r.sphere:+.2f}/{r.cylinder:+.2f}"
                + (f"×{r.axis}" if r.axis else "")
            )
    return " · ".join(parts)


class StatusForm(forms.Form):
    status = forms.CharField()


class SettingsForm(forms.Form):
    acuity_notation = forms.ChoiceField(
        label=_("Visual acuity notation"),
        choices=Notation.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "How acuity is typed and shown on every exam; values are stored as logMAR, "
            "so changing it changes no record."
        ),
    )
