"""The message pages: the log under /messages/ with this month's counts and filters, one
message's life with Resend and the decision on a held one, the client file's Messages tab
and timeline, the message settings and the wording of each message. In English and
Chinese, guarded by role on the database, never cached, and each business its own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import User
from audit.models import AuditEntry
from notifications import templates
from notifications.models import Message, MessageTemplate, NotificationSettings, Status
from notifications.settings_services import notification_settings_update
from tests.conftest import staff_member
from tests.factories import ClientFactory
from tests.test_outbox import row

LOG = "/messages/"
SETTINGS = "/messages/settings/"
TEMPLATES = "/messages/templates/"
REMINDER_SMS_EN = "/messages/templates/reminder/sms/en/"


def _in_chinese(tenant, email: str) -> None:
    with tenant_context(tenant):
        User.objects.filter(email=email).update(language="zh-hans")


def _settings_form(**changes) -> dict:
    values = {
        "enabled_kinds": ["confirmation", "reminder", "cancellation"],
        "reminder_hours": "24, 2",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "morning_at": "10:00",
        "follow_up_after_hours": "24",
        "sms_signature": "【光彩美容】",
        "reply_email": "front@alpha.test",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


# ---------- the log ----------


def test_the_log_shows_each_message_with_its_client_and_the_months_counts(cast, owner_a):
    with tenant_context(cast.tenant_a):
        client = ClientFactory(name="王芳", mobile="13800000021")
        row("log:sent", client=client, status=Status.SENT, segments=2, sent_at=timezone.now())
        row(
            "log:failed",
            channel="email",
            recipient="wang@example.com",
            status=Status.FAILED,
            error="Mailbox unavailable",
            idempotency_key="log:failed:email",
        )
    page = owner_a.get(LOG)
    assert page.status_code == 200
    html = page.content.decode()
    assert "王芳" in html and f"/clients/{client.pk}/messages/" in html
    assert "Mailbox unavailable" in html and "wang@example.com" in html
    usage = page.context["usage"]
    assert (usage["sms_segments"], usage["sms"], usage["emails"]) == (2, 1, 0)
    assert page["Cache-Control"] == "no-store"


def test_the_log_filters_by_status_kind_channel_date_and_recipient(cast, owner_a):
    with tenant_context(cast.tenant_a):
        row("f:1", status=Status.FAILED, recipient="13800000031")
        row("f:2", kind="confirmation", status=Status.SENT, recipient="13800000032")
        old = row("f:3", status=Status.SENT, recipient="13800000033")
        Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))

    def shown(**params) -> set[str]:
        page = owner_a.get(LOG, params)
        assert page.status_code == 200
        return {m.recipient for m in page.context["page"].object_list}

    assert shown(status="failed") == {"13800000031"}
    assert shown(kind="confirmation") == {"13800000032"}
    assert shown(channel="email") == set()
    since = (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    assert "13800000033" not in shown(date_from=since)
    assert shown(q="0033") == {"13800000033"}
    assert shown(q="138 0000 0032") == {"13800000032"}
    # a bad filter value is dropped, not a failed page
    assert owner_a.get(LOG, {"status": "nonsense", "date_from": "soon"}).status_code == 200


def test_the_log_costs_the_same_queries_however_many_rows(
    cast, owner_a, django_assert_max_num_queries
):
    with tenant_context(cast.tenant_a):
        for n in range(2):
            row(f"q:{n}", client=ClientFactory(mobile=f"1390000010{n}"))
    with CaptureQueriesContext(connection) as few:
        assert owner_a.get(LOG).status_code == 200
    with tenant_context(cast.tenant_a):
        for n in range(30):
            row(f"q:more:{n}", client=ClientFactory(mobile=f"139000002{n:02d}"))
    with django_assert_max_num_queries(len(few)):
        page = owner_a.get(LOG)
    assert len(page.context["page"].object_list) == 25


def test_the_pages_read_in_chinese(cast, owner_a):
    with tenant_context(cast.tenant_a):
        message = row("zh:1", status=Status.FAILED, error="网关拒绝")
    _in_chinese(cast.tenant_a, cast.owner_a)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    log_page = owner_a.get(LOG, **zh).content.decode()
    assert "本月短信条数" in log_page and "消息记录" in log_page and "失败" in log_page
    detail = owner_a.get(f"{LOG}{message.pk}/", **zh).content.decode()
    assert "重新发送" in detail and "发送经过" in detail
    settings_page = owner_a.get(SETTINGS, **zh).content.decode()
    assert "消息设置" in settings_page and "免打扰开始" in settings_page
    assert "消息文案" in owner_a.get(TEMPLATES, **zh).content.decode()
    edit = owner_a.get("/messages/templates/reminder/sms/zh-hans/", **zh).content.decode()
    assert "短信条数" in edit and "李安娜" in edit


def test_the_pages_read_in_english(cast, owner_a):
    with tenant_context(cast.tenant_a):
        message = row("en:1", status=Status.FAILED, error="Gateway refused")
    assert "SMS parts this month" in owner_a.get(LOG).content.decode()
    assert "Resend" in owner_a.get(f"{LOG}{message.pk}/").content.decode()
    assert "Quiet hours start" in owner_a.get(SETTINGS).content.decode()
    assert "Wording of messages" in owner_a.get(TEMPLATES).content.decode()
    edit = owner_a.get(REMINDER_SMS_EN).content.decode()
    assert "SMS parts" in edit and "Anna Lee" in edit


# ---------- one message ----------


def test_a_message_shows_its_life_in_the_business_time_zone(cast, owner_a):
    with tenant_context(cast.tenant_a):
        message = row("life:1", status=Status.SENT, provider="sink", provider_id="SM-42")
        message.events.create(status=Status.SENDING, note="Attempt 1")
        at = dt.datetime(2026, 3, 5, 1, 2, 3, tzinfo=dt.UTC)  # 09:02:03 in Shanghai
        message.events.create(status=Status.SENT, at=at, note="")
    page = owner_a.get(f"{LOG}{message.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "See you tomorrow at 09:00" in html and "SM-42" in html and "Attempt 1" in html
    assert "09:02:03" in html
    assert {e.status for e in page.context["events"]} == {"queued", "sending", "sent"}
    assert page["Cache-Control"] == "no-store"


def test_resend_makes_a_new_row_and_front_desk_may_do_it(cast, front_desk_a):
    with tenant_context(cast.tenant_a):
        failed = row("resend:1", status=Status.FAILED, error="Timeout")
    response = front_desk_a.post(f"{LOG}{failed.pk}/resend/")
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        copy = Message.objects.get(resend_of=failed)
        assert copy.body == failed.body and copy.status == Status.QUEUED
        assert copy.created_by.email == cast.front_desk_a
        assert response["Location"] == f"{LOG}{copy.pk}/"
        failed.refresh_from_db()
        assert failed.status == Status.FAILED


def test_a_message_that_has_not_left_is_not_resent(cast, owner_a):
    with tenant_context(cast.tenant_a):
        queued = row("resend:queued")
    page = owner_a.post(f"{LOG}{queued.pk}/resend/", follow=True)
    assert "Only a message that has left" in page.content.decode()
    with tenant_context(cast.tenant_a):
        assert not Message.objects.filter(resend_of=queued).exists()


def test_a_held_message_is_sent_again_or_given_up_by_decision(cast, owner_a):
    with tenant_context(cast.tenant_a):
        held = row("held:1", status=Status.HELD)
        other = row("held:2", status=Status.HELD)
    page = owner_a.get(f"{LOG}{held.pk}/").content.decode()
    assert "Send it again" in page and "Do not send" in page
    assert owner_a.post(f"{LOG}{held.pk}/send/").status_code == 302
    assert owner_a.post(f"{LOG}{other.pk}/cancel/").status_code == 302
    with tenant_context(cast.tenant_a):
        held.refresh_from_db()
        other.refresh_from_db()
        assert held.status == Status.QUEUED and other.status == Status.CANCELLED
    again = owner_a.post(f"{LOG}{other.pk}/send/", follow=True).content.decode()
    assert "not waiting for a decision" in again


def test_staff_mail_is_hidden_from_front_desk_and_its_text_from_everyone(
    cast, owner_a, front_desk_a
):
    with tenant_context(cast.tenant_a):
        reset = row(
            "staff:reset",
            kind="password_reset",
            channel="email",
            recipient="doctor@alpha.test",
            body="Reset here: https://alpha.localhost/accounts/reset/SECRET-TOKEN/",
            idempotency_key="staff:reset:email",
        )
    assert front_desk_a.get(f"{LOG}{reset.pk}/").status_code == 404
    assert "doctor@alpha.test" not in front_desk_a.get(LOG).content.decode()
    page = owner_a.get(f"{LOG}{reset.pk}/").content.decode()
    assert "doctor@alpha.test" in page and "SECRET-TOKEN" not in page


def test_another_business_cannot_see_or_resend_a_message(cast, owner_a, owner_b, twins):
    def make(tenant):
        return row("twin:1", status=Status.FAILED, body=f"Text of {tenant.schema_name}")

    mine, theirs = twins(Message, make)
    with tenant_context(cast.tenant_a):
        only_a = row("only-a", status=Status.FAILED, body="Alpha only")
    assert owner_b.get(f"{LOG}{only_a.pk}/").status_code == 404
    assert owner_b.post(f"{LOG}{only_a.pk}/resend/").status_code == 404
    twin_page = owner_b.get(f"{LOG}{mine.pk}/").content.decode()
    assert f"Text of {cast.tenant_b.schema_name}" in twin_page
    assert f"Text of {cast.tenant_a.schema_name}" not in twin_page
    assert "Alpha only" not in owner_b.get(LOG).content.decode()
    with tenant_context(cast.tenant_a):
        assert not Message.objects.filter(resend_of__isnull=False).exists()
    assert owner_a.get(f"{LOG}{mine.pk}/").status_code == 200


def test_roles_are_enforced(cast, front_desk_a, practitioner_a):
    with tenant_context(cast.tenant_a):
        message = row("roles:1", status=Status.FAILED)
    for client in (front_desk_a, practitioner_a):
        assert client.get(LOG).status_code == 200
        assert client.get(f"{LOG}{message.pk}/").status_code == 200
        assert client.get(SETTINGS).status_code == 403
        assert client.post(SETTINGS, _settings_form()).status_code == 403
        assert client.get(TEMPLATES).status_code == 403
        assert client.post(REMINDER_SMS_EN, {"body": "x"}).status_code == 403
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    with tenant_context(cast.tenant_a), pytest.raises(ValidationError):
        notification_settings_update(actor=desk, values={"reminder_hours": [3]})
    with tenant_context(cast.tenant_a):
        # the role is removed on the database, not only in the session
        User.objects.filter(email=cast.front_desk_a).update(roles=["marketing"])
    assert front_desk_a.get(LOG).status_code == 403
    assert front_desk_a.post(f"{LOG}{message.pk}/resend/").status_code == 403


# ---------- the client file ----------


def test_the_client_file_has_a_messages_tab_and_timeline_entries(cast, owner_a, owner_b):
    with tenant_context(cast.tenant_a):
        client = ClientFactory(name="李雷", mobile="13800000041")
        row(
            "tab:1",
            client=client,
            recipient="13800000041",
            status=Status.FAILED,
            error="Number unreachable",
        )
        row("tab:other", recipient="13800000042")
    tab = owner_a.get(f"/clients/{client.pk}/messages/")
    assert tab.status_code == 200
    html = tab.content.decode()
    # the number as people write it in the business's region
    assert "138 0000 0041" in html and "138 0000 0042" not in html
    timeline = owner_a.get(f"/clients/{client.pk}/timeline/").content.decode()
    assert "Appointment reminder by SMS: Failed" in timeline
    assert "Number unreachable" in timeline
    assert owner_b.get(f"/clients/{client.pk}/messages/").status_code == 404


# ---------- settings ----------


def test_the_owner_changes_the_message_settings_and_it_is_audited(cast, owner_a, owner_b):
    response = owner_a.post(SETTINGS, _settings_form())
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        rules = NotificationSettings.load()
        assert rules.enabled_kinds == ["confirmation", "reminder", "cancellation"]
        assert rules.reminder_hours == [24, 2]
        assert (rules.quiet_start, rules.morning_at) == (dt.time(21), dt.time(10))
        assert rules.sms_signature == "光彩美容"
        assert rules.reply_email == "front@alpha.test"
        entry = AuditEntry.objects.get(object_type="notification_settings")
        assert "enabled_kinds" in entry.fields and "sms_signature" in entry.fields
    with tenant_context(cast.tenant_b):
        assert NotificationSettings.load().sms_signature == ""
    assert 'value="24, 2"' in owner_a.get(SETTINGS).content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reminder_hours", "24, soon", "whole hours separated by commas"),
        ("reminder_hours", "0", "between 1 and 720 hours"),
        ("reminder_hours", "48, 24, 12, 6, 2", "At most 4 reminders"),
        ("morning_at", "22:30", "falls in the quiet hours"),
        ("reply_email", "not an address", "valid email"),
        ("quiet_end", "25:00", "valid time"),
    ],
)
def test_bad_settings_are_refused_beside_the_field(cast, owner_a, field, value, message):
    response = owner_a.post(SETTINGS, _settings_form(**{field: value}))
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    with tenant_context(cast.tenant_a):
        assert NotificationSettings.load().sms_signature == ""


def test_every_refusal_shows_at_once(cast, owner_a):
    response = owner_a.post(SETTINGS, _settings_form(reminder_hours="24, soon", morning_at="23:00"))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"reminder_hours", "morning_at"}


def test_reminder_hours_accept_a_chinese_comma(cast, owner_a):
    assert owner_a.post(SETTINGS, _settings_form(reminder_hours="2，24，24")).status_code == 302
    with tenant_context(cast.tenant_a):
        assert NotificationSettings.load().reminder_hours == [24, 2]


# ---------- wording ----------


def test_own_wording_is_saved_used_by_render_and_reset(cast, owner_a, owner_b):
    assert owner_a.get(TEMPLATES).status_code == 200
    response = owner_a.post(
        REMINDER_SMS_EN, {"action": "save", "body": "See you {date} at {time}, {client_name}!"}
    )
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        rendered = templates.render(
            kind="reminder",
            channel="sms",
            language="en",
            context={"date": "Mon 7 Dec", "time": "10:00", "client_name": "Ann"},
        )
        assert rendered.body == "See you Mon 7 Dec at 10:00, Ann!"
        assert AuditEntry.objects.filter(object_type="message_template", action="create").exists()
    with tenant_context(cast.tenant_b):
        assert not MessageTemplate.objects.exists()
    assert "Own wording" in owner_a.get(TEMPLATES).content.decode()
    assert owner_a.post(REMINDER_SMS_EN, {"action": "reset"}).status_code == 302
    with tenant_context(cast.tenant_a):
        assert not MessageTemplate.objects.exists()
        assert AuditEntry.objects.filter(object_type="message_template", action="delete").exists()


def test_an_unknown_variable_is_refused_beside_the_field(cast, owner_a):
    response = owner_a.post(REMINDER_SMS_EN, {"action": "save", "body": "Hi {nickname}"})
    assert response.status_code == 400
    assert any("{nickname}" in e for e in response.context["form"].errors["body"])
    email = owner_a.post(
        "/messages/templates/reminder/email/en/",
        {"action": "save", "subject": "{client.password}", "body": "Hello"},
    )
    assert email.status_code == 400
    with tenant_context(cast.tenant_a):
        assert not MessageTemplate.objects.exists()


def test_the_preview_counts_characters_and_parts_without_saving(cast, owner_a):
    latin = owner_a.post(REMINDER_SMS_EN, {"action": "preview", "body": "a" * 160})
    assert (latin.context["sms"].segments, latin.context["sms"].unicode) == (1, False)
    with tenant_context(cast.tenant_a):
        NotificationSettings.objects.filter(pk=NotificationSettings.load().pk).update(
            sms_signature="光彩"
        )
    chinese = "您" * 67
    page = owner_a.post(
        "/messages/templates/reminder/sms/zh-hans/", {"action": "preview", "body": chinese}
    )
    assert page.status_code == 200
    sms = page.context["sms"]
    # 【光彩】 + 67 characters: 71 UCS-2 characters, over 70, so two parts of 67
    assert (sms.characters, sms.segments, sms.unicode) == (71, 2, True)
    assert page.context["rendered"].body.startswith("【光彩】")
    with tenant_context(cast.tenant_a):
        assert not MessageTemplate.objects.exists()


def test_an_unknown_kind_channel_or_language_is_404(owner_a):
    assert owner_a.get("/messages/templates/nonsense/sms/en/").status_code == 404
    assert owner_a.get("/messages/templates/reminder/fax/en/").status_code == 404
    assert owner_a.get("/messages/templates/reminder/sms/fr/").status_code == 404


# ---------- the operator console ----------


def test_the_operator_console_counts_each_business_this_month(cast, db, public_client):
    from tests.conftest import operator_signed_in

    with tenant_context(cast.tenant_a):
        row("op:sms", status=Status.DELIVERED, segments=3)
        row("op:sms2", status=Status.SENT, segments=1)
        row("op:failed", status=Status.FAILED, segments=5)
        old = row("op:old", status=Status.SENT, segments=7)
        Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=45))
        row(
            "op:mail",
            channel="email",
            status=Status.SENT,
            segments=0,
            idempotency_key="op:mail:email",
        )
    client = operator_signed_in(public_client)
    page = client.get("/console/")
    keys = [c.key for c in page.context["counters"]]
    counts = {
        t.schema_name: dict(zip(keys, values, strict=True)) for t, values in page.context["rows"]
    }
    assert counts[cast.tenant_a.schema_name]["sms_segments_month"] == 4
    assert counts[cast.tenant_a.schema_name]["emails_month"] == 1
    assert counts[cast.tenant_b.schema_name]["sms_segments_month"] == 0
    assert "SMS parts this month" in page.content.decode()
    one = client.get(f"/console/tenants/{cast.tenant_a.pk}/")
    assert ("SMS parts this month", 4) in [
        (str(label), value) for label, value in one.context["counts"]
    ]
