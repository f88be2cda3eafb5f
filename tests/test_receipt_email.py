"""The bill page's "Email receipt": a RECEIPT message through the outbox to the client's
address, in the client's language, with the receipt PDF attached; roles and tenant
isolation."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from clients.models import Client
from notifications.models import Kind, Message, Status
from tests.conftest import signed_in
from tests.test_finance_receipts import NOW, _paid_bill, pdf_text

pytestmark = pytest.mark.clock(NOW)


def _with_email(cast, bill, email="wang@example.com", language=""):
    with tenant_context(cast.tenant_a):
        Client.objects.filter(pk=bill.client_id).update(email=email, language=language)


def _email(client, bill):
    return client.post(f"/till/bills/{bill.pk}/receipt/email/", follow=True)


def test_the_receipt_is_emailed_with_its_pdf_in_the_clients_language(
    cast, front_desk_a, django_capture_on_commit_callbacks
):
    # given: a paid bill of a client who reads Chinese and has an email address
    bill = _paid_bill(cast)
    _with_email(cast, bill, language="zh-hans")
    page = front_desk_a.get(f"/till/bills/{bill.pk}/").content.decode()
    assert "Email receipt" in page and f"/till/bills/{bill.pk}/receipt/email/" in page
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _email(front_desk_a, bill)
    # then: the page says where it went
    assert response.status_code == 200
    assert "on its way to wang@example.com" in response.content.decode()
    # and: one email in Chinese, with the PDF of this bill
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["wang@example.com"] and "收据" in sent.subject
    assert str(bill.number) in sent.subject and "668.70" in sent.body
    [(filename, content, mimetype)] = sent.attachments
    assert filename == f"receipt-{bill.number}.pdf" and mimetype == "application/pdf"
    assert "668.70" in pdf_text(content) and "收据" in pdf_text(content)
    with tenant_context(cast.tenant_a):
        row = Message.objects.get(kind=Kind.RECEIPT)
        assert (row.status, row.channel, row.language) == (Status.SENT, "email", "zh-hans")
        assert row.client_id == bill.client_id
    with tenant_context(cast.tenant_b):
        assert not Message.objects.filter(kind=Kind.RECEIPT).exists()


def test_a_double_press_sends_the_receipt_once(
    cast, front_desk_a, django_capture_on_commit_callbacks
):
    bill = _paid_bill(cast)
    _with_email(cast, bill)
    with django_capture_on_commit_callbacks(execute=True):
        _email(front_desk_a, bill)
        _email(front_desk_a, bill)
    assert len(mail.outbox) == 1
    with tenant_context(cast.tenant_a):
        assert Message.objects.filter(kind=Kind.RECEIPT).count() == 1


def test_without_an_email_address_the_button_is_off_and_nothing_is_sent(
    cast, front_desk_a, django_capture_on_commit_callbacks
):
    bill = _paid_bill(cast)
    _with_email(cast, bill, email="")
    page = front_desk_a.get(f"/till/bills/{bill.pk}/").content.decode()
    assert "disabled" in page.split("Email receipt")[0].rsplit("<button", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = _email(front_desk_a, bill)
    assert "The client has no email address." in response.content.decode()
    assert mail.outbox == []
    with tenant_context(cast.tenant_a):
        assert not Message.objects.filter(kind=Kind.RECEIPT).exists()


def test_a_practitioner_cannot_email_a_receipt(cast, db):
    bill = _paid_bill(cast)
    _with_email(cast, bill)
    doctor = signed_in(cast.tenant_a, cast.host_a, cast.practitioner_a)
    assert doctor.post(f"/till/bills/{bill.pk}/receipt/email/").status_code == 403
    with tenant_context(cast.tenant_a):
        assert not Message.objects.filter(kind=Kind.RECEIPT).exists()


def test_another_business_cannot_email_a_receipt(cast, owner_b, django_capture_on_commit_callbacks):
    bill = _paid_bill(cast)
    _with_email(cast, bill)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_b.post(f"/till/bills/{bill.pk}/receipt/email/")
    assert response.status_code == 404
    assert mail.outbox == []
    for tenant in (cast.tenant_a, cast.tenant_b):
        with tenant_context(tenant):
            assert not Message.objects.filter(kind=Kind.RECEIPT).exists()
