"""Custom fields (seed 002): each tenant's own questions, grouped in ordered sections.

Values live in ``Client.custom`` (JSON, GIN-indexed) under the field's stable key, in a
plain JSON form per kind: text → str, number → str of a Decimal, date → ISO date,
choice → str, multiple choice → list of str, yes/no → bool. This module turns fields into
form fields, form values into stored values and back, and text (imports) into values."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clients.errors import ClientErrorCode
from clients.models import CustomField, CustomFieldKind, CustomFieldSection

K = CustomFieldKind
FORM_PREFIX = "cf_"


def active_fields() -> list[CustomField]:
    return list(CustomField.objects.filter(active=True).select_related("section"))


def sections_with_fields(fields: list[CustomField]) -> list[tuple[CustomFieldSection, list]]:
    grouped: dict[int, tuple[CustomFieldSection, list]] = {}
    for cf in fields:
        grouped.setdefault(cf.section_id, (cf.section, []))[1].append(cf)
    return list(grouped.values())


def form_field(cf: CustomField) -> forms.Field:
    common = {"label": cf.label, "required": cf.required, "help_text": cf.help_text}
    choices = [(c, c) for c in cf.choices]
    if cf.kind == K.TEXT:
        return forms.CharField(max_length=500, **common)
    if cf.kind == K.LONG_TEXT:
        return forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    if cf.kind == K.NUMBER:
        return forms.DecimalField(max_digits=14, decimal_places=4, **common)
    if cf.kind == K.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if cf.kind == K.CHOICE:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if cf.kind == K.MULTI_CHOICE:
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if cf.kind == K.BOOLEAN:
        if cf.required:
            return forms.TypedChoiceField(
                choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
                coerce=lambda v: v == "yes",
                **common,
            )
        return forms.NullBooleanField(
            widget=forms.Select(choices=[("unknown", "—"), ("true", _("Yes")), ("false", _("No"))]),
            **{**common, "required": False},
        )
    raise ValueError(f"unknown custom field kind {cf.kind}")


def to_storage(cf: CustomField, value):
    """Form value → JSON value; None means "no value" (the key is dropped)."""
    if value in (None, "", []):
        return None
    if cf.kind == K.NUMBER:
        return str(Decimal(value).normalize())
    if cf.kind == K.DATE:
        return value.isoformat()
    if cf.kind == K.MULTI_CHOICE:
        return [v for v in cf.choices if v in value]
    if cf.kind == K.BOOLEAN:
        return bool(value)
    return str(value).strip() or None


def to_form(cf: CustomField, stored):
    if stored is None:
        return None
    if cf.kind == K.DATE:
        return dt.date.fromisoformat(stored)
    if cf.kind == K.BOOLEAN and cf.required:
        return "yes" if stored else "no"
    return stored


def display(cf: CustomField, stored) -> str:
    if stored is None or stored == "" or stored == []:
        return ""
    if cf.kind == K.MULTI_CHOICE:
        return "、".join(stored)
    if cf.kind == K.BOOLEAN:
        return _("Yes") if stored else _("No")
    if cf.kind == K.DATE:
        from django.utils.formats import date_format

        return date_format(dt.date.fromisoformat(stored), "DATE_FORMAT")
    return str(stored)


_YES = {"yes", "y", "true", "1", "是", "有", "✓", "√"}
_NO = {"no", "n", "false", "0", "否", "无", "没有", "✗", "×"}


def parse_text(cf: CustomField, raw: str):
    """Text from a spreadsheet cell → stored value, or ValidationError with a reason."""
    text = (raw or "").strip()
    if not text:
        if cf.required:
            raise ValidationError(_("A value is required."), code=ClientErrorCode.REQUIRED)
        return None
    if cf.kind in (K.TEXT, K.LONG_TEXT):
        return text
    if cf.kind == K.NUMBER:
        try:
            return str(Decimal(text.replace(",", "")).normalize())
        except InvalidOperation:
            raise ValidationError(
                _("“%(value)s” is not a number.") % {"value": text},
                code=ClientErrorCode.NOT_A_NUMBER,
            ) from None
    if cf.kind == K.DATE:
        try:
            return dt.date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            raise ValidationError(
                _("“%(value)s” is not a date.") % {"value": text},
                code=ClientErrorCode.NOT_A_DATE,
            ) from None
    if cf.kind == K.BOOLEAN:
        if text.lower() in _YES:
            return True
        if text.lower() in _NO:
            return False
        raise ValidationError(
            _("“%(value)s” is neither yes nor no.") % {"value": text},
            code=ClientErrorCode.NOT_YES_OR_NO,
        )
    parts = [p.strip() for p in re.split(r"[,，、;；/]", text) if p.strip()]
    unknown = [p for p in parts if p not in cf.choices]
    if unknown:
        raise ValidationError(
            _("“%(value)s” is not one of the choices.") % {"value": "、".join(unknown)},
            code=ClientErrorCode.NOT_A_CHOICE,
        )
    if cf.kind == K.CHOICE:
        if len(parts) > 1:
            raise ValidationError(_("Choose only one value."), code=ClientErrorCode.ONE_CHOICE_ONLY)
        return parts[0]
    return [c for c in cf.choices if c in parts]


def _unique_key(label: str) -> str:
    base = slugify(label)[:30] or "field"
    if base[0].isdigit():
        base = f"f-{base}"
    key, n = base, 2
    while CustomField.objects.filter(key=key).exists():
        key, n = f"{base}-{n}", n + 1
    return key


def _clean_choices(kind: str, choices: list[str]) -> list[str]:
    seen: list[str] = []
    for c in choices:
        c = c.strip()
        if c and c not in seen:
            seen.append(c)
    if kind in (K.CHOICE, K.MULTI_CHOICE) and len(seen) < 2:
        raise ValidationError(
            {
                "choices": ValidationError(
                    _("List at least two choices, one per line."),
                    code=ClientErrorCode.TOO_FEW_CHOICES,
                )
            }
        )
    return seen if kind in (K.CHOICE, K.MULTI_CHOICE) else []


@transaction.atomic
def custom_field_save(*, field: CustomField | None, values: dict) -> CustomField:
    """Create or change a custom field. Its key and kind never change once created (the
    stored values depend on them); retire a field by marking it not in use."""
    creating = field is None
    if creating:
        field = CustomField(kind=values["kind"], key=_unique_key(values["label"]))
    field.section = values["section"]
    field.label = values["label"].strip()
    field.required = values.get("required", False)
    field.help_text = values.get("help_text", "")
    field.order = values.get("order") or 0
    field.active = values.get("active", True)
    field.choices = _clean_choices(field.kind, values.get("choices", []))
    field.full_clean()
    field.save()
    return field
