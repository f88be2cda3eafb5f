"""Messages whose text holds a secret (a one-time code, a link that signs someone in or
sets a password): once such a message has left, the copy the outbox keeps no longer
carries it, so whoever reads the row later (the log, a database dump, a backup) cannot
use it. Such a message is never resent from its row either: its recipient asks again."""

from __future__ import annotations

import re

from notifications.models import STAFF_KINDS, Kind

SECRET_KINDS = frozenset({Kind.PHONE_CODE}) | STAFF_KINDS
# A link, or a code of the digits a phone code has.
_SECRET = re.compile(r"https?://\S+|(?<!\d)\d{6}(?!\d)")
REDACTED = "…"


def holds_secret(kind: str) -> bool:
    return kind in SECRET_KINDS


def redacted(body: str) -> str:
    return _SECRET.sub(REDACTED, body)
