"""Codes of the validation errors a visit raises (see clients.errors)."""

from __future__ import annotations

from enum import StrEnum


class VisitErrorCode(StrEnum):
    FUTURE = "future"
    TOO_MANY_ITEMS = "too_many"
    ITEM_TOO_LONG = "too_long"
