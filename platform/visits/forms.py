from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import staff_choices
from core.text import list_join
from scheduling.selectors import bookable_staff
from verticals import registry
from visits.errors import VisitErrorCode
from visits.models import Visit
from visits.services import CLINICAL_FIELDS

# Commas (Western and full-width), the enumeration comma 、, semicolons and new lines.
ITEM_SEPARATORS = re.compile(r"[,，、;；\n]+")
MAX_ITEMS = 20
MAX_ITEM_LENGTH = 100

SATISFACTION_CHOICES = [
    ("", _("Not asked")),
    ("1", _("1 · very unhappy")),
    ("2", _("2 · unhappy")),
    ("3", _("3 · neutral")),
    ("4", _("4 · happy")),
    ("5", _("5 · very happy")),
]


def split_items(text: str) -> list[str]:
    return [item.strip() for item in ITEM_SEPARATORS.split(text or "") if item.strip()]


def _items_help() -> str:
    """How to type several items, with examples from the business's own trade."""
    vertical = registry.current()
    examples = vertical.visit_examples if vertical else ()
    if not examples:
        return _("Separate several items with commas.")
    return _("Separate several items with commas, e.g. %(examples)s.") % {
        "examples": list_join(examples)
    }


class VisitForm(forms.ModelForm):
    """The visit form. It has no amount: what a visit cost is on its bill (the till), shown
    beside the form. Clinical fields (efficacy, suggestions) are part of it only for a
    user who may write treatment records; for anyone else they are not in the form, so
    their values are neither shown nor changed."""

    treatment_items = forms.CharField(
        label=_("Treatment items"),
        required=False,
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Satisfaction"),
        choices=SATISFACTION_CHOICES,
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Visit
        fields = [
            "visited_on",
            "treatment_items",
            "practitioner",
            "satisfaction",
            "efficacy",
            "suggestions",
        ]
        labels = {
            "visited_on": _("Date of visit"),
            "efficacy": _("Efficacy evaluation"),
            "suggestions": _("Client's suggestions and comments"),
        }
        widgets = {
            "visited_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "efficacy": forms.Textarea(attrs={"rows": 3}),
            "suggestions": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, clinical: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.clinical = clinical
        # Those who perform services, and whoever the visit already names (who may have
        # left or no longer perform anything).
        self.fields["practitioner"].queryset = staff_choices(
            keep=self.instance.practitioner_id, among=bookable_staff()
        )
        self.fields["practitioner"].empty_label = _("— not recorded —")
        self.fields["treatment_items"].help_text = _items_help()
        if self.instance.pk:
            self.initial["treatment_items"] = list_join(self.instance.treatment_items)
        if not clinical:
            for name in CLINICAL_FIELDS:
                del self.fields[name]

    def clean_visited_on(self):
        visited_on = self.cleaned_data["visited_on"]
        if visited_on > timezone.localdate():
            raise forms.ValidationError(
                _("A visit cannot be in the future; book an appointment instead."),
                code=VisitErrorCode.FUTURE,
            )
        return visited_on

    def clean_treatment_items(self) -> list[str]:
        items = split_items(self.cleaned_data.get("treatment_items", ""))
        if len(items) > MAX_ITEMS:
            raise forms.ValidationError(
                _("At most %(max)d items per visit."),
                code=VisitErrorCode.TOO_MANY_ITEMS,
                params={"max": MAX_ITEMS},
            )
        too_long = [item for item in items if len(item) > MAX_ITEM_LENGTH]
        if too_long:
            raise forms.ValidationError(
                _("Each item can have at most %(max)d characters: “%(item)s…” is longer."),
                code=VisitErrorCode.ITEM_TOO_LONG,
                params={"max": MAX_ITEM_LENGTH, "item": too_long[0][:20]},
            )
        return items

    def visit_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}
