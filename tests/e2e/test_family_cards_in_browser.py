"""Family cards in a real browser and in Chinese: the front desk links a mother and her
daughter into one household on the mother's Details tab, then moves part of the mother's
stored value onto the daughter's card from the card page (the owner has switched moves
on); the daughter's timeline says whose card it came from.

It runs in a business of its own ("familyshop"): card movements are kept for good (the
ledger is append-only in the database), so they must not land in the businesses other
tests count money in. Screenshots go to test-artifacts/."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, chinese_salon, sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "Family-Shop-2026-test"
HOST = "familyshop.localhost"
DESK = "desk@familyshop.test"
OWNER = "owner@familyshop.test"
MOTHER, DAUGHTER = "王芳", "李小雨"


def _shop(django_db_blocker):
    """The salon (zh-hans, CNY), its front desk, transfers switched on, and two clients
    each holding a stored-value card bought at the till. Returns (tenant, mother pk,
    daughter pk, mother's card pk, daughter's card pk)."""
    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from accounts.models import User
        from accounts.services import staff_create
        from clients.models import Client
        from finance import bills
        from finance.models import Card, CardKind, CardProduct, FinanceSettings, LineKind
        from finance.settings_services import finance_settings_update
        from tests.factories import ClientFactory

        tenant = chinese_salon(
            host=HOST, name="家和美容", owner_name="周老板", owner_email=OWNER, password=PASSWORD
        )
        with tenant_context(tenant):
            owner = User.objects.get(email=OWNER)
            if not User.objects.filter(email=DESK).exists():
                staff_create(
                    full_name="前台小陈",
                    email=DESK,
                    password=PASSWORD,
                    roles=["front_desk"],
                    language="zh-hans",
                )
                finance_settings_update(actor=owner, values={"allow_card_transfers": True})
                product = CardProduct.objects.create(
                    kind=CardKind.STORED_VALUE, name="五百元储值卡", price=500, bonus=50
                )
                for name, mobile in ((MOTHER, "+8613911113333"), (DAUGHTER, "+8613922224444")):
                    client = ClientFactory(tenant=tenant, name=name, mobile=mobile)
                    sale = bills.bill_create(client=client, actor=owner)
                    bills.line_add(
                        bill=sale,
                        actor=owner,
                        kind=LineKind.CARD,
                        description=product.name,
                        unit_price=Decimal("500.00"),
                        card_product=product,
                    )
                    bills.bill_issue(bill=sale, actor=owner)
                    bills.payment_take(
                        bill=sale, actor=owner, method="wechat", amount=Decimal("500.00")
                    )
            assert FinanceSettings.load().allow_card_transfers
            mother, daughter = (Client.objects.get(name=n) for n in (MOTHER, DAUGHTER))
            cards = [
                Card.objects.get(client=c, kind=CardKind.STORED_VALUE) for c in (mother, daughter)
            ]
        connection.set_schema_to_public()
    return tenant, mother.pk, daughter.pk, cards[0].pk, cards[1].pk


def _balances(tenant, django_db_blocker, *pks) -> list[Decimal]:
    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from finance.models import Card

        with tenant_context(tenant):
            found = {c.pk: c.balance for c in Card.objects.filter(pk__in=pks)}
        connection.set_schema_to_public()
    return [found[pk] for pk in pks]


def test_the_front_desk_links_a_family_and_moves_value_to_the_daughters_card(
    live_server_url, browser, django_db_blocker
):
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{HOST}:{port}"
    tenant, mother, daughter, mothers_card, daughters_card = _shop(django_db_blocker)
    before = _balances(tenant, django_db_blocker, mothers_card, daughters_card)
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    try:
        page = context.new_page()
        sign_in(page, base, DESK, PASSWORD)
        # the mother's Details tab: add her daughter by mobile phone
        page.goto(f"{base}/clients/{mother}/")
        household = page.locator("#household")
        household.locator("input[name=relative]").fill("139 2222 4444")
        household.get_by_role("button", name="加入家庭").click()
        page.wait_for_load_state()
        household = page.locator("#household")
        expect(household).to_contain_text(DAUGHTER)
        expect(household.get_by_role("link", name=DAUGHTER)).to_have_attribute(
            "href", f"/clients/{daughter}/"
        )
        page.screenshot(path=str(ARTIFACTS / "family-household-zh.png"), full_page=True)

        # the mother's card: 100.00 onto her daughter's card
        page.goto(f"{base}/till/cards/{mothers_card}/")
        form = page.locator(f"form[action='/till/cards/{mothers_card}/transfer/']")
        form.locator("select[name=target]").select_option(str(daughters_card))
        form.locator("input[name=amount]").fill("100.00")
        form.locator("input[name=note]").fill("给女儿")
        page.screenshot(path=str(ARTIFACTS / "family-transfer-form-zh.png"), full_page=True)
        form.get_by_role("button", name="转移").click()
        page.wait_for_load_state()
        expect(page.locator("body")).to_contain_text("余额已转移")
        page.screenshot(path=str(ARTIFACTS / "family-transfer-done-zh.png"), full_page=True)

        # the daughter's timeline names whose card it came from
        page.goto(f"{base}/clients/{daughter}/timeline/")
        expect(page.locator("body")).to_contain_text(f"来自{MOTHER}的")
        page.screenshot(path=str(ARTIFACTS / "family-timeline-zh.png"), full_page=True)
    finally:
        context.close()
    after = _balances(tenant, django_db_blocker, mothers_card, daughters_card)
    assert after == [before[0] - Decimal("100.00"), before[1] + Decimal("100.00")]
