"""The till in the client's file: the Finance tab (summary, bills, cards, invoice details)
in English and Chinese with a constant number of queries, the timeline's bills and card
movements, the client's export, erasure and merge, roles and tenant isolation."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.deletion import ProtectedError
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from clients.merge import client_merge
from clients.models import Client
from finance import bills
from finance.models import (
    Bill,
    BillingProfile,
    BillStatus,
    Card,
    CardKind,
    CardProduct,
    LineKind,
    PaymentMethod,
)
from privacy.services import client_erase
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory
from tests.test_finance_receipts import make_bill

# Friday 20 November 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.clock(NOW)
D = Decimal
FACIAL = [("Facial 面部护理", 1, "880.00", "", "0")]


def _sell_card(client, actor, product) -> Card:
    sale = bills.bill_create(client=client, actor=actor)
    bills.line_add(
        bill=sale,
        actor=actor,
        kind=LineKind.CARD,
        description=product.name,
        unit_price=product.price,
        card_product=product,
    )
    bills.payment_take(bill=sale, actor=actor, method=PaymentMethod.ALIPAY, amount=product.price)
    return Card.objects.get(client=client, product=product)


def _file(cast, name="Wang Fang"):
    """A client who bought a 1,000 card (+100 bonus), paid a facial with 550 from it and
    330 cash, had 100 of a cash payment refunded, has 200 still owed on a bill, and one
    bill voided; with invoice details."""
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name=name)
        bills.billing_profile_update(
            client=client, actor=owner, invoice_title="星光美容有限公司", tax_id="91310115MA1H"
        )
        product = CardProduct.objects.create(
            kind=CardKind.STORED_VALUE, name="Gold 1000", price=D("1000"), bonus=D("100")
        )
        card = _sell_card(client, owner, product)
        paid = bills.bill_create(client=client, actor=owner)
        bills.line_add(
            bill=paid, actor=owner, kind=LineKind.SERVICE, description="Facial", unit_price=880
        )
        bills.payment_take(
            bill=paid, actor=owner, method=PaymentMethod.STORED_VALUE, amount=D("550"), card=card
        )
        cash = bills.payment_take(bill=paid, actor=owner, method=PaymentMethod.CASH, amount=330)
        bills.refund_create(payment=cash, actor=owner, amount=D("100"), reason="late start")
        owed = make_bill(client, [("Peel", 1, "200.00", "", "0")], actor=owner)
        void = make_bill(client, [("Peel", 1, "50.00", "", "0")], actor=owner, void_reason="dup")
        Bill.objects.filter(pk=paid.pk).update(note="prefers receipts by WeChat")
        card.refresh_from_db()
        paid.refresh_from_db()
    return client, card, paid, owed, void


# ---------- the tab ----------


def test_the_finance_tab_shows_the_summary_bills_cards_and_invoice_details(cast, front_desk_a):
    # given
    client, card, paid, owed, void = _file(cast)
    # when
    response = front_desk_a.get(f"/clients/{client.pk}/finance/")
    # then
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    money = response.context["money"]
    # 1,000 for the card + 330 cash - 100 back; the 550 from the card was counted at its sale
    assert money.lifetime_spend == D("1230.00")
    assert money.outstanding == D("200.00") and money.usual_method
    page = response.content.decode().replace("\xa0", " ")
    for expected in (
        "Finance summary",
        "Lifetime spend",
        "CNY 1,230.00",
        "Outstanding balance",
        "CNY 200.00",
        "Gold 1000",
        card.code,
        "CNY 550.00",  # 1,100 on the card less 550
        f'href="/till/cards/{card.pk}/"',
        f'href="/till/bills/{paid.pk}/"',
        f'href="/till/bills/{paid.pk}/print/"',
        f'href="/till/bills/{owed.pk}/"',
        "CNY 880.00",
        "Void",
        "星光美容有限公司",
        "91310115MA1H",
        f'action="/till/clients/{client.pk}/invoice-details/"',
    ):
        assert expected in page, expected


def test_the_finance_tab_starts_a_new_bill_for_the_client(cast, front_desk_a):
    # given
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="王芳")
    # when
    page = front_desk_a.get(f"/clients/{client.pk}/finance/").content.decode()
    # then: the link opens the new-bill page with the client chosen
    link = f'href="/till/bills/new/?client={client.pk}"'
    assert link in page and "New bill" in page
    new = front_desk_a.get(f"/till/bills/new/?client={client.pk}")
    assert new.status_code == 200 and new.context["client"].pk == client.pk
    with tenant_context(cast.tenant_a):
        client_erase(client=client, actor=staff_member(cast.tenant_a, cast.owner_a))
    assert link not in front_desk_a.get(f"/clients/{client.pk}/finance/").content.decode()


def test_the_visits_tab_shows_what_the_appointments_bill_took(cast, front_desk_a):
    from scheduling.models import Status
    from scheduling.services import appointment_complete
    from tests.test_finance_bills import appointment_for

    # given: a completed appointment (its visit), billed at the till and paid in cash
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
        appointment = appointment_for(client, status=Status.ARRIVED, price="388.00")
        visit = appointment_complete(appointment=appointment, actor=owner)
        bill = bills.bill_issue(
            bill=bills.bill_from_appointment(appointment=appointment, actor=owner), actor=owner
        )
        bills.payment_take(bill=bill, actor=owner, method="cash", amount=D("388.00"))
    # when
    response = front_desk_a.get(f"/clients/{client.pk}/visits/")
    # then
    rows = response.context["visit_page"].object_list
    assert [(v.pk, v.billed) for v in rows] == [(visit.pk, D("388.00"))]
    assert "388.00</td>" in response.content.decode()


def test_the_finance_tab_reads_in_chinese(cast, front_desk_a):
    from accounts.models import User

    client, *_rest = _file(cast, name="王芳")
    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.front_desk_a).update(language="zh-hans")
    page = front_desk_a.get(f"/clients/{client.pk}/finance/").content.decode()
    for expected in (
        "财务",
        "财务信息",
        "累计消费",
        "未付余额",
        "储值卡余额",
        "开票信息",
        "发票抬头",
    ):
        assert expected in page, expected
    assert "已付清" in page and "已作废" in page


def test_the_finance_tab_costs_the_same_queries_however_many_bills(cast, front_desk_a):
    # given
    client, *_rest = _file(cast)
    owner = staff_member(cast.tenant_a, cast.owner_a)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert front_desk_a.get(f"/clients/{client.pk}/finance/").status_code == 200
        return len(queries)

    before = count()
    # when: eight more bills, paid in different ways, and another card
    with tenant_context(cast.tenant_a):
        for n in range(8):
            make_bill(
                client,
                FACIAL,
                actor=owner,
                payments=[("wechat" if n % 2 else "bank_card", "880.00", None)],
            )
        product = CardProduct.objects.create(
            kind=CardKind.STORED_VALUE, name="Silver 500", price=D("500")
        )
        _sell_card(client, owner, product)
    # then
    assert count() == before


def test_a_practitioner_does_not_see_the_finance_tab(cast, db):
    client, *_rest = _file(cast)
    doctor = signed_in(cast.tenant_a, cast.host_a, cast.practitioner_a)
    assert doctor.get(f"/clients/{client.pk}/finance/").status_code == 403
    page = doctor.get(f"/clients/{client.pk}/").content.decode()
    assert f"/clients/{client.pk}/finance/" not in page
    response = doctor.post(
        f"/till/clients/{client.pk}/invoice-details/", {"invoice_title": "x", "tax_id": ""}
    )
    assert response.status_code == 403


# ---------- invoice details ----------


def test_the_front_desk_saves_the_invoice_details_from_the_tab(cast, front_desk_a):
    # given
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
    # when
    response = front_desk_a.post(
        f"/till/clients/{client.pk}/invoice-details/",
        {"invoice_title": "上海某某科技有限公司", "tax_id": "91310000 ma1k"},
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client.pk}/finance/"
    with tenant_context(cast.tenant_a):
        profile = BillingProfile.objects.get(client=client)
        assert (profile.invoice_title, profile.tax_id) == ("上海某某科技有限公司", "91310000MA1K")


def test_a_bad_tax_id_is_refused_beside_its_field_and_nothing_is_saved(cast, front_desk_a):
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
    response = front_desk_a.post(
        f"/till/clients/{client.pk}/invoice-details/",
        {"invoice_title": "上海某某科技有限公司", "tax_id": "91-31"},
    )
    assert response.status_code == 400
    form = response.context["billing_form"]
    assert "tax_id" in form.errors
    page = response.content.decode()
    assert 'id="id_tax_id_errors"' in page and "Finance summary" in page
    with tenant_context(cast.tenant_a):
        assert not BillingProfile.objects.filter(client=client).exists()


# ---------- the timeline ----------


def test_the_timeline_shows_bills_refunds_and_card_movements(cast, front_desk_a):
    # given
    client, card, paid, owed, void = _file(cast)
    # when
    page = front_desk_a.get(f"/clients/{client.pk}/timeline/").content.decode()
    page = page.replace("\xa0", " ")
    # then
    for expected in (
        f"Bill {paid.number} issued: CNY 880.00",
        f"Bill {paid.number} paid: CNY 880.00",
        f"Bill {void.number} voided",
        "Reason: dup",
        f"Refund on bill {paid.number}: CNY 100.00",
        "Reason: late start",
        f"Sold Gold 1000 {card.code}: CNY 1,100.00",
        "of which bonus CNY 100.00",
        f"Paid from Gold 1000 {card.code}: CNY 550.00",
        f"Bill {owed.number} issued: CNY 200.00",
    ):
        assert expected in page, expected


def test_the_practitioners_timeline_has_no_money(cast, db):
    client, *_rest = _file(cast)
    doctor = signed_in(cast.tenant_a, cast.host_a, cast.practitioner_a)
    page = doctor.get(f"/clients/{client.pk}/timeline/").content.decode()
    assert "Refund on bill" not in page and "Gold 1000" not in page


# ---------- export, erasure, merge ----------


def test_the_export_holds_bills_payments_cards_and_ledger_as_strings(cast, owner_a):
    # given
    client, card, paid, owed, void = _file(cast)
    # when
    response = owner_a.get(f"/clients/{client.pk}/privacy/export.json")
    # then
    data = json.loads(response.content)["finance"]
    assert data["invoice_details"] == {
        "invoice_title": "星光美容有限公司",
        "tax_id": "91310115MA1H",
    }
    by_number = {b["number"]: b for b in data["bills"]}
    assert by_number[paid.number]["total"] == "880.00"
    assert by_number[paid.number]["refunded_total"] == "100.00"
    assert by_number[paid.number]["lines"][0]["amount"] == "880.00"
    assert by_number[void.number]["status"] == BillStatus.VOID
    assert {p["method"] for p in data["payments"]} == {"alipay", "stored_value", "cash"}
    assert data["refunds"][0]["amount"] == "100.00"
    assert data["cards"][0]["code"] == card.code
    assert data["cards"][0]["paid_balance"] == str(card.paid_balance)
    assert [e["kind"] for e in data["card_ledger"]] == ["issue", "spend"]


def test_erasure_keeps_the_amounts_and_blanks_the_invoice_details_and_notes(cast, db):
    # given
    client, card, paid, owed, void = _file(cast)
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        # when
        client_erase(client=client, actor=owner)
        # then
        paid.refresh_from_db()
        assert (paid.total, paid.paid_total, paid.refunded_total) == (
            D("880.00"),
            D("880.00"),
            D("100.00"),
        )
        assert paid.invoice_title == "" and paid.tax_id == "" and paid.note == ""
        assert Bill.objects.filter(client=client).count() == 4
        profile = BillingProfile.objects.get(client=client)
        assert (profile.invoice_title, profile.tax_id) == ("", "")
        card.refresh_from_db()
        assert card.balance == D("550.00")
        assert Client.objects.get(pk=client.pk).total_spend == D("1230.00")


def test_a_merge_moves_bills_and_cards_and_fills_the_invoice_details(cast, db):
    # given: the kept file has an invoice title but no tax ID; the merged file has both
    merged, card, paid, owed, void = _file(cast, name="Wang Fang (old)")
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        theirs = set(Bill.objects.filter(client=merged).values_list("pk", flat=True))
        assert {paid.pk, owed.pk, void.pk} < theirs  # and the card's sale
        kept_client = ClientFactory(tenant=cast.tenant_a, name="Wang Fang")
        bills.billing_profile_update(
            client=kept_client, actor=owner, invoice_title="王芳", tax_id=""
        )
        own = make_bill(kept_client, FACIAL, actor=owner, payments=[("cash", "880.00", None)])
        # when
        client_merge(kept=kept_client, merged=merged, actor=owner)
        # then
        assert not Client.objects.filter(pk=merged.pk).exists()
        ours = set(Bill.objects.filter(client=kept_client).values_list("pk", flat=True))
        assert ours == theirs | {own.pk}
        card.refresh_from_db()
        assert card.client_id == kept_client.pk and card.balance == D("550.00")
        profile = BillingProfile.objects.get(client=kept_client)
        assert (profile.invoice_title, profile.tax_id) == ("王芳", "91310115MA1H")
        assert BillingProfile.objects.count() == 1
        # the money of both files adds up on the kept one: 880 + 1,230
        assert Client.objects.get(pk=kept_client.pk).total_spend == D("2110.00")


def test_a_client_with_bills_cannot_be_deleted(cast, db):
    client, *_rest = _file(cast)
    with tenant_context(cast.tenant_a), pytest.raises(ProtectedError):
        Client.objects.get(pk=client.pk).delete()


# ---------- isolation ----------


def test_another_business_sees_nothing_of_the_clients_money(cast, owner_b):
    # given
    client, *_rest = _file(cast)
    # when / then
    assert owner_b.get(f"/clients/{client.pk}/finance/").status_code == 404
    response = owner_b.post(
        f"/till/clients/{client.pk}/invoice-details/", {"invoice_title": "x", "tax_id": ""}
    )
    assert response.status_code == 404
    with tenant_context(cast.tenant_a):
        assert BillingProfile.objects.get(client=client).invoice_title == "星光美容有限公司"


def test_a_package_session_used_reads_as_sessions_on_the_timeline(cast, front_desk_a):
    # given: a 5-session facial package sold, one session used to pay a facial
    from tests import schedule

    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        facial = schedule.service("Facial 面部护理", price="300")
        client = ClientFactory(tenant=cast.tenant_a)
        product = CardProduct.objects.create(
            kind=CardKind.PACKAGE, name="Five facials", price=D("1200"), sessions=5
        )
        product.services.set([facial])
        card = _sell_card(client, owner, product)
        visit = bills.bill_create(client=client, actor=owner)
        bills.line_add(
            bill=visit,
            actor=owner,
            kind=LineKind.SERVICE,
            description="Facial",
            unit_price=D("300"),
            service=facial,
        )
        bills.payment_take(
            bill=visit, actor=owner, method=PaymentMethod.PACKAGE, amount=D("300"), card=card
        )
    # when
    page = front_desk_a.get(f"/clients/{client.pk}/timeline/").content.decode()
    tab = front_desk_a.get(f"/clients/{client.pk}/finance/").content.decode()
    # then
    assert f"Sold Five facials {card.code}: 5 sessions" in page
    assert f"Session used on Five facials {card.code}: 1" in page
    assert "4 sessions left" in tab
