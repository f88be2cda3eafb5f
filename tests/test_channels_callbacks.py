"""Gateways' delivery reports and the replies they pass on (notifications.callback_views,
notifications.delivery, notifications.replies): each is signed the provider's way —
Twilio's X-Twilio-Signature (HMAC-SHA1 of the URL and the sorted parameters), the generic
gateway's HMAC-SHA256 of the body, Aliyun's shared token in its one global push URL — and
a bad proof is refused with 403 leaving the row as it was. A report never moves a
message backwards; one business's host cannot touch another's messages; a stop word sent
back withdraws marketing-by-SMS consent and marks the file "do not contact"."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from clients.models import Client, Flag
from notifications import delivery, replies
from notifications.channels.twilio import TwilioBackend
from notifications.models import InboundReply, Message, MessageEvent, Status
from privacy.models import Method, Purpose
from privacy.selectors import current_consents
from privacy.services import consent_record
from tests.factories import ClientFactory
from tests.test_channels import (
    ALIYUN_PUSH_TOKEN,
    GENERIC_SECRET,
    TWILIO_TOKEN,
    _loopback_only,  # noqa: F401  (autouse: nothing leaves 127.0.0.1 here either)
    _twilio_signature,
    fake_gateway,
    gateway_options,
    make_message,
    twilio_checks,
)

TWILIO_STATUS = "/hooks/messages/twilio/status/"
TWILIO_INBOUND = "/hooks/messages/twilio/inbound/"
GENERIC_STATUS = "/hooks/messages/generic/status/"
GENERIC_INBOUND = "/hooks/messages/generic/inbound/"


@pytest.fixture(autouse=True)
def _gateways(settings):
    gateway_options(settings)


def _row(tenant, pk) -> Message:
    with tenant_context(tenant):
        return Message.objects.get(pk=pk)


def _events(tenant, pk) -> list[str]:
    with tenant_context(tenant):
        return list(
            MessageEvent.objects.filter(message_id=pk)
            .order_by("id")
            .values_list("status", flat=True)
        )


def _sent(tenant, **values) -> Message:
    with tenant_context(tenant):
        return make_message(status="sent", **values)


def _twilio_post(url: str, params: dict[str, str], *, token: str = TWILIO_TOKEN, signature=None):
    """POST ``params`` to the absolute ``url`` as Twilio does, signed with ``token``."""
    parts = urllib.parse.urlsplit(url)
    client = HttpClient(HTTP_HOST=parts.netloc)
    sig = signature if signature is not None else _twilio_signature(url, params, token)
    return client.post(parts.path, params, HTTP_X_TWILIO_SIGNATURE=sig)


def _generic_post(host: str, path: str, payload, *, secret: str = GENERIC_SECRET):
    body = json.dumps(payload).encode()
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return HttpClient(HTTP_HOST=host).post(
        path, body, content_type="application/json", HTTP_X_SIGNATURE=sig
    )


def _aliyun_post(public_client, kind: str, items, *, token: str = ALIYUN_PUSH_TOKEN):
    return public_client.post(
        f"/hooks/aliyun/{token}/{kind}/", json.dumps(items), content_type="application/json"
    )


# ---------- delivery.record_status ----------


def test_a_report_moves_a_message_forward_and_records_an_event(cast, db):
    message = _sent(cast.tenant_a, provider="generic", provider_id="g-1")
    with tenant_context(cast.tenant_a):
        updated = delivery.record_status(provider="generic", provider_id="g-1", status="delivered")
    assert updated.pk == message.pk
    row = _row(cast.tenant_a, message.pk)
    assert row.status == Status.DELIVERED
    assert row.delivered_at is not None and row.finished_at is not None
    assert _events(cast.tenant_a, message.pk) == ["delivered"]


def test_a_late_report_never_moves_a_message_backwards(cast, db):
    message = _sent(cast.tenant_a, provider="generic", provider_id="g-2")
    with tenant_context(cast.tenant_a):
        delivery.record_status(provider="generic", provider_id="g-2", status="delivered")
        # A "sent" arriving after "delivered", a repeat, and a "failed" after delivery.
        delivery.record_status(provider="generic", provider_id="g-2", status="sent")
        delivery.record_status(provider="generic", provider_id="g-2", status="delivered")
        delivery.record_status(provider="generic", provider_id="g-2", status="failed")
    row = _row(cast.tenant_a, message.pk)
    assert row.status == Status.DELIVERED and row.error == ""
    assert _events(cast.tenant_a, message.pk) == ["delivered"]


def test_a_failed_message_stays_failed_and_keeps_the_gateways_reason(cast, db):
    message = _sent(cast.tenant_a, provider="generic", provider_id="g-3")
    with tenant_context(cast.tenant_a):
        delivery.record_status(
            provider="generic", provider_id="g-3", status="failed", note="handset off"
        )
        delivery.record_status(provider="generic", provider_id="g-3", status="delivered")
    row = _row(cast.tenant_a, message.pk)
    assert row.status == Status.FAILED and row.error == "handset off"
    assert _events(cast.tenant_a, message.pk) == ["failed"]


def test_a_report_of_another_gateway_or_unknown_id_changes_nothing(cast, db):
    message = _sent(cast.tenant_a, provider="twilio", provider_id="SM1")
    with tenant_context(cast.tenant_a):
        assert (
            delivery.record_status(provider="generic", provider_id="SM1", status="failed") is None
        )
        assert delivery.record_status(provider="twilio", provider_id="SM2", status="failed") is None
        assert delivery.record_status(provider="twilio", provider_id="", status="failed") is None
        # Named by its row (Aliyun's OutId) but with another provider id: not this row.
        assert (
            delivery.record_status(
                provider="twilio", provider_id="SM9", status="failed", message_id=message.pk
            )
            is None
        )
    assert _row(cast.tenant_a, message.pk).status == Status.SENT


# ---------- Twilio ----------


def _twilio_sent(cast, settings) -> tuple[Message, str]:
    """A text sent through the Twilio fake, recorded as the outbox records it; with the
    StatusCallback URL the fake was given."""
    with fake_gateway(
        twilio_checks(lambda form: (201, {"sid": "SMabc", "status": "queued"}))
    ) as gw:
        gateway_options(settings, twilio={"api_base": gw.url})
        with tenant_context(cast.tenant_a):
            message = make_message()
            result = TwilioBackend().send(message, idempotency_key=message.idempotency_key)
            message.status, message.provider, message.provider_id = (
                "sent",
                "twilio",
                result.provider_id,
            )
            message.save(update_fields=["status", "provider", "provider_id"])
    return message, gw.seen[0].form()["StatusCallback"]


def test_a_signed_twilio_status_callback_marks_the_message_delivered(cast, db, settings):
    # given
    message, callback = _twilio_sent(cast, settings)
    # when
    response = _twilio_post(
        callback, {"MessageSid": "SMabc", "MessageStatus": "delivered", "AccountSid": "AC1"}
    )
    # then
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert _row(cast.tenant_a, message.pk).status == Status.DELIVERED


def test_a_twilio_failure_report_keeps_its_error_code(cast, db, settings):
    message, callback = _twilio_sent(cast, settings)
    response = _twilio_post(
        callback, {"MessageSid": "SMabc", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    assert response.status_code == 200
    row = _row(cast.tenant_a, message.pk)
    assert row.status == Status.FAILED and "30003" in row.error
    assert row.provider_status == "undelivered"


def test_a_twilio_callback_with_a_bad_or_missing_signature_is_refused(cast, db, settings):
    message, callback = _twilio_sent(cast, settings)
    params = {"MessageSid": "SMabc", "MessageStatus": "delivered"}
    forged = _twilio_post(callback, params, token="not-the-token")
    missing = _twilio_post(callback, params, signature="")
    # Signed for other parameters (a tampered status).
    tampered_sig = _twilio_signature(callback, {**params, "MessageStatus": "sent"}, TWILIO_TOKEN)
    tampered = _twilio_post(callback, params, signature=tampered_sig)
    assert [forged.status_code, missing.status_code, tampered.status_code] == [403, 403, 403]
    assert _row(cast.tenant_a, message.pk).status == Status.SENT
    assert _events(cast.tenant_a, message.pk) == []


def test_twilio_callbacks_take_only_post(cast, db, settings):
    _message, callback = _twilio_sent(cast, settings)
    parts = urllib.parse.urlsplit(callback)
    response = HttpClient(HTTP_HOST=parts.netloc).get(parts.path)
    assert response.status_code == 405


def test_tenant_b_host_cannot_update_tenant_a_message(cast, db, settings):
    # given a well-signed report of A's message id, sent to B's host
    message, _callback = _twilio_sent(cast, settings)
    url_b = f"http://{cast.host_b}:8000{TWILIO_STATUS}"
    # when
    response = _twilio_post(url_b, {"MessageSid": "SMabc", "MessageStatus": "failed"})
    # then
    assert response.status_code == 404
    assert _row(cast.tenant_a, message.pk).status == Status.SENT
    assert _events(cast.tenant_a, message.pk) == []


def test_without_a_twilio_token_the_callbacks_are_not_there(cast, db, settings):
    gateway_options(settings, twilio={"auth_token": ""})
    url = f"http://{cast.host_a}:8000{TWILIO_STATUS}"
    response = _twilio_post(url, {"MessageSid": "x", "MessageStatus": "sent"}, token="")
    assert response.status_code == 404


# ---------- the generic gateway ----------


def test_a_generic_callback_signed_with_hmac_sha256_updates_the_row(cast, db):
    message = _sent(cast.tenant_a, provider="generic", provider_id="gw-9")
    response = _generic_post(cast.host_a, GENERIC_STATUS, {"id": "gw-9", "status": "delivered"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert _row(cast.tenant_a, message.pk).status == Status.DELIVERED


def test_a_generic_callback_with_a_bad_signature_is_refused_and_the_row_unchanged(cast, db):
    message = _sent(cast.tenant_a, provider="generic", provider_id="gw-10")
    response = _generic_post(
        cast.host_a, GENERIC_STATUS, {"id": "gw-10", "status": "failed"}, secret="wrong"
    )
    unsigned = HttpClient(HTTP_HOST=cast.host_a).post(
        GENERIC_STATUS, {"id": "gw-10", "status": "failed"}, content_type="application/json"
    )
    assert response.status_code == 403 and unsigned.status_code == 403
    assert _row(cast.tenant_a, message.pk).status == Status.SENT


def test_a_generic_callback_on_tenant_b_host_does_not_reach_tenant_a(cast, db):
    message = _sent(cast.tenant_a, provider="generic", provider_id="gw-11")
    response = _generic_post(cast.host_b, GENERIC_STATUS, {"id": "gw-11", "status": "failed"})
    assert response.status_code == 404
    assert _row(cast.tenant_a, message.pk).status == Status.SENT


def test_a_generic_callback_that_is_not_json_or_has_an_unknown_status_is_a_400(cast, db):
    body = b"not json"
    sig = hmac.new(GENERIC_SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = HttpClient(HTTP_HOST=cast.host_a).post(
        GENERIC_STATUS, body, content_type="application/json", HTTP_X_SIGNATURE=sig
    )
    unknown = _generic_post(cast.host_a, GENERIC_STATUS, {"id": "gw-1", "status": "exploded"})
    assert response.status_code == 400 and unknown.status_code == 400


# ---------- Aliyun's global push ----------


def test_an_aliyun_report_finds_its_business_and_row_by_out_id(cast, db, public_client):
    message = _sent(cast.tenant_a, provider="aliyun", provider_id="900^0")
    out_id = f"{cast.tenant_a.schema_name}:{message.pk}"
    items = [
        {
            "phone_number": "13812345678",
            "send_time": "2026-12-04 10:00:00",
            "report_time": "2026-12-04 10:00:05",
            "success": True,
            "err_code": "DELIVERED",
            "err_msg": "用户接收成功",
            "sms_size": "1",
            "biz_id": "900^0",
            "out_id": out_id,
        }
    ]
    response = _aliyun_post(public_client, "report", items)
    assert response.status_code == 200
    assert response.json()["code"] == 0
    assert "no-store" in response["Cache-Control"]
    row = _row(cast.tenant_a, message.pk)
    assert row.status == Status.DELIVERED
    # Beijing time 10:00:05 is 02:00:05 UTC.
    assert row.delivered_at.isoformat() == "2026-12-04T02:00:05+00:00"


def test_an_aliyun_failure_report_records_its_code(cast, db, public_client):
    message = _sent(cast.tenant_a, provider="aliyun", provider_id="901^0")
    item = {
        "success": False,
        "err_code": "MK:0001",
        "err_msg": "空号",
        "biz_id": "901^0",
        "out_id": f"{cast.tenant_a.schema_name}:{message.pk}",
        "report_time": "2026-12-04 10:00:05",
    }
    assert _aliyun_post(public_client, "report", [item]).status_code == 200
    row = _row(cast.tenant_a, message.pk)
    assert row.status == Status.FAILED and row.error == "MK:0001 空号"


def test_an_aliyun_push_with_a_wrong_token_is_refused(cast, db, public_client):
    message = _sent(cast.tenant_a, provider="aliyun", provider_id="902^0")
    item = {
        "success": True,
        "biz_id": "902^0",
        "out_id": f"{cast.tenant_a.schema_name}:{message.pk}",
    }
    response = _aliyun_post(public_client, "report", [item], token="guessed-token")
    assert response.status_code == 403
    assert _row(cast.tenant_a, message.pk).status == Status.SENT


def test_an_aliyun_report_naming_tenant_b_never_changes_tenant_a(cast, db, public_client):
    # A's message, but the OutId names B's schema (where that row is not B's, or absent).
    message = _sent(cast.tenant_a, provider="aliyun", provider_id="903^0")
    item = {
        "success": False,
        "err_code": "X",
        "biz_id": "903^0",
        "out_id": f"{cast.tenant_b.schema_name}:{message.pk}",
    }
    response = _aliyun_post(public_client, "report", [item])
    assert response.status_code == 200  # taken, so Aliyun does not retry; nothing applied
    assert _row(cast.tenant_a, message.pk).status == Status.SENT


def test_an_aliyun_push_that_is_not_a_list_of_objects_is_a_400(cast, db, public_client):
    response = public_client.post(
        f"/hooks/aliyun/{ALIYUN_PUSH_TOKEN}/report/", "[1, 2]", content_type="application/json"
    )
    assert response.status_code == 400


def test_without_a_push_token_aliyuns_urls_are_not_there(cast, db, public_client, settings):
    gateway_options(settings, aliyun={"push_token": ""})
    assert _aliyun_post(public_client, "report", [], token="anything").status_code == 404


# ---------- replies and stop words ----------


def _client_with_sms_consent(tenant, mobile="+8613812345678") -> Client:
    with tenant_context(tenant):
        client = ClientFactory(name="张三", mobile=mobile)
        consent_record(
            client=client, purpose=Purpose.MARKETING_SMS, granted=True, method=Method.ONLINE
        )
        return client


def _opted_out(tenant, client) -> tuple[bool, bool]:
    """(marketing SMS consent withdrawn, do-not-contact flag set)."""
    with tenant_context(tenant):
        latest = current_consents([client.pk])[client.pk].get(Purpose.MARKETING_SMS)
        client = Client.objects.get(pk=client.pk)
        return (latest is not None and not latest.granted, Flag.DO_NOT_CONTACT in client.flags)


@pytest.mark.parametrize(
    "body", ["退订", " td ", "T", "Stop", "UNSUBSCRIBE", "取消", "stop!", "退订。"]
)
def test_a_stop_word_withdraws_sms_consent_and_sets_do_not_contact(cast, db, body):
    # given
    client = _client_with_sms_consent(cast.tenant_a)
    # when
    with tenant_context(cast.tenant_a):
        reply = replies.receive(provider="twilio", sender="+86 138 1234 5678", body=body)
    # then
    assert _opted_out(cast.tenant_a, client) == (True, True)
    assert reply.opted_out is True and reply.client_id == client.pk


def test_other_replies_are_kept_and_change_nothing(cast, db):
    client = _client_with_sms_consent(cast.tenant_a)
    with tenant_context(cast.tenant_a):
        for body in ("谢谢", "stop the reminders please", "TDD", "明天见"):
            reply = replies.receive(provider="aliyun", sender="13812345678", body=body)
            assert reply.opted_out is False and reply.client_id == client.pk
        assert InboundReply.objects.count() == 4
    assert _opted_out(cast.tenant_a, client) == (False, False)


def test_a_stop_word_from_an_unknown_number_is_kept_without_a_client(cast, db):
    with tenant_context(cast.tenant_a):
        reply = replies.receive(provider="twilio", sender="+8613900000000", body="STOP")
    assert reply.client_id is None and reply.opted_out is False


def test_a_stop_word_twice_is_one_withdrawal_and_one_flag(cast, db):
    from privacy.models import ConsentRecord

    client = _client_with_sms_consent(cast.tenant_a)
    with tenant_context(cast.tenant_a):
        replies.receive(provider="twilio", sender="+8613812345678", body="STOP")
        replies.receive(provider="twilio", sender="+8613812345678", body="退订")
        assert ConsentRecord.objects.filter(client=client, granted=False).count() == 1
        flags = Client.objects.get(pk=client.pk).flags
    assert flags.count(Flag.DO_NOT_CONTACT) == 1


def test_a_signed_twilio_inbound_stop_opts_the_client_out(cast, db):
    client = _client_with_sms_consent(cast.tenant_a)
    url = f"http://{cast.host_a}:8000{TWILIO_INBOUND}"
    response = _twilio_post(url, {"From": "+8613812345678", "To": "+15005550006", "Body": "STOP"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert _opted_out(cast.tenant_a, client) == (True, True)


def test_a_forged_inbound_stop_changes_nothing(cast, db):
    client = _client_with_sms_consent(cast.tenant_a)
    url = f"http://{cast.host_a}:8000{TWILIO_INBOUND}"
    response = _twilio_post(url, {"From": "+8613812345678", "Body": "STOP"}, token="forged")
    assert response.status_code == 403
    assert _opted_out(cast.tenant_a, client) == (False, False)
    with tenant_context(cast.tenant_a):
        assert InboundReply.objects.count() == 0


def test_a_stop_on_tenant_b_host_leaves_tenant_a_client_alone(cast, db):
    client = _client_with_sms_consent(cast.tenant_a)
    url = f"http://{cast.host_b}:8000{TWILIO_INBOUND}"
    response = _twilio_post(url, {"From": "+8613812345678", "Body": "STOP"})
    assert response.status_code == 200
    assert _opted_out(cast.tenant_a, client) == (False, False)
    with tenant_context(cast.tenant_b):
        assert InboundReply.objects.get().client_id is None


def test_a_generic_inbound_stop_opts_the_client_out(cast, db):
    client = _client_with_sms_consent(cast.tenant_a)
    response = _generic_post(cast.host_a, GENERIC_INBOUND, {"from": "8613812345678", "text": "TD"})
    assert response.status_code == 200
    assert _opted_out(cast.tenant_a, client) == (True, True)


def test_an_aliyun_reply_finds_its_business_by_the_extension_code(cast, db, public_client):
    client = _client_with_sms_consent(cast.tenant_a)
    item = {
        "phone_number": "13812345678",
        "send_time": "2026-12-04 10:00:00",
        "content": "退订",
        "sign_name": "阿尔法医美",
        "dest_code": str(cast.tenant_a.pk),
        "sequence_id": 1234,
    }
    response = _aliyun_post(public_client, "reply", [item])
    assert response.status_code == 200
    assert _opted_out(cast.tenant_a, client) == (True, True)
    with tenant_context(cast.tenant_b):
        assert InboundReply.objects.count() == 0


def test_replies_are_in_the_clients_export_and_blanked_by_erasure(cast, db):
    client = _client_with_sms_consent(cast.tenant_a)
    with tenant_context(cast.tenant_a):
        replies.receive(provider="twilio", sender="+8613812345678", body="谢谢")
        exported = replies.replies_export(client, user=None)
        assert [(e["text"], e["from"]) for e in exported] == [("谢谢", "+8613812345678")]
        replies.replies_erase(client)
        reply = InboundReply.objects.get(client=client)
    assert (reply.sender, reply.body) == ("", "")


# ---------- the CSRF-exempt hooks echo nothing ----------

HOSTILE = "<script>alert('x')</script>悦颜"
FIXED_ANSWERS = {
    b"ok",
    b"bad signature",
    b"not JSON",
    b"not an object",
    b"unknown status",
    b"no sender",
    b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>',
}


def test_the_hooks_answer_fixed_words_whatever_they_are_sent(cast, db, public_client):
    """The gateway hooks are exempt from CSRF: none of their answers may carry the
    request's (or the business's) text, so none can be turned into a page."""
    answers = [
        _generic_post(cast.host_a, GENERIC_STATUS, {"id": HOSTILE, "status": HOSTILE}),
        _generic_post(cast.host_a, GENERIC_STATUS, {"id": HOSTILE, "status": "delivered"}),
        _generic_post(cast.host_a, GENERIC_STATUS, {"id": "x", "status": "failed"}, secret=HOSTILE),
        _generic_post(cast.host_a, "/hooks/messages/generic/inbound/", {"from": HOSTILE}),
        _generic_post(cast.host_a, "/hooks/messages/generic/inbound/", [HOSTILE]),
    ]
    for response in answers:
        assert "alert" not in response.content.decode() and "悦颜" not in response.content.decode()
        if response.status_code == 404:  # an unknown message: the site's own 404 page
            continue
        assert response.content in FIXED_ANSWERS, response.content
        assert response["Content-Type"].startswith("text/plain")
    for items in ([{"out_id": HOSTILE, "success": HOSTILE}], HOSTILE):
        response = _aliyun_post(public_client, "report", items)
        assert HOSTILE.encode() not in response.content
        assert "'" not in response.content.decode() and "<" not in response.content.decode()
        assert response["Content-Type"] == "application/json"


def test_a_stripe_refusal_is_always_one_of_its_fixed_words():
    from billing.sync import WebhookRefused

    assert WebhookRefused("bad signature").reason == "bad signature"
    with pytest.raises(ValueError):
        WebhookRefused(HOSTILE)
