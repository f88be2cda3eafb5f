"""The channels a message leaves by: one interface for email and every SMS gateway.

``backend_for(channel)`` gives the backend configured for a channel (email → Django's
mail; sms → ``settings.NOTIFICATIONS_SMS_BACKEND``, the console by default). A backend's
``send`` either returns a :class:`SendResult` or raises :class:`TransientError` (try
again later: network trouble, a 5xx, rate limited) or :class:`PermanentError` (this
message will never go: refused number, bad credentials...). ``supports_idempotency``
says whether sending the same message twice with the same key reaches the client once;
the outbox resends a row whose worker died only when it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from notifications.models import Message


class TransientError(Exception):
    """The gateway could not take the message now; the same send may work later."""


class PermanentError(Exception):
    """The gateway refused the message; sending it again will not help."""


@dataclass(frozen=True)
class SendResult:
    provider: str
    provider_id: str
    status: str = "sent"  # "sent" or "delivered"


class Backend:
    name: ClassVar[str] = ""
    supports_idempotency: ClassVar[bool] = False

    def send(self, message: Message, *, idempotency_key: str) -> SendResult:
        raise NotImplementedError


EMAIL_BACKEND = "notifications.channels.mail.EmailBackend"
CONSOLE_SMS_BACKEND = "notifications.channels.console.ConsoleSmsBackend"


@lru_cache(maxsize=8)
def _load(dotted: str) -> Backend:
    return import_string(dotted)()


def backend_for(channel: str) -> Backend:
    """The backend that sends messages of ``channel`` ("sms" or "email")."""
    if channel == "email":
        return _load(EMAIL_BACKEND)
    if channel == "sms":
        return _load(getattr(settings, "NOTIFICATIONS_SMS_BACKEND", CONSOLE_SMS_BACKEND))
    raise ValueError(f"No backend for channel {channel!r}")


def backend_named(name: str) -> Backend | None:
    """The SMS backend whose ``name`` is ``name`` (for callbacks), whatever is configured."""
    for dotted in SMS_BACKENDS:
        backend = _load(dotted)
        if backend.name == name:
            return backend
    return None


SMS_BACKENDS = (
    CONSOLE_SMS_BACKEND,
    "notifications.channels.twilio.TwilioBackend",
    "notifications.channels.aliyun.AliyunBackend",
    "notifications.channels.generic.HttpGatewayBackend",
)
