"""Staff invitations and password resets leave through the outbox: one row per
invitation or request, written with its cause, sent once, and the copy kept no longer
holds the link once it has left."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from accounts.models import User
from notifications import outbox
from notifications.models import Kind, Message, Status
from tests.conftest import portal_client, staff_member

RESET = "/accounts/password/reset/"


def _invite(client, email="nina@alpha.test"):
    return client.post(
        "/accounts/staff/", {"full_name": "Nina Nurse", "email": email, "roles": ["front_desk"]}
    )


def test_an_invitation_is_an_outbox_row_sent_once_without_its_link_kept(
    cast, owner_a, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(owner_a).status_code == 302
    # then: one email, with the link, from one row that reads sent
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@alpha.test"]
    assert re.search(r"/accounts/invitation/\S+/", mail.outbox[0].body)
    assert "Alpha Aesthetics" in mail.outbox[0].subject
    with tenant_context(cast.tenant_a):
        row = Message.objects.get(kind=Kind.INVITATION)
        assert (row.channel, row.recipient, row.status) == ("email", "nina@alpha.test", "sent")
        assert row.language == cast.tenant_a.language
        assert row.created_by == staff_member(cast.tenant_a, cast.owner_a)
        assert "/accounts/invitation/" not in row.body and "…" in row.body
        # and: a second delivery of its task sends nothing
        assert outbox.send_now(row.pk) is None
    assert len(mail.outbox) == 1
    # and: B's outbox has none of it
    with tenant_context(cast.tenant_b):
        assert not Message.objects.filter(kind=Kind.INVITATION).exists()


def test_each_invitation_has_its_own_row(cast, owner_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(owner_a, "one@alpha.test")
        _invite(owner_a, "one@alpha.test")  # again: the first is withdrawn, a new one made
    with tenant_context(cast.tenant_a):
        rows = Message.objects.filter(kind=Kind.INVITATION)
        assert rows.count() == 2 and len({r.idempotency_key for r in rows}) == 2
    assert len(mail.outbox) == 2


def test_a_password_reset_is_an_outbox_row_in_the_users_language(
    cast, db, django_capture_on_commit_callbacks
):
    # given: the front desk reads Chinese
    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.front_desk_a).update(language="zh-hans")
    # when: two requests
    with django_capture_on_commit_callbacks(execute=True):
        portal_client(cast.host_a).post(RESET, {"email": cast.front_desk_a})
        portal_client(cast.host_a).post(RESET, {"email": cast.front_desk_a})
    # then: two emails in Chinese, each with a working link
    assert len(mail.outbox) == 2
    assert all("重置" in email.subject for email in mail.outbox)
    links = [
        re.search(r"http://alpha\.localhost(:\d+)?/accounts/password/reset/\S+", e.body)
        for e in mail.outbox
    ]
    assert all(links)
    with tenant_context(cast.tenant_a):
        rows = list(Message.objects.filter(kind=Kind.PASSWORD_RESET))
        assert len(rows) == 2 and len({r.idempotency_key for r in rows}) == 2
        for row in rows:
            assert row.status == Status.SENT and row.language == "zh-hans"
            assert row.recipient == cast.front_desk_a
            assert "/accounts/password/reset/" not in row.body
    with tenant_context(cast.tenant_b):
        assert not Message.objects.filter(kind=Kind.PASSWORD_RESET).exists()


def test_a_reset_asked_on_b_for_an_address_of_a_writes_nothing_anywhere(
    cast, db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        portal_client(cast.host_b).post(RESET, {"email": cast.front_desk_a})
    assert mail.outbox == []
    for tenant in (cast.tenant_a, cast.tenant_b):
        with tenant_context(tenant):
            assert not Message.objects.filter(kind=Kind.PASSWORD_RESET).exists()


def test_a_message_with_a_link_is_not_resent_from_its_row(
    cast, owner_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(owner_a)
    with tenant_context(cast.tenant_a):
        row = Message.objects.get(kind=Kind.INVITATION)
        with pytest.raises(ValidationError, match="not sent again"):
            outbox.resend(message=row, actor=staff_member(cast.tenant_a, cast.owner_a))
        assert Message.objects.filter(kind=Kind.INVITATION).count() == 1


def test_the_message_page_offers_no_resend_for_a_link_or_code(
    cast, owner_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(owner_a)
    with tenant_context(cast.tenant_a):
        row = Message.objects.get(kind=Kind.INVITATION)
    page = owner_a.get(f"/messages/{row.pk}/").content.decode()
    assert f"/messages/{row.pk}/resend/" not in page
