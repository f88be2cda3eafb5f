"""One small HTTP client for the SMS gateways (the standard library's, so no gateway SDK
is needed), mapping what can go wrong onto the two errors the outbox knows: network
trouble, a 5xx or 429 is worth another try later; any other refusal is permanent."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.utils.translation import gettext as _

from notifications.channels import PermanentError, TransientError

TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes

    def json(self) -> dict:
        try:
            data = json.loads(self.body.decode("utf-8") or "{}")
        except (UnicodeDecodeError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def post(url: str, *, data: bytes, headers: dict[str, str]) -> Reply:
    """POST ``data`` to ``url``. Returns the reply of a 2xx or 4xx (other than 429) for the
    backend to read; raises TransientError for the rest."""
    if not url.startswith(("https://", "http://")):
        raise PermanentError(_("The SMS gateway's address is not configured."))
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return Reply(response.status, response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read() or b""
        if exc.code == 429 or exc.code >= 500:
            raise TransientError(
                _("The SMS gateway is busy (HTTP %(status)s); trying again later.")
                % {"status": exc.code}
            ) from None
        return Reply(exc.code, body)
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise TransientError(
            _("The SMS gateway could not be reached (%(reason)s); trying again later.")
            % {"reason": reason}
        ) from None


def refused(provider_text: str, status: int) -> PermanentError:
    return PermanentError(
        _("The SMS gateway refused the message (HTTP %(status)s): %(reason)s")
        % {"status": status, "reason": provider_text or _("no reason given")}
    )
