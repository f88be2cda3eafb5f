"""The channels messages leave by (notifications.channels): the console SMS backend, email
through a real SMTP server on loopback (aiosmtpd), and Twilio, Aliyun SMS and the generic
HTTP gateway each against a loopback HTTP server that checks the request the way the
provider would — method, path, credentials or signature, parameters — and answers as the
provider does. Network trouble, a 5xx or a 429 is transient; any other refusal permanent,
with the provider's words. Nothing leaves 127.0.0.1: the guard below refuses any other host.

The fakes and fixtures here are shared with tests/test_channels_callbacks.py."""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import socket
import threading
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django_tenants.utils import tenant_context

from notifications import channels
from notifications.channels import PermanentError, SendResult, TransientError, backend_for
from notifications.channels.aliyun import AliyunBackend
from notifications.channels.console import ConsoleSmsBackend
from notifications.channels.generic import HttpGatewayBackend
from notifications.channels.mail import EmailBackend
from notifications.channels.twilio import TwilioBackend
from notifications.models import Message, NotificationSettings

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-test-token"
ALIYUN_KEY_ID = "LTAI-test-key"
ALIYUN_SECRET = "aliyun-test-secret"
ALIYUN_PUSH_TOKEN = "push-token-0123456789"
GENERIC_SECRET = "generic-callback-secret"
GENERIC_AUTH = "Bearer gateway-test-token"


# ---------- nothing leaves the machine ----------


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    """Every gateway request goes through urllib; refuse any host but 127.0.0.1."""
    real = urllib.request.urlopen

    def guarded(request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        host = urllib.parse.urlsplit(url).hostname
        assert host == "127.0.0.1", f"a test tried to reach {url}"
        return real(request, *args, **kwargs)

    monkeypatch.setattr("notifications.channels._http.urllib.request.urlopen", guarded)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ---------- a loopback HTTP gateway ----------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeGateway:
    """Answers each POST with ``check(seen)`` → (status, JSON body); records every request."""

    url: str
    check: object = None
    seen: list[Seen] = field(default_factory=list)


@contextlib.contextmanager
def fake_gateway(check):
    gateway = FakeGateway(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen("POST", self.path, dict(self.headers.items()), self.rfile.read(length))
            gateway.seen.append(seen)
            status, payload = gateway.check(seen)
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            gateway.seen.append(Seen("GET", self.path, dict(self.headers.items()), b""))
            self.send_response(405)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}"
    gateway.check = check
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()


def gateway_options(settings, **overrides) -> None:
    """Point every gateway at loopback addresses with test credentials."""
    options = {
        "twilio": {
            "api_base": "http://127.0.0.1:9",
            "account_sid": TWILIO_SID,
            "auth_token": TWILIO_TOKEN,
            "from": "+15005550006",
            "messaging_service_sid": "",
        },
        "aliyun": {
            "endpoint": "http://127.0.0.1:9/",
            "region": "cn-hangzhou",
            "access_key_id": ALIYUN_KEY_ID,
            "access_key_secret": ALIYUN_SECRET,
            "template_code": "SMS_100",
            "templates": {"phone_code": "SMS_200"},
            "template_param": "content",
            "up_extend_code": True,
            "push_token": ALIYUN_PUSH_TOKEN,
        },
        "generic": {
            "url": "http://127.0.0.1:9/send",
            "format": "json",
            "body": '{"to": "{to}", "text": "{text}", "reference": "{key}", '
            '"callback": "{callback}"}',
            "auth_header": "Authorization",
            "auth_value": GENERIC_AUTH,
            "key_header": "Idempotency-Key",
            "id_field": "id",
            "callback_secret": GENERIC_SECRET,
            "signature_header": "X-Signature",
        },
    }
    for name, values in overrides.items():
        options[name] = {**options[name], **values}
    settings.NOTIFICATIONS_SMS = options


_keys = iter(range(1, 10**6))


def make_message(**values) -> Message:
    """A row of the outbox in the current schema, as the outbox would have written it."""
    n = next(_keys)
    row = {
        "kind": "reminder",
        "channel": "sms",
        "status": "sending",
        "idempotency_key": f"test:{n}:{connection.schema_name}:sms",
        "recipient": "+8613812345678",
        "language": "en",
        "body": "Reminder: your appointment is tomorrow at 10:00.",
        "segments": 1,
        **values,
    }
    return Message.objects.create(**row)


# ---------- the interface ----------


def test_sms_goes_to_the_console_by_default_and_email_to_django_mail(settings):
    assert settings.NOTIFICATIONS_SMS_BACKEND == "notifications.channels.console.ConsoleSmsBackend"
    assert isinstance(backend_for("sms"), ConsoleSmsBackend)
    assert isinstance(backend_for("email"), EmailBackend)
    with pytest.raises(ValueError):
        backend_for("wechat")


def test_the_configured_sms_backend_is_used(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.channels.twilio.TwilioBackend"
    assert isinstance(backend_for("sms"), TwilioBackend)
    assert channels.backend_named("aliyun").__class__ is AliyunBackend


def test_each_backend_says_honestly_whether_a_repeat_reaches_the_client_once(settings):
    gateway_options(settings)
    assert ConsoleSmsBackend.supports_idempotency is True
    assert EmailBackend.supports_idempotency is False
    assert TwilioBackend.supports_idempotency is False
    assert AliyunBackend.supports_idempotency is False
    assert HttpGatewayBackend().supports_idempotency is True
    gateway_options(settings, generic={"key_header": ""})
    assert HttpGatewayBackend().supports_idempotency is False


def test_gateway_settings_default_to_nothing_secret_and_the_providers_own_addresses():
    from config.settings import base

    assert base.NOTIFICATIONS_SMS["twilio"]["api_base"] == "https://api.twilio.com"
    assert base.NOTIFICATIONS_SMS["aliyun"]["endpoint"] == "https://dysmsapi.aliyuncs.com/"
    for name in ("twilio", "aliyun", "generic"):
        for key, value in base.NOTIFICATIONS_SMS[name].items():
            if "token" in key or "secret" in key or key == "auth_value":
                assert value == "", (name, key)


def test_unconfigured_gateways_refuse_before_any_request(cast, db, settings):
    gateway_options(
        settings,
        twilio={"account_sid": ""},
        aliyun={"access_key_secret": ""},
        generic={"url": ""},
    )
    with tenant_context(cast.tenant_a):
        message = make_message()
        for backend in (TwilioBackend(), AliyunBackend(), HttpGatewayBackend()):
            with pytest.raises(PermanentError):
                backend.send(message, idempotency_key=message.idempotency_key)


# ---------- console ----------


def test_the_console_prints_a_block_with_recipient_text_and_id(cast, db, capsys):
    with tenant_context(cast.tenant_a):
        message = make_message(body="您的预约在明天 10:00。")
        result = ConsoleSmsBackend().send(message, idempotency_key="key-1")
        again = ConsoleSmsBackend().send(message, idempotency_key="key-1")
    out = capsys.readouterr().out
    assert isinstance(result, SendResult)
    assert result.provider == "console" and result.status == "delivered"
    assert result.provider_id.startswith("console-")
    assert again.provider_id == result.provider_id  # the same key, the same id
    assert "SMS to +8613812345678" in out
    assert "您的预约在明天 10:00。" in out
    assert result.provider_id in out
    assert f"message {message.pk}" in out


# ---------- email through a real SMTP server on loopback ----------


class _Inbox:
    def __init__(self):
        self.envelopes = []
        self.refuse_rcpt = ""
        self.data_reply = "250 Message accepted for delivery"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.refuse_rcpt and address == self.refuse_rcpt:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.data_reply


@pytest.fixture
def smtp(settings):
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "ClinicDesk <no-reply@clinicdesk.test>"
    yield inbox
    controller.stop()


def _parsed(envelope) -> email.message.EmailMessage:
    return email.message_from_bytes(envelope.original_content, policy=email.policy.default)


def test_an_email_reaches_the_smtp_server_with_the_business_name_reply_to_and_chinese_subject(
    cast, db, smtp
):
    # given
    with tenant_context(cast.tenant_a):
        row = NotificationSettings.load()
        row.reply_email = "front@alpha.test"
        row.save(update_fields=["reply_email"])
        message = make_message(
            channel="email",
            recipient="zhang@example.test",
            language="zh-hans",
            subject="预约提醒：明天 10:00",
            body="张三您好，您在 Alpha Aesthetics 的预约在明天 10:00。",
        )
        # when
        result = EmailBackend().send(message, idempotency_key=message.idempotency_key)
    # then
    assert len(smtp.envelopes) == 1
    envelope = smtp.envelopes[0]
    assert envelope.rcpt_tos == ["zhang@example.test"]
    assert envelope.mail_from == "no-reply@clinicdesk.test"
    mail = _parsed(envelope)
    assert mail["Subject"] == "预约提醒：明天 10:00"
    assert mail["From"].addresses[0].display_name == "Alpha Aesthetics"
    assert mail["From"].addresses[0].addr_spec == "no-reply@clinicdesk.test"
    assert mail["Reply-To"].addresses[0].addr_spec == "front@alpha.test"
    assert mail["To"].addresses[0].addr_spec == "zhang@example.test"
    assert mail.get_content().strip() == "张三您好，您在 Alpha Aesthetics 的预约在明天 10:00。"
    assert result.provider == "email" and result.status == "sent"
    assert mail["Message-ID"].strip("<>") == result.provider_id


def test_an_email_without_a_reply_address_has_no_reply_to(cast, db, smtp):
    with tenant_context(cast.tenant_a):
        message = make_message(channel="email", recipient="a@example.test", subject="Hello")
        EmailBackend().send(message, idempotency_key=message.idempotency_key)
    assert _parsed(smtp.envelopes[0])["Reply-To"] is None


def test_a_refused_address_is_permanent_and_a_451_is_transient(cast, db, smtp):
    with tenant_context(cast.tenant_a):
        message = make_message(channel="email", recipient="nobody@example.test", subject="Hi")
        smtp.refuse_rcpt = "nobody@example.test"
        with pytest.raises(PermanentError, match="No such mailbox"):
            EmailBackend().send(message, idempotency_key=message.idempotency_key)
        smtp.refuse_rcpt = ""
        smtp.data_reply = "451 4.3.0 Try again later"
        with pytest.raises(TransientError, match="451"):
            EmailBackend().send(message, idempotency_key=message.idempotency_key)
        smtp.data_reply = "554 5.7.1 Rejected as spam"
        with pytest.raises(PermanentError, match="Rejected as spam"):
            EmailBackend().send(message, idempotency_key=message.idempotency_key)
    assert smtp.envelopes == []


def test_an_unreachable_mail_server_is_transient(cast, db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_TIMEOUT = 5
    with tenant_context(cast.tenant_a):
        message = make_message(channel="email", recipient="a@example.test", subject="Hi")
        with pytest.raises(TransientError):
            EmailBackend().send(message, idempotency_key=message.idempotency_key)


def _issued_bill(tenant, email_address: str):
    from finance import bills
    from finance.models import LineKind
    from tests.conftest import staff_member
    from tests.factories import ClientFactory

    actor = staff_member(tenant, "owner@alpha.test")
    with tenant_context(tenant):
        client = ClientFactory(name="张三", email=email_address)
        bill = bills.bill_create(client=client, actor=actor)
        bills.line_add(
            bill=bill,
            actor=actor,
            kind=LineKind.SERVICE,
            description="Facial",
            unit_price=Decimal("200.00"),
            quantity=1,
            discount_kind="",
            discount_value=Decimal("0"),
            discount_reason="",
        )
        bills.bill_issue(bill=bill, actor=actor)
        bill.refresh_from_db()
    return bill


def test_a_receipt_asked_for_in_meta_is_attached_as_a_pdf_rendered_at_send_time(cast, db, smtp):
    bill = _issued_bill(cast.tenant_a, "zhang@example.test")
    with tenant_context(cast.tenant_a):
        message = make_message(
            kind="receipt",
            channel="email",
            recipient="zhang@example.test",
            subject="Your receipt",
            body="Your receipt is attached.",
            meta={"attachments": [{"bill": bill.pk, "kind": "receipt"}]},
        )
        EmailBackend().send(message, idempotency_key=message.idempotency_key)
    mail = _parsed(smtp.envelopes[0])
    files = list(mail.iter_attachments())
    assert [part.get_content_type() for part in files] == ["application/pdf"]
    assert files[0].get_filename() == f"receipt-{bill.number}.pdf"
    assert files[0].get_content().startswith(b"%PDF")


def test_an_attachment_of_a_missing_bill_or_unknown_kind_is_permanent(cast, db, mailoutbox):
    with tenant_context(cast.tenant_a):
        for meta in (
            {"attachments": [{"bill": 999999, "kind": "receipt"}]},
            {"attachments": [{"bill": 1, "kind": "invoice"}]},
        ):
            message = make_message(channel="email", recipient="a@example.test", meta=meta)
            with pytest.raises(PermanentError):
                EmailBackend().send(message, idempotency_key=message.idempotency_key)
    assert mailoutbox == []


# ---------- Twilio ----------


def _twilio_signature(url: str, params: dict[str, str], token: str) -> str:
    """Twilio's documented scheme, written out independently of the product's code."""
    data = url
    for name in sorted(params):
        data += name + params[name]
    mac = hmac.new(token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def twilio_checks(reply):
    """A fake of POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth."""

    def check(seen: Seen):
        expected_auth = (
            "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        )
        if seen.path != f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json":
            return 404, {"code": 20404, "message": "The requested resource was not found"}
        if seen.headers.get("Authorization") != expected_auth:
            return 401, {"code": 20003, "message": "Authenticate"}
        if not seen.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return 400, {"code": 0, "message": "form expected"}
        return reply(seen.form())

    return check


def test_twilio_gets_a_basic_auth_form_post_and_its_sid_is_the_provider_id(cast, db, settings):
    def reply(form):
        return 201, {"sid": "SM" + "a" * 32, "status": "queued", "to": form["To"]}

    with fake_gateway(twilio_checks(reply)) as gateway:
        gateway_options(settings, twilio={"api_base": gateway.url})
        with tenant_context(cast.tenant_a):
            message = make_message()
            result = TwilioBackend().send(message, idempotency_key=message.idempotency_key)
    form = gateway.seen[0].form()
    assert gateway.seen[0].method == "POST"
    assert form["To"] == "+8613812345678"
    assert form["From"] == "+15005550006"
    assert form["Body"] == message.body
    assert form["StatusCallback"] == "http://alpha.localhost:8000/hooks/messages/twilio/status/"
    assert result == SendResult(provider="twilio", provider_id="SM" + "a" * 32, status="sent")


def test_twilio_with_a_messaging_service_sends_no_from(cast, db, settings):
    with fake_gateway(twilio_checks(lambda form: (201, {"sid": "SM1", "status": "queued"}))) as gw:
        gateway_options(settings, twilio={"api_base": gw.url, "messaging_service_sid": "MG9"})
        with tenant_context(cast.tenant_a):
            message = make_message()
            TwilioBackend().send(message, idempotency_key=message.idempotency_key)
    form = gw.seen[0].form()
    assert form["MessagingServiceSid"] == "MG9" and "From" not in form


def test_twilio_refusals_carry_its_message_and_busy_answers_are_transient(cast, db, settings):
    answers = iter(
        [
            (
                400,
                {"code": 21211, "message": "The 'To' number +86123 is not a valid phone number."},
            ),
            (429, {"code": 20429, "message": "Too Many Requests"}),
            (503, {"message": "Service Unavailable"}),
        ]
    )
    with fake_gateway(twilio_checks(lambda form: next(answers))) as gateway:
        gateway_options(settings, twilio={"api_base": gateway.url})
        with tenant_context(cast.tenant_a):
            message = make_message()
            with pytest.raises(PermanentError, match="21211 The 'To' number"):
                TwilioBackend().send(message, idempotency_key="k")
            with pytest.raises(TransientError, match="429"):
                TwilioBackend().send(message, idempotency_key="k")
            with pytest.raises(TransientError, match="503"):
                TwilioBackend().send(message, idempotency_key="k")
    assert len(gateway.seen) == 3


def test_twilio_with_wrong_credentials_is_permanent(cast, db, settings):
    with fake_gateway(twilio_checks(lambda form: (201, {"sid": "SM1"}))) as gateway:
        gateway_options(settings, twilio={"api_base": gateway.url, "auth_token": "wrong"})
        with tenant_context(cast.tenant_a):
            message = make_message()
            with pytest.raises(PermanentError, match="401.*Authenticate"):
                TwilioBackend().send(message, idempotency_key="k")


def test_an_unreachable_gateway_is_transient(cast, db, settings):
    gateway_options(settings, twilio={"api_base": f"http://127.0.0.1:{free_port()}"})
    with tenant_context(cast.tenant_a):
        message = make_message()
        with pytest.raises(TransientError):
            TwilioBackend().send(message, idempotency_key="k")


# ---------- Aliyun SMS ----------


def _aliyun_encode(value: str) -> str:
    # Aliyun's POP rule: URL-encode in UTF-8, then + → %20, * → %2A, %7E → ~.
    return (
        urllib.parse.quote_plus(value, encoding="utf-8")
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~")
    )


def _aliyun_signature(params: dict[str, str], secret: str) -> str:
    canonical = "&".join(
        f"{_aliyun_encode(k)}={_aliyun_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = "POST&" + _aliyun_encode("/") + "&" + _aliyun_encode(canonical)
    mac = hmac.new((secret + "&").encode(), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def aliyun_checks(reply):
    """A fake of Dysmsapi's RPC endpoint: checks the signature and the common parameters."""

    def check(seen: Seen):
        if seen.path != "/":
            return 404, {"Code": "InvalidAction.NotFound", "Message": "no such path"}
        form = seen.form()
        given = form.pop("Signature", "")
        if form.get("AccessKeyId") != ALIYUN_KEY_ID:
            return 404, {
                "Code": "InvalidAccessKeyId.NotFound",
                "Message": "Specified access key is not found.",
            }
        if given != _aliyun_signature(form, ALIYUN_SECRET):
            return 400, {
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation.",
            }
        for key, value in {
            "Action": "SendSms",
            "Version": "2017-05-25",
            "Format": "JSON",
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "RegionId": "cn-hangzhou",
        }.items():
            if form.get(key) != value:
                return 400, {"Code": "MissingParameter", "Message": key}
        if not form.get("SignatureNonce") or not form.get("Timestamp", "").endswith("Z"):
            return 400, {"Code": "MissingParameter", "Message": "nonce or timestamp"}
        return reply(form)

    return check


def _signature(tenant, text: str) -> None:
    with tenant_context(tenant):
        row = NotificationSettings.load()
        row.sms_signature = text
        row.save(update_fields=["sms_signature"])


def test_aliyun_gets_a_signed_sendsms_with_signname_template_and_out_id(cast, db, settings):
    _signature(cast.tenant_a, "阿尔法医美")
    with fake_gateway(
        aliyun_checks(
            lambda form: (
                200,
                {"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0", "RequestId": "R1"},
            )
        )
    ) as gateway:
        gateway_options(settings, aliyun={"endpoint": gateway.url + "/"})
        with tenant_context(cast.tenant_a):
            message = make_message(body="【阿尔法医美】张三您好，您的预约在明天 10:00，回T退订")
            result = AliyunBackend().send(message, idempotency_key=message.idempotency_key)
            expected_out_id = f"{connection.schema_name}:{message.pk}"
    form = gateway.seen[0].form()
    assert form["PhoneNumbers"] == "13812345678"
    assert form["SignName"] == "阿尔法医美"
    assert form["TemplateCode"] == "SMS_100"
    # The gateway adds the 【signature】 itself: the text goes without it.
    assert json.loads(form["TemplateParam"]) == {
        "content": "张三您好，您的预约在明天 10:00，回T退订"
    }
    assert form["OutId"] == expected_out_id
    assert form["SmsUpExtendCode"] == str(cast.tenant_a.pk)
    assert result == SendResult(provider="aliyun", provider_id="9006197469364984^0", status="sent")


def test_aliyun_uses_the_kinds_own_template_and_international_numbers(cast, db, settings):
    _signature(cast.tenant_a, "Alpha")
    with fake_gateway(aliyun_checks(lambda form: (200, {"Code": "OK", "BizId": "1^0"}))) as gw:
        gateway_options(settings, aliyun={"endpoint": gw.url + "/"})
        with tenant_context(cast.tenant_a):
            message = make_message(kind="phone_code", recipient="+447700900123", body="Code 1234")
            AliyunBackend().send(message, idempotency_key=message.idempotency_key)
    form = gw.seen[0].form()
    assert form["TemplateCode"] == "SMS_200"
    assert form["PhoneNumbers"] == "00447700900123"


def test_aliyun_refusals_are_permanent_with_its_words_and_flow_control_is_transient(
    cast, db, settings
):
    _signature(cast.tenant_a, "Alpha")
    answers = iter(
        [
            (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}),
            (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控Permits:1"}),
            (500, {"Code": "InternalError", "Message": "The request processing has failed."}),
        ]
    )
    with fake_gateway(aliyun_checks(lambda form: next(answers))) as gateway:
        gateway_options(settings, aliyun={"endpoint": gateway.url + "/"})
        with tenant_context(cast.tenant_a):
            message = make_message()
            with pytest.raises(PermanentError, match="isv.MOBILE_NUMBER_ILLEGAL 非法手机号"):
                AliyunBackend().send(message, idempotency_key="k")
            with pytest.raises(TransientError, match="BUSINESS_LIMIT_CONTROL"):
                AliyunBackend().send(message, idempotency_key="k")
            with pytest.raises(TransientError, match="500"):
                AliyunBackend().send(message, idempotency_key="k")


def test_aliyun_with_a_wrong_secret_is_refused_by_the_signature_check(cast, db, settings):
    _signature(cast.tenant_a, "Alpha")
    with fake_gateway(aliyun_checks(lambda form: (200, {"Code": "OK", "BizId": "1^0"}))) as gw:
        gateway_options(settings, aliyun={"endpoint": gw.url + "/", "access_key_secret": "wrong"})
        with tenant_context(cast.tenant_a):
            message = make_message()
            with pytest.raises(PermanentError, match="SignatureDoesNotMatch"):
                AliyunBackend().send(message, idempotency_key="k")


def test_aliyun_needs_the_businesss_sms_signature(cast, db, settings):
    gateway_options(settings)
    with tenant_context(cast.tenant_a):
        message = make_message()
        with pytest.raises(PermanentError, match="signature"):
            AliyunBackend().send(message, idempotency_key="k")


# ---------- the generic HTTP gateway ----------


def generic_checks(reply):
    def check(seen: Seen):
        if seen.path != "/send":
            return 404, {"error": "no such path"}
        if seen.headers.get("Authorization") != GENERIC_AUTH:
            return 401, {"error": "bad token"}
        if not seen.headers.get("Content-Type", "").startswith("application/json"):
            return 415, {"error": "json expected"}
        return reply(seen)

    return check


def test_the_generic_gateway_gets_the_body_template_filled_and_the_idempotency_header(
    cast, db, settings
):
    with fake_gateway(generic_checks(lambda seen: (200, {"id": "gw-42"}))) as gateway:
        gateway_options(settings, generic={"url": gateway.url + "/send"})
        with tenant_context(cast.tenant_a):
            # Quotes, braces and a newline in the text cannot change the request's shape.
            message = make_message(body='Say "hi" {to}\nbye')
            result = HttpGatewayBackend().send(message, idempotency_key="reminder:1:sms")
    seen = gateway.seen[0]
    assert seen.json() == {
        "to": "+8613812345678",
        "text": 'Say "hi" {to}\nbye',
        "reference": "reminder:1:sms",
        "callback": "http://alpha.localhost:8000/hooks/messages/generic/status/",
    }
    assert seen.headers["Idempotency-Key"] == "reminder:1:sms"
    assert result == SendResult(provider="generic", provider_id="gw-42", status="sent")


def test_the_generic_gateway_can_post_a_form_and_read_a_nested_id(cast, db, settings):
    def reply(seen):
        assert seen.form() == {"dest": "+8613812345678", "msg": "Hello 你好", "ref": "k-1"}
        return 202, {"data": {"message_id": "n-7"}}

    def check(seen: Seen):
        return reply(seen) if seen.path == "/form" else (404, {})

    with fake_gateway(check) as gateway:
        gateway_options(
            settings,
            generic={
                "url": gateway.url + "/form",
                "format": "form",
                "body": "dest={to}&msg={text}&ref={key}",
                "id_field": "data.message_id",
            },
        )
        with tenant_context(cast.tenant_a):
            message = make_message(body="Hello 你好")
            result = HttpGatewayBackend().send(message, idempotency_key="k-1")
    assert result.provider_id == "n-7"


def test_the_generic_gateways_refusal_is_permanent_and_its_5xx_transient(cast, db, settings):
    answers = iter([(422, {"error": "number blocked"}), (502, {"error": "upstream"})])
    with fake_gateway(generic_checks(lambda seen: next(answers))) as gateway:
        gateway_options(settings, generic={"url": gateway.url + "/send"})
        with tenant_context(cast.tenant_a):
            message = make_message()
            with pytest.raises(PermanentError, match="422.*number blocked"):
                HttpGatewayBackend().send(message, idempotency_key="k")
            with pytest.raises(TransientError, match="502"):
                HttpGatewayBackend().send(message, idempotency_key="k")


def test_a_generic_reply_without_an_id_is_permanent(cast, db, settings):
    with fake_gateway(generic_checks(lambda seen: (200, {"ok": True}))) as gateway:
        gateway_options(settings, generic={"url": gateway.url + "/send"})
        with tenant_context(cast.tenant_a):
            message = make_message()
            with pytest.raises(PermanentError):
                HttpGatewayBackend().send(message, idempotency_key="k")


def test_a_gateways_refusal_reads_in_chinese_for_a_chinese_business(cast, db, settings):
    from django.utils import translation

    gateway_options(settings, twilio={"account_sid": ""})
    with tenant_context(cast.tenant_a), translation.override("zh-hans"):
        message = make_message()
        with pytest.raises(PermanentError, match="尚未配置 Twilio"):
            TwilioBackend().send(message, idempotency_key="k")
