from __future__ import annotations

import re
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from clients.errors import ClientErrorCode

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(value: str, *, region: str) -> str:
    """A phone number as E.164, or ValidationError. Spaces, dashes and +86 are fine."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter a valid phone number."), code=ClientErrorCode.PHONE
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("Enter a valid phone number."), code=ClientErrorCode.PHONE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(value: str, *, region: str) -> str:
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return value
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def normalise_cn_national_id(value: str) -> str:
    """An 18-character mainland resident ID with a valid date and check digit."""
    value = re.sub(r"\s", "", value or "").upper()
    if not value:
        return ""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise ValidationError(
            _("An ID number has 17 digits followed by a digit or X."),
            code=ClientErrorCode.ID_FORMAT,
        )
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            _("The date of birth inside this ID number is not a real date."),
            code=ClientErrorCode.ID_DATE,
        ) from None
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        raise ValidationError(
            _("This ID number's check digit is wrong; check for a typo."),
            code=ClientErrorCode.ID_CHECKSUM,
        )
    return value


def validate_file_prefix(value: str) -> None:
    """File numbers are the prefix and a running number: letters and digits only."""
    if not value.isalnum():
        raise ValidationError(_("Use letters and digits only."), code=ClientErrorCode.FILE_PREFIX)
