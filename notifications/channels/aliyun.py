"""Aliyun SMS (阿里云短信服务, Dysmsapi 2017-05-25): ``SendSms`` as an RPC call signed the
documented way (HMAC-SHA1 over "POST&%2F&" + the percent-encoded, sorted parameters,
keyed with the AccessKey secret followed by "&").

Aliyun sends only approved templates: the business's template carries the text in one
variable (``template_param``, "${content}" by default); ``SignName`` is the business's
短信签名 (NotificationSettings.sms_signature), which the gateway puts in 【】 itself, so a
leading 【…】 in the rendered text is taken off. ``OutId`` is "<schema>:<message pk>": the
delivery reports, pushed to one global URL, name the business and row by it. Replies
(SmsUp) name the business by the extension code sent with the text (the tenant's id)."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.parse
import uuid

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from notifications.channels import Backend, PermanentError, SendResult, TransientError, _http

VERSION = "2017-05-25"
_SIGNATURE_PREFIX = re.compile(r"^\s*【[^】]{1,20}】\s*")
# Codes that say "not now" rather than "never" (flow control, throttling, a busy system).
_TRANSIENT_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",
    "Throttling.User",
    "Throttling",
    "ServiceUnavailable",
    "InternalError",
    "isp.SYSTEM_ERROR",
}


def options() -> dict:
    return settings.NOTIFICATIONS_SMS["aliyun"]


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature wants it: only A-Z a-z 0-9 - _ . ~ stay."""
    return urllib.parse.quote(str(value), safe="-_.~")


def string_to_sign(params: dict[str, str], method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def sign(params: dict[str, str], secret: str, method: str = "POST") -> str:
    digest = hmac.new(
        f"{secret}&".encode(), string_to_sign(params, method).encode("utf-8"), hashlib.sha1
    ).digest()
    return base64.b64encode(digest).decode()


def out_id(message) -> str:
    return f"{connection.schema_name}:{message.pk}"


def parse_out_id(value: str) -> tuple[str, int] | None:
    schema, _sep, pk = (value or "").rpartition(":")
    if not schema or not pk.isdigit():
        return None
    return schema, int(pk)


def _text(body: str) -> str:
    return _SIGNATURE_PREFIX.sub("", body, count=1)


def _recipient(number: str) -> str:
    # Mainland numbers go without +86; others keep their international form (00 prefix).
    number = number.strip()
    if number.startswith("+86"):
        return number[3:]
    if number.startswith("+"):
        return "00" + number[1:]
    return number


class AliyunBackend(Backend):
    name = "aliyun"
    # OutId is echoed back, not de-duplicated: a repeat is a second text.
    supports_idempotency = False

    def send(self, message, *, idempotency_key: str) -> SendResult:
        from notifications.models import NotificationSettings

        opts = options()
        key_id, secret = opts["access_key_id"], opts["access_key_secret"]
        template = opts["templates"].get(message.kind) or opts["template_code"]
        if not (key_id and secret and template):
            raise PermanentError(_("Aliyun SMS is not configured (AccessKey and template)."))
        sign_name = NotificationSettings.load().sms_signature
        if not sign_name:
            raise PermanentError(
                _("Aliyun SMS needs the business's SMS signature (message settings).")
            )
        params = {
            "AccessKeyId": key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": opts["region"],
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": VERSION,
            "PhoneNumbers": _recipient(message.recipient),
            "SignName": sign_name,
            "TemplateCode": template,
            "TemplateParam": json.dumps(
                {opts["template_param"]: _text(message.body)}, ensure_ascii=False
            ),
            "OutId": out_id(message),
        }
        tenant_pk = getattr(getattr(connection, "tenant", None), "pk", None)
        if opts["up_extend_code"] and tenant_pk:
            params["SmsUpExtendCode"] = str(tenant_pk)
        params["Signature"] = sign(params, secret)
        reply = _http.post(
            opts["endpoint"],
            data=urllib.parse.urlencode(params).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
        )
        data = reply.json()
        code = str(data.get("Code") or "")
        reason = f"{code} {data.get('Message') or ''}".strip()
        if code == "OK" and data.get("BizId"):
            return SendResult(provider=self.name, provider_id=str(data["BizId"]), status="sent")
        if code in _TRANSIENT_CODES:
            raise TransientError(
                _("Aliyun SMS asked to try later (%(reason)s).") % {"reason": reason}
            )
        raise _http.refused(reason, reply.status)
