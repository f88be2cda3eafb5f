"""Receipts of the till: the PDF's extracted text holds the right labels and totals in
English and in Chinese (the client's own language, else the business's default), the seller's
details, the logo, payments with cash change, refunds and the balance due; the printable
page; roles and tenant isolation."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import schema_context, tenant_context
from PIL import Image
from pypdf import PdfReader

from finance import bills
from finance.models import (
    Bill,
    FinanceSettings,
    LineKind,
)
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory

# Friday 20 November 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.clock(NOW)
D = Decimal


# ---------- building bills (through the till's services) ----------


def make_bill(
    client,
    lines,
    *,
    actor,
    payments=(),
    refunds=(),
    discount=None,
    void_reason="",
) -> Bill:
    """A bill of ``client`` with ``lines`` [(item, quantity, unit price, discount kind,
    value)], the whole-bill ``discount`` (kind, value), then issued; ``payments``
    [(method, amount, tendered)] taken and ``refunds`` [(payment index, amount, reason)]
    given, all by ``actor`` (an approver when there are refunds or a void)."""
    bill = bills.bill_create(client=client, actor=actor)
    for item, quantity, price, kind, value in lines:
        bills.line_add(
            bill=bill,
            actor=actor,
            kind=LineKind.SERVICE,
            description=item,
            unit_price=D(price),
            quantity=quantity,
            discount_kind=kind,
            discount_value=D(value),
            discount_reason="loyal client" if kind else "",
        )
    if discount:
        bills.bill_discount_set(
            bill=bill, actor=actor, kind=discount[0], value=D(discount[1]), reason="opening week"
        )
    bills.bill_issue(bill=bill, actor=actor)
    taken = [
        bills.payment_take(
            bill=bill,
            actor=actor,
            method=method,
            amount=D(amount),
            tendered=D(tendered) if tendered is not None else None,
        )
        for method, amount, tendered in payments
    ]
    for index, amount, reason in refunds:
        bills.refund_create(payment=taken[index], actor=actor, amount=D(amount), reason=reason)
    if void_reason:
        bills.bill_void(bill=bill, actor=actor, reason=void_reason)
    bill.refresh_from_db()
    return bill


def pdf_text(content: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace("\xa0", " ")


def _reads_english(cast) -> None:
    from accounts.models import User

    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.front_desk_a).update(language="en")


def _tenant_a(cast, **values):
    from tenants.models import Tenant

    with schema_context("public"):
        Tenant.objects.filter(pk=cast.tenant_a.pk).update(**values)


def _till(**values) -> None:
    till = FinanceSettings.load()
    for name, value in values.items():
        setattr(till, name, value)
    till.save()


LINES = [
    # 2 × 299.00 less 10 % = 538.20; 150.50; then 20.00 off the bill spread over both.
    ("Hydrating facial 补水护理", 2, "299.00", "percent", "10"),
    ("Serum 精华", 1, "150.50", "", "0"),
]


def _paid_bill(cast, client_name="Wang Fang", language="") -> Bill:
    """688.70 less 20 off = 668.70 incl. 6 % tax (37.85): 500 by WeChat, 168.70 in cash out
    of 200 handed over (change 31.30)."""
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        _till(
            seller_tax_id="91310000MA1K000001",
            receipt_footer="Thank you · 谢谢惠顾",
            tax_rate=D("6"),
            tax_mode="inclusive",
        )
        client = ClientFactory(tenant=cast.tenant_a, name=client_name, language=language)
        bills.billing_profile_update(
            client=client,
            actor=owner,
            invoice_title="上海星光美容有限公司",
            tax_id="91310115MA1H000XYZ",
        )
        return make_bill(
            client,
            LINES,
            actor=owner,
            discount=("amount", "20"),
            payments=[("wechat", "500.00", None), ("cash", "168.70", "200.00")],
        )


# ---------- the PDF ----------


def test_the_receipt_pdf_in_english_holds_lines_totals_payments_change_and_seller(
    cast, front_desk_a
):
    # given
    _tenant_a(cast, address="88 Nanjing Road, Shanghai", phone="021 5555 0101")
    bill = _paid_bill(cast)
    assert bill.total == D("668.70") and bill.tax_total == D("37.85")
    # when
    response = front_desk_a.get(f"/till/bills/{bill.pk}/receipt.pdf")
    # then
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith("inline;")
    text = pdf_text(response.content)
    assert f"Receipt No. {bill.number}" in text
    for expected in (
        "Alpha Aesthetics",
        "88 Nanjing Road, Shanghai",
        "021 5555 0101",
        "91310000MA1K000001",
        "Wang Fang",
        "Invoice title: 上海星光美容有限公司",
        "Tax ID: 91310115MA1H000XYZ",
        "Hydrating facial 补水护理",
        "CNY 299.00",
        "Subtotal",
        "CNY 748.50",
        "Discounts",
        "-CNY 79.80",
        "Tax included (6%)",
        "CNY 37.85",
        "Total",
        "CNY 668.70",
        "WeChat Pay",
        "CNY 500.00",
        "Cash",
        "handed over CNY 200.00",
        "change CNY 31.30",
        "Balance due",
        "CNY 0.00",
        "Thank you · 谢谢惠顾",
    ):
        assert expected in text, expected
    # issued at 10:00 in Shanghai (02:00 UTC)
    assert "10:00" in text or "10 a.m." in text


def test_the_receipt_pdf_is_in_chinese_when_the_business_reads_chinese(cast, front_desk_a):
    # given: the client has no language of their own; the business's default is Chinese
    _tenant_a(cast, language="zh-hans")
    bill = _paid_bill(cast, client_name="王芳")
    # when: the front-desk user reads the portal in English
    _reads_english(cast)
    response = front_desk_a.get(f"/till/bills/{bill.pk}/receipt.pdf?download=1")
    # then
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.content)
    for expected in (
        f"收据 第{bill.number}号",
        "客户: 王芳",
        "发票抬头: 上海星光美容有限公司",
        "税号: 91310115MA1H000XYZ",
        "小计",
        "折扣",
        "合计",
        "CNY 668.70",
        "微信支付",
        "现金",
        "找零 CNY 31.30",
        "待付金额",
        "CNY 0.00",
        "2026年11月20日 10:00",
    ):
        assert expected in text, expected
    assert "Receipt" not in text and "Total" not in text


def test_a_client_who_reads_chinese_gets_a_chinese_receipt_from_an_english_business(cast, owner_a):
    # given: the business and the signed-in owner read English; the client reads Chinese
    bill = _paid_bill(cast, client_name="王芳", language="zh-hans")
    # when: printed from the bill page
    bill_page = owner_a.get(f"/till/bills/{bill.pk}/").content.decode()
    assert f"/till/bills/{bill.pk}/receipt.pdf" in bill_page
    text = pdf_text(owner_a.get(f"/till/bills/{bill.pk}/receipt.pdf").content)
    # then
    for expected in (
        f"收据 第{bill.number}号",
        "客户: 王芳",
        "合计",
        "CNY 668.70",
        "找零 CNY 31.30",
    ):
        assert expected in text, expected
    assert "Receipt" not in text and "Total" not in text


def test_a_client_who_reads_english_gets_an_english_receipt_from_a_chinese_business(
    cast, front_desk_a
):
    # given: the business's language is Chinese, the client's own is English
    _tenant_a(cast, language="zh-hans")
    bill = _paid_bill(cast, language="en")
    # when
    text = pdf_text(front_desk_a.get(f"/till/bills/{bill.pk}/receipt.pdf").content)
    page = front_desk_a.get(f"/till/bills/{bill.pk}/print/").content.decode()
    # then
    for expected in (f"Receipt No. {bill.number}", "Total", "CNY 668.70", "change CNY 31.30"):
        assert expected in text, expected
    assert "收据" not in text and "合计" not in text
    assert 'lang="en"' in page and "Total" in page


def test_a_bill_still_owed_prints_as_a_bill_with_its_balance_due(cast, owner_a):
    # given: 668.70 due, 300 paid by bank card
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        _till(tax_rate=D("6"))
        client = ClientFactory(tenant=cast.tenant_a, name="Li Lei")
        bill = make_bill(
            client,
            LINES,
            actor=owner,
            discount=("amount", "20"),
            payments=[("bank_card", "300.00", None)],
        )
    # when
    text = pdf_text(owner_a.get(f"/till/bills/{bill.pk}/receipt.pdf").content)
    # then
    assert f"Bill No. {bill.number}" in text and "Receipt" not in text
    assert "Bank card" in text and "Balance due" in text and "CNY 368.70" in text


def test_refunds_and_voids_read_on_the_receipt(cast, owner_a):
    # given
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
        refunded = make_bill(
            client,
            [("Peel", 1, "100.00", "", "0")],
            actor=owner,
            payments=[("alipay", "100.00", None)],
            refunds=[(0, "40.00", "Client unhappy with the result")],
        )
        void = make_bill(
            client, [("Peel", 1, "100.00", "", "0")], actor=owner, void_reason="Typed twice"
        )
    # when
    refund_text = pdf_text(owner_a.get(f"/till/bills/{refunded.pk}/receipt.pdf").content)
    void_text = pdf_text(owner_a.get(f"/till/bills/{void.pk}/receipt.pdf").content)
    # then
    assert "Refunds" in refund_text and "-CNY 40.00" in refund_text
    assert "Client unhappy with the result" in refund_text and "Alipay" in refund_text
    assert "Refunded" in refund_text and "Balance due" in refund_text
    assert "Void: Typed twice" in void_text and "Balance due" not in void_text


def test_the_business_logo_is_drawn_on_the_receipt(cast, owner_a, storage):
    # given
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "navy").save(buffer, "PNG")
    path = default_storage.save("alpha/branding/logo-test.png", ContentFile(buffer.getvalue()))
    _tenant_a(cast, logo=path)
    bill = _paid_bill(cast)
    # when
    response = owner_a.get(f"/till/bills/{bill.pk}/receipt.pdf")
    # then
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages[0].images) == 1


def test_without_a_logo_the_receipt_has_no_image(cast, owner_a):
    bill = _paid_bill(cast)
    reader = PdfReader(io.BytesIO(owner_a.get(f"/till/bills/{bill.pk}/receipt.pdf").content))
    assert len(reader.pages[0].images) == 0


def test_a_draft_has_no_receipt(cast, owner_a):
    with tenant_context(cast.tenant_a):
        draft = Bill.objects.create(currency="CNY", tax_mode="inclusive")
    assert owner_a.get(f"/till/bills/{draft.pk}/receipt.pdf").status_code == 404
    assert owner_a.get(f"/till/bills/{draft.pk}/print/").status_code == 404


# ---------- the printable page ----------


def test_the_printable_receipt_has_a_print_button_without_inline_script(cast, front_desk_a):
    # given
    bill = _paid_bill(cast)
    # when
    response = front_desk_a.get(f"/till/bills/{bill.pk}/print/")
    # then
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    page = response.content.decode().replace("\xa0", " ")
    assert "data-print" in page and "finance/receipt.js" in page
    assert "<script>" not in page and "style=" not in page
    assert f'href="/till/bills/{bill.pk}/receipt.pdf"' in page
    for expected in ("Receipt", "CNY 668.70", "change CNY 31.30", "Balance due", "Wang Fang"):
        assert expected in page, expected


def test_the_printable_receipt_is_in_the_clients_language(cast, front_desk_a):
    _tenant_a(cast, language="zh-hans")
    bill = _paid_bill(cast, client_name="王芳")
    _reads_english(cast)
    page = front_desk_a.get(f"/till/bills/{bill.pk}/print/").content.decode()
    assert 'lang="zh-CN"' in page
    assert "收据" in page and "合计" in page and "打印" in page


# ---------- roles and isolation ----------


def test_a_practitioner_cannot_open_a_receipt(cast, db):
    # given: practitioners do not take payments
    bill = _paid_bill(cast)
    doctor = signed_in(cast.tenant_a, cast.host_a, cast.practitioner_a)
    # when / then
    assert doctor.get(f"/till/bills/{bill.pk}/receipt.pdf").status_code == 403
    assert doctor.get(f"/till/bills/{bill.pk}/print/").status_code == 403


def test_another_business_cannot_open_a_receipt(cast, owner_b):
    # given: tenant A's bill; tenant B has none of that id
    bill = _paid_bill(cast)
    # when / then
    assert owner_b.get(f"/till/bills/{bill.pk}/receipt.pdf").status_code == 404
    assert owner_b.get(f"/till/bills/{bill.pk}/print/").status_code == 404


def test_signed_out_the_receipt_asks_to_sign_in(cast, db):
    from django.test import Client

    bill = _paid_bill(cast)
    response = Client(HTTP_HOST=cast.host_a).get(f"/till/bills/{bill.pk}/receipt.pdf")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_receipt_costs_the_same_queries_however_many_lines_and_payments(cast, owner_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    owner = staff_member(cast.tenant_a, cast.owner_a)

    def queries_for(lines: int, payments: int) -> int:
        with tenant_context(cast.tenant_a):
            client = ClientFactory(tenant=cast.tenant_a)
            bill = make_bill(
                client,
                [(f"item {n}", 1, "10.00", "", "0") for n in range(lines)],
                actor=owner,
                payments=[("cash", "10.00", None)] * payments,
            )
        with CaptureQueriesContext(connection) as captured:
            assert owner_a.get(f"/till/bills/{bill.pk}/receipt.pdf").status_code == 200
        return len(captured)

    assert queries_for(1, 1) == queries_for(6, 6)


def test_another_business_prints_its_own_receipt_in_its_currency_and_zone(cast, owner_b):
    # given: Beta Dental, GBP, Europe/London (10:00 in Shanghai is 02:00 in London)
    owner = staff_member(cast.tenant_b, cast.owner_b)
    with tenant_context(cast.tenant_b):
        client = ClientFactory(tenant=cast.tenant_b, name="Ann Smith")
        bill = make_bill(
            client,
            [("Check-up", 1, "45.50", "", "0")],
            actor=owner,
            payments=[("bank_card", "45.50", None)],
        )
    # when
    text = pdf_text(owner_b.get(f"/till/bills/{bill.pk}/receipt.pdf").content)
    # then
    assert "Beta Dental" in text and "Ann Smith" in text
    assert "GBP 45.50" in text and "CNY" not in text
    assert "02:00" in text or "2 a.m." in text
