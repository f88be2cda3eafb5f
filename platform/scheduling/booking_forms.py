"""Forms of the public online booking pages (``scheduling.booking_views``)."""

from __future__ import annotations

import datetime as dt

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from clients.services import phone_region
from clients.validators import normalise_phone
from scheduling.phone_codes import CODE_DIGITS

AT_FORMAT = "%Y-%m-%dT%H:%MZ"


def format_at(at: dt.datetime) -> str:
    """A start time as it travels in links and forms: UTC, to the minute."""
    return at.astimezone(dt.UTC).strftime(AT_FORMAT)


def parse_at(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(value or "", AT_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


class AtField(forms.CharField):
    widget = forms.HiddenInput

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        at = parse_at(value)
        if at is None:
            raise ValidationError(_("Choose a time from the list."), code="invalid")
        return at


def _example_mobile(region: str) -> str:
    """A mobile number as the business's region writes it, so a client sees the shape the
    phone field expects before getting it wrong."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


class DetailsForm(forms.Form):
    """Who is booking: name and phone (the phone finds an existing client file)."""

    at = AtField(error_messages={"required": _("Choose a time from the list.")})
    name = forms.CharField(
        label=_("Your name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    note = forms.CharField(
        label=_("Message to the business (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Please do not write health details here; tell us at your visit."),
    )

    # Shown once a code has been texted to the phone (BookingSettings.verify_phone).
    code = forms.CharField(
        label=_("Code from the text message"),
        required=False,
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        example = _example_mobile(phone_region())
        if example:
            self.fields["phone"].help_text = _("For example %(number)s") % {"number": example}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter your name."), code="required")
        return name

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"], region=phone_region())

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if code and not (code.isascii() and code.isdigit() and len(code) == CODE_DIGITS):
            raise ValidationError(
                _("Type the %(n)s digits of the code.") % {"n": CODE_DIGITS}, code="invalid"
            )
        return code


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(),
    )


class MoveForm(forms.Form):
    at = AtField(error_messages={"required": _("Choose a time from the list.")})
