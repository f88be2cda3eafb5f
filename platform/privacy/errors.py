"""Codes of the validation errors of consent, export and erasure (see clients.errors)."""

from __future__ import annotations

from enum import StrEnum


class PrivacyErrorCode(StrEnum):
    ALREADY_ERASED = "erased"
    FILE_NUMBER_MISMATCH = "mismatch"
