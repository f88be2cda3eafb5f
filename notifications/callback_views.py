"""Gateways' delivery reports and the replies they pass on.

Gateways call these server to server: no session, so no CSRF token; what authenticates a
call is the gateway's own proof, checked before anything is read — Twilio's
X-Twilio-Signature, the generic gateway's HMAC-SHA256 of the body, and for Aliyun (whose
HTTP push carries no signature) a shared secret in the URL it was given. Each answer is
``no-store``: 404 when that gateway is not configured or the message is not this
business's, 403 for a bad signature, 400 for a body that cannot be read.

Twilio and the generic gateway report to the business's own host (the callback URL sent
with each text), so the report is applied in that business's schema only. Aliyun pushes
to one global URL on the public host; its OutId ("<schema>:<pk>") and reply extension
code (the tenant's id) say whose it is."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import zoneinfo

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django_tenants.utils import tenant_context

from notifications import delivery, replies
from notifications.channels import aliyun, generic, twilio

logger = logging.getLogger(__name__)


def _forbidden() -> HttpResponse:
    return HttpResponse("bad signature", status=403, content_type="text/plain")


def _ok() -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# Exempt from CSRF because gateways have no session (see the module docstring). Every
# answer below is a fixed literal: nothing from the request or the tenant is echoed.
@method_decorator([csrf_exempt, never_cache], name="dispatch")
class _Hook(View):
    http_method_names = ["post"]


# --- Twilio (tenant host) ---------------------------------------------------------------


class _TwilioHook(_Hook):
    def post(self, request):
        if not twilio.options()["auth_token"]:
            raise Http404
        params = {key: request.POST.get(key, "") for key in request.POST}
        url = request.build_absolute_uri()
        if not twilio.signature_is_valid(url, params, request.headers.get("X-Twilio-Signature")):
            return _forbidden()
        return self.handle(params)


class TwilioStatusView(_TwilioHook):
    """Twilio's StatusCallback: MessageSid, MessageStatus, ErrorCode."""

    def handle(self, params):
        status = twilio.STATUSES.get(params.get("MessageStatus", ""))
        sid = params.get("MessageSid", "")
        if status is None:  # queued, accepted, sending...: nothing to record
            return _ok()
        code = params.get("ErrorCode", "")
        note = f"Twilio {params.get('MessageStatus')} {code}".strip() if code else ""
        message = delivery.record_status(
            provider="twilio",
            provider_id=sid,
            status=status,
            note=note,
            provider_status=params.get("MessageStatus", ""),
        )
        if message is None:
            raise Http404
        return _ok()


class TwilioInboundView(_TwilioHook):
    """A text to the business's Twilio number: From, Body. Answered with empty TwiML."""

    def handle(self, params):
        replies.receive(
            provider="twilio", sender=params.get("From", ""), body=params.get("Body", "")
        )
        return HttpResponse(
            '<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
            content_type="text/xml",
        )


# --- the generic gateway (tenant host) ---------------------------------------------------

_GENERIC_STATUSES = {
    "sent": "sent",
    "delivered": "delivered",
    "failed": "failed",
    "undelivered": "failed",
    "rejected": "failed",
    "expired": "failed",
}


class _GenericHook(_Hook):
    def post(self, request):
        opts = generic.options()
        if not opts["callback_secret"]:
            raise Http404
        given = request.headers.get(opts["signature_header"] or "X-Signature", "")
        if not generic.signature_is_valid(request.body, given):
            return _forbidden()
        try:
            data = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return HttpResponseBadRequest("not JSON", content_type="text/plain")
        if not isinstance(data, dict):
            return HttpResponseBadRequest("not an object", content_type="text/plain")
        return self.handle(data)


class GenericStatusView(_GenericHook):
    """{"id": "...", "status": "delivered" | "failed" | "sent", "error": "..."}"""

    def handle(self, data):
        status = _GENERIC_STATUSES.get(str(data.get("status", "")).lower())
        if status is None:
            return HttpResponseBadRequest("unknown status", content_type="text/plain")
        message = delivery.record_status(
            provider="generic",
            provider_id=str(data.get("id") or ""),
            status=status,
            note=str(data.get("error") or "")[:500],
            provider_status=str(data.get("status")),
        )
        if message is None:
            raise Http404
        return _ok()


class GenericInboundView(_GenericHook):
    """{"from": "+86…", "text": "…"}"""

    def handle(self, data):
        sender, text = str(data.get("from") or ""), str(data.get("text") or "")
        if not sender:
            return HttpResponseBadRequest("no sender", content_type="text/plain")
        replies.receive(provider="generic", sender=sender, body=text)
        return _ok()


# --- Aliyun (public host, one URL for every business) -----------------------------------

_BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


def _beijing_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.strptime(text or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=_BEIJING)
    except ValueError:
        return None


def _tenant(**lookup):
    from tenants.models import Tenant

    return Tenant.objects.filter(**lookup).exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).first()


class _AliyunHook(_Hook):
    def post(self, request, token: str):
        secret = aliyun.options()["push_token"]
        if not secret:
            raise Http404
        if not hmac.compare_digest(token.encode(), secret.encode()):
            return _forbidden()
        try:
            items = json.loads(request.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return JsonResponse({"code": 1, "msg": "not JSON"}, status=400)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return JsonResponse({"code": 1, "msg": "not a list"}, status=400)
        for item in items:
            self.handle(item)
        # Code 0 tells Aliyun the batch was taken (an unknown row is not worth a retry).
        return JsonResponse({"code": 0, "msg": "成功"})


class AliyunReportView(_AliyunHook):
    """SmsReport: [{"biz_id", "out_id", "success", "err_code", "err_msg", "report_time"...}]"""

    def handle(self, item: dict) -> None:
        parsed = aliyun.parse_out_id(str(item.get("out_id") or ""))
        tenant = _tenant(schema_name=parsed[0]) if parsed else None
        if tenant is None:
            logger.info("Aliyun report for an unknown OutId %r", item.get("out_id"))
            return
        success = item.get("success") in (True, "true", "True", 1, "1")
        code, text = str(item.get("err_code") or ""), str(item.get("err_msg") or "")
        with tenant_context(tenant):
            delivery.record_status(
                provider="aliyun",
                provider_id=str(item.get("biz_id") or ""),
                status="delivered" if success else "failed",
                at=_beijing_time(str(item.get("report_time") or "")),
                note="" if success else f"{code} {text}".strip(),
                message_id=parsed[1],
                provider_status=code,
            )


class AliyunReplyView(_AliyunHook):
    """SmsUp: [{"phone_number", "content", "dest_code", "sign_name", "send_time"...}]"""

    def handle(self, item: dict) -> None:
        extend = str(item.get("dest_code") or "")
        tenant = _tenant(pk=int(extend)) if extend.isdigit() else None
        if tenant is None:
            logger.info("Aliyun reply with an unknown extension code %r", extend)
            return
        with tenant_context(tenant):
            replies.receive(
                provider="aliyun",
                sender=str(item.get("phone_number") or ""),
                body=str(item.get("content") or ""),
            )
