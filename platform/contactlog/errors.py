"""Codes of the validation errors a contact-log entry raises (see clients.errors)."""

from __future__ import annotations

from enum import StrEnum


class ContactErrorCode(StrEnum):
    FUTURE = "future"
    FOLLOW_UP_BEFORE_CONTACT = "before_contact"
