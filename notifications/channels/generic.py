"""A generic HTTP SMS gateway, configured by URL and body template (NOTIFICATIONS_SMS
["generic"]). The template's placeholders {to}, {text}, {key} (the outbox's idempotency
key) and {callback} (this business's delivery-report URL) are substituted into the
values of a JSON object template or of a form template — never evaluated, so a client's
text cannot change the request's shape. The gateway's message id is read from the JSON
reply's ``id_field``. Its callbacks carry HMAC-SHA256(secret, body) in hex."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse

from django.conf import settings
from django.utils.translation import gettext as _

from notifications.channels import Backend, PermanentError, SendResult, _http
from notifications.channels._urls import tenant_callback_url

PLACEHOLDERS = ("{to}", "{text}", "{key}", "{callback}")


def options() -> dict:
    return settings.NOTIFICATIONS_SMS["generic"]


def _fill(value, values: dict[str, str]):
    if isinstance(value, str):
        for placeholder in PLACEHOLDERS:
            value = value.replace(placeholder, values[placeholder])
        return value
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


def request_body(template: str, form: bool, values: dict[str, str]) -> tuple[bytes, str]:
    if form:
        pairs = urllib.parse.parse_qsl(template, keep_blank_values=True)
        filled = [(k, _fill(v, values)) for k, v in pairs]
        return urllib.parse.urlencode(filled).encode(), "application/x-www-form-urlencoded"
    try:
        shape = json.loads(template)
    except ValueError:
        raise PermanentError(_("The SMS gateway's body template is not valid JSON.")) from None
    body = json.dumps(_fill(shape, values), ensure_ascii=False).encode("utf-8")
    return body, "application/json; charset=utf-8"


def body_signature(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(body: bytes, given: str) -> bool:
    secret = options()["callback_secret"]
    given = (given or "").strip().removeprefix("sha256=")
    if not secret or not given:
        return False
    return hmac.compare_digest(body_signature(body, secret), given)


def _dig(data, path: str) -> str:
    for part in path.split("."):
        if not isinstance(data, dict):
            return ""
        data = data.get(part)
    return "" if data is None else str(data)


class HttpGatewayBackend(Backend):
    name = "generic"

    @property
    def supports_idempotency(self) -> bool:  # type: ignore[override]
        # Honest only when the key goes in the header the gateway is configured to honour.
        return bool(options()["url"] and options()["key_header"])

    def send(self, message, *, idempotency_key: str) -> SendResult:
        opts = options()
        values = {
            "{to}": message.recipient,
            "{text}": message.body,
            "{key}": idempotency_key,
            "{callback}": tenant_callback_url("generic_status"),
        }
        body, content_type = request_body(opts["body"], opts["format"] == "form", values)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        if opts["auth_value"]:
            headers[opts["auth_header"] or "Authorization"] = opts["auth_value"]
        if opts["key_header"]:
            headers[opts["key_header"]] = idempotency_key
        reply = _http.post(opts["url"], data=body, headers=headers)
        data = reply.json()
        if reply.status >= 300:
            reason = (
                _dig(data, "error")
                or _dig(data, "message")
                or reply.body[:200].decode("utf-8", "replace")
            )
            raise _http.refused(reason, reply.status)
        provider_id = _dig(data, opts["id_field"] or "id")
        if not provider_id:
            raise PermanentError(_("The SMS gateway answered without a message id."))
        return SendResult(provider=self.name, provider_id=provider_id, status="sent")
