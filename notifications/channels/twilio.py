"""Twilio's Programmable Messaging: ``POST /2010-04-01/Accounts/{sid}/Messages.json`` with
basic auth (account SID and auth token), form-encoded To, From (or MessagingServiceSid),
Body and StatusCallback. Twilio signs the requests it makes to us with
X-Twilio-Signature: base64(HMAC-SHA1(auth token, URL + each POST parameter's name and
value, sorted by name))."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse

from django.conf import settings
from django.utils.translation import gettext as _

from notifications.channels import Backend, PermanentError, SendResult, _http
from notifications.channels._urls import tenant_callback_url


def options() -> dict:
    return settings.NOTIFICATIONS_SMS["twilio"]


def signature(url: str, params: dict[str, str], auth_token: str) -> str:
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_is_valid(url: str, params: dict[str, str], given: str) -> bool:
    token = options()["auth_token"]
    if not token or not given:
        return False
    return hmac.compare_digest(signature(url, params, token), given)


# Twilio's MessageStatus values → the outbox's statuses (others change nothing).
STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
}


class TwilioBackend(Backend):
    name = "twilio"
    # Twilio's Messages API takes no idempotency key (its I-Twilio-Idempotency-Token
    # header is on the webhooks it sends us, not on our requests): a repeat is a second text.
    supports_idempotency = False

    def send(self, message, *, idempotency_key: str) -> SendResult:
        opts = options()
        sid, token = opts["account_sid"], opts["auth_token"]
        if not (sid and token and (opts["from"] or opts["messaging_service_sid"])):
            raise PermanentError(_("Twilio is not configured (account, token and sender)."))
        fields = {"To": message.recipient, "Body": message.body}
        if opts["messaging_service_sid"]:
            fields["MessagingServiceSid"] = opts["messaging_service_sid"]
        else:
            fields["From"] = opts["from"]
        callback = tenant_callback_url("twilio_status")
        if callback:
            fields["StatusCallback"] = callback
        url = (
            f"{opts['api_base'].rstrip('/')}/2010-04-01/Accounts/"
            f"{urllib.parse.quote(sid, safe='')}/Messages.json"
        )
        auth = base64.b64encode(f"{sid}:{token}".encode()).decode()
        reply = _http.post(
            url,
            data=urllib.parse.urlencode(fields).encode(),
            headers={
                "Authorization": f"Basic {auth}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        data = reply.json()
        if reply.status >= 400:
            reason = str(data.get("message") or "")
            if data.get("code"):
                reason = f"{data['code']} {reason}".strip()
            raise _http.refused(reason, reply.status)
        if not data.get("sid"):
            raise PermanentError(_("Twilio answered without a message id."))
        if data.get("status") == "failed":
            raise _http.refused(str(data.get("error_message") or ""), reply.status)
        return SendResult(provider=self.name, provider_id=str(data["sid"]), status="sent")
