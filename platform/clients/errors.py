"""Codes of the validation errors the client file raises (services, validators, forms), as
Saleor names its ``CheckoutErrorCode``: callers and tests match a code, never a message."""

from __future__ import annotations

from enum import StrEnum


class ClientErrorCode(StrEnum):
    ERASED = "erased"
    SAME_FILE = "same_file"
    SECTION_NOT_EMPTY = "not_empty"
    REQUIRED = "required"
    NOT_A_NUMBER = "not_a_number"
    NOT_A_DATE = "not_a_date"
    NOT_YES_OR_NO = "not_yes_or_no"
    NOT_A_CHOICE = "not_a_choice"
    ONE_CHOICE_ONLY = "one_choice_only"
    TOO_FEW_CHOICES = "too_few_choices"
    PHONE = "phone"
    PHONE_REGION = "phone_region"
    ID_FORMAT = "id_format"
    ID_DATE = "id_date"
    ID_CHECKSUM = "id_checksum"
    FILE_PREFIX = "prefix"
    NO_REFERRER = "no_referrer"
    SELF_REFERRAL = "self_referral"
    NOTHING_SELECTED = "nothing_selected"
    DUPLICATE_TAG = "duplicate"
    FORBIDDEN = "forbidden"
    IN_HOUSEHOLD = "in_household"
    NO_HOUSEHOLD = "no_household"
    AMBIGUOUS_PHONE = "ambiguous_phone"
    NOT_FOUND = "not_found"
    TOO_LONG = "too_long"
