"""The till's finish line, in a real browser and in Chinese: at the counter a front-desk
user turns a completed appointment into a bill, takes a split payment with part from the
client's stored-value card and the rest in cash (with change), prints the receipt; the
owner's evening closing then balances to the cent against the cash counted.

It runs in a business of its own ("tillshop"): money rows are kept for good (card
movements are append-only in the database), so they must not land in the businesses other
tests count money in. Dates come from the clock, in the business's zone, so it passes on
any day. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io
import re
import urllib.request
from decimal import Decimal

import pytest
from django.db import connection
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, chinese_salon, sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "Till-Shop-2026-test"
HOST = "tillshop.localhost"
DESK = "desk@tillshop.test"
OWNER = "owner@tillshop.test"
CLIENT = "陈美玲"


def _shop(django_db_blocker):
    """The salon (zh-hans, CNY, Shanghai), its front desk and stylist, a facial at 388.00
    and a client holding a stored-value card of 1,000 paid + 100 bonus; each run gets a
    fresh completed appointment. Returns (tenant, appointment pk, card pk)."""
    with django_db_blocker.unblock():
        from django.utils import timezone
        from django_tenants.utils import tenant_context

        from accounts.models import User
        from accounts.services import staff_create
        from clients.models import Client
        from finance import bills
        from finance.models import Card, CardKind, CardProduct, LineKind
        from scheduling.models import Service, Status
        from scheduling.services import (
            appointment_book,
            appointment_complete,
            appointment_transition,
        )
        from tests import schedule
        from tests.factories import ClientFactory

        tenant = chinese_salon(
            host=HOST, name="美颜坊", owner_name="王老板", owner_email=OWNER, password=PASSWORD
        )
        with tenant_context(tenant):
            owner = User.objects.get(email=OWNER)
            if not User.objects.filter(email=DESK).exists():
                staff_create(
                    full_name="前台小李",
                    email=DESK,
                    password=PASSWORD,
                    roles=["front_desk"],
                    language="zh-hans",
                )
                stylist = staff_create(
                    full_name="美容师小张",
                    email="stylist@tillshop.test",
                    password=PASSWORD,
                    roles=["practitioner"],
                    language="zh-hans",
                )
                schedule.open_business("08:00-21:00")
                schedule.working(stylist, "08:00-21:00")
                schedule.service("补水面护", staff=[stylist], minutes=60, price="388.00")
                client = ClientFactory(tenant=tenant, name=CLIENT, mobile="+8613911112222")
                product = CardProduct.objects.create(
                    kind=CardKind.STORED_VALUE, name="千元储值卡", price=1000, bonus=100
                )
                sale = bills.bill_create(client=client, actor=owner)
                bills.line_add(
                    bill=sale,
                    actor=owner,
                    kind=LineKind.CARD,
                    description=product.name,
                    unit_price=Decimal("1000.00"),
                    card_product=product,
                )
                bills.payment_take(
                    bill=sale, actor=owner, method="wechat", amount=Decimal("1000.00")
                )
            client = Client.objects.get(name=CLIENT)
            stylist = User.objects.get(email="stylist@tillshop.test")
            facial = Service.objects.get(name="补水面护")
            card = Card.objects.get(client=client, kind=CardKind.STORED_VALUE)
            (made,) = appointment_book(
                client=client,
                services=[facial],
                staff=stylist,
                starts_at=timezone.now() - timezone.timedelta(hours=2),
                respect_hours=False,
                allow_past=True,
            )
            appointment_transition(appointment=made, to=Status.ARRIVED)
            appointment_complete(appointment=made)
        connection.set_schema_to_public()
    return tenant, made.pk, card.pk


def _money(text: str) -> Decimal:
    """The amount in a shown money text ("CNY 1,234.50")."""
    found = re.search(r"-?[\d,]+\.\d{2}", text)
    assert found, f"no amount in {text!r}"
    return Decimal(found.group(0).replace(",", ""))


def test_the_counter_bills_an_appointment_and_the_evening_closing_balances(
    live_server_url, browser, django_db_blocker
):
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{HOST}:{port}"
    tenant, appointment_pk, card_pk = _shop(django_db_blocker)
    ARTIFACTS.mkdir(exist_ok=True)

    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from finance import reports

        with tenant_context(tenant):
            before = reports.daily_closing(reports.today())
        connection.set_schema_to_public()

    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, base, DESK, PASSWORD)
        # the completed appointment's page offers the bill
        page.goto(f"{base}/appointments/{appointment_pk}/")
        bill_box = page.locator("#appointment-bill")
        expect(bill_box).to_be_visible()
        bill_box.get_by_role("button", name="结账").click()
        page.wait_for_url(re.compile(r".*/till/bills/\d+/$"))
        bill_pk = int(re.search(r"/till/bills/(\d+)/", page.url).group(1))
        expect(page.locator("body")).to_contain_text("补水面护")
        expect(page.locator("body")).to_contain_text("388.00")
        page.screenshot(path=str(ARTIFACTS / "till-bill-draft.png"), full_page=True)

        pay = page.locator("form.pay-form")
        # 200.00 from the stored-value card
        pay.locator("select[name=method]").select_option("stored_value")
        pay.locator("select[name=card]").select_option(str(card_pk))
        pay.locator("input[name=amount]").fill("200.00")
        pay.get_by_role("button", name="收款").click()
        page.wait_for_load_state()
        expect(page.locator("body")).to_contain_text("储值卡")
        # the rest, 188.00, in cash: 200 handed over, 12.00 change
        pay = page.locator("form.pay-form")
        pay.locator("select[name=method]").select_option("cash")
        expect(pay.locator("input[name=amount]")).to_have_value("188.00")
        pay.locator("input[name=tendered]").fill("200.00")
        pay.get_by_role("button", name="收款").click()
        page.wait_for_load_state()
        body = page.locator("body")
        expect(body).to_contain_text("已付清")
        expect(body).to_contain_text("12.00")
        page.screenshot(path=str(ARTIFACTS / "till-bill-paid.png"), full_page=True)

        # the receipt prints in Chinese
        page.goto(f"{base}/till/bills/{bill_pk}/print/")
        receipt = page.locator("body")
        expect(receipt).to_contain_text("收据")
        expect(receipt).to_contain_text("388.00")
        expect(receipt).to_contain_text("找零")
        page.screenshot(path=str(ARTIFACTS / "till-receipt-zh.png"), full_page=True)
        # the PDF, fetched with the browser's session (Node's resolver knows no
        # *.localhost, so straight to 127.0.0.1 with the business's host name)
        session = {c["name"]: c["value"] for c in context.cookies()}["sessionid"]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/till/bills/{bill_pk}/receipt.pdf",
            headers={"Host": f"{HOST}:{port}", "Cookie": f"sessionid={session}"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.headers["Content-Type"] == "application/pdf"
            body = answer.read()
        from pypdf import PdfReader

        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        assert "收据" in text and "388.00" in text and "12.00" in text
        context.close()

        # the owner's evening: the closing, the cash count, balanced
        context = browser.new_context(viewport={"width": 1280, "height": 1100}, locale="zh-CN")
        page = context.new_page()
        sign_in(page, base, OWNER, PASSWORD)
        page.goto(f"{base}/till/reports/")
        expected = _money(page.locator("#cash-expected .value").inner_text())
        assert expected == before.cash_expected + Decimal("188.00")
        takings = _money(page.locator("#takings-total .value").inner_text())
        assert takings == before.takings_total + Decimal("188.00")
        spend = _money(page.locator("#card-spend-total").inner_text())
        assert spend == before.card_spend_total + Decimal("200.00")
        count = page.locator("#cash-drawer form")
        count.locator("input[name=counted]").fill(str(expected))
        count.get_by_role("button").click()
        page.wait_for_load_state()
        difference = page.locator("#cash-difference")
        expect(difference).to_contain_text("0.00")
        assert _money(difference.inner_text()) == Decimal("0.00")
        page.screenshot(path=str(ARTIFACTS / "till-closing-zh.png"), full_page=True)
    finally:
        context.close()

    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from finance.models import Bill, BillStatus, Card

        with tenant_context(tenant):
            bill = Bill.objects.get(pk=bill_pk)
            assert bill.status == BillStatus.PAID and bill.total == Decimal("388.00")
            methods = sorted(bill.payments.values_list("method", "amount"))
            assert methods == [("cash", Decimal("188.00")), ("stored_value", Decimal("200.00"))]
            card = Card.objects.get(pk=card_pk)
            held = sum(e.paid_delta + e.bonus_delta for e in card.entries.all())
            assert held == card.balance
        connection.set_schema_to_public()
