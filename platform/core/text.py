"""Text helpers shared by search boxes, pages and exports."""

from __future__ import annotations

import re

from django.utils.translation import pgettext

# C0 and C1 control characters (NUL included): never part of what anyone searches for,
# and PostgreSQL refuses NUL in a text parameter outright.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def search_query(raw: str | None) -> str:
    """What a search box holds once control characters are taken out, trimmed: a query
    of control characters alone is no query, and one with a NUL still searches its text."""
    return _CONTROL.sub("", raw or "").strip()


def list_join(items) -> str:
    """Items of a list as a sentence of the page's language: 水光针、光子嫩肤 in Chinese,
    "Scale and polish, Check-up" in English (the catalogue's "list separator")."""
    return pgettext("list separator", ", ").join(str(item) for item in items)
