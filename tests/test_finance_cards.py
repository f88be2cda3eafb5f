"""Stored-value cards, packages and memberships: bonus accounting, refunds of the paid part
only, expiry in the business's time zone, package sessions for covered services only,
member discounts, the ledger and the card pages (transfers: test_finance_transfers)."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import translation
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from finance import cards
from finance.models import (
    Bill,
    BillLine,
    Card,
    CardEntry,
    CardKind,
    CardProduct,
    CardStatus,
    EntryKind,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
)
from tests import schedule
from tests.conftest import staff_member
from tests.factories import ClientFactory

# 2026-11-20 12:00 UTC is 20:00 in Shanghai; 17:00 UTC is already the 21st there.
NOON = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock(NOON)
D = Decimal


# --- helpers -------------------------------------------------------------------------------


def product(kind=CardKind.STORED_VALUE, **values) -> CardProduct:
    defaults = {"name": f"{kind} product", "price": D("1000"), "bonus": D("0")}
    services = values.pop("services", ())
    defaults.update(values)
    made = CardProduct.objects.create(kind=kind, **defaults)
    made.services.set(services)
    return made


def bill_for(client, *, status="paid") -> Bill:
    number = None if status == "draft" else _next_number()
    return Bill.objects.create(
        client=client, currency="CNY", tax_mode="inclusive", status=status, number=number
    )


def _next_number() -> int:
    last = Bill.objects.order_by("-number").values_list("number", flat=True).first() or 0
    return last + 1


def line(bill, kind, *, net, card_product=None, card=None, quantity=1) -> BillLine:
    return BillLine.objects.create(
        bill=bill,
        kind=kind,
        description="card",
        unit_price=net,
        quantity=quantity,
        gross=net,
        net=net,
        card_product=card_product,
        card=card,
    )


def sold(client, prod, *, net=None, actor=None) -> Card:
    bill = bill_for(client)
    sale = line(bill, LineKind.CARD, net=net if net is not None else prod.price, card_product=prod)
    return cards.issue_from_line(line=sale, actor=actor)


def payment(bill, card, amount, method=PaymentMethod.STORED_VALUE) -> Payment:
    return Payment.objects.create(bill=bill, method=method, amount=amount, card=card)


def ledger_matches(card: Card) -> bool:
    card.refresh_from_db()
    entries = CardEntry.objects.filter(card=card)
    return (
        sum((e.paid_delta for e in entries), D(0)) == card.paid_balance
        and sum((e.bonus_delta for e in entries), D(0)) == card.bonus_balance
        and sum((e.sessions_delta for e in entries), 0) == card.sessions_left
    )


@pytest.fixture
def a(cast, db):
    with tenant_context(cast.tenant_a):
        yield staff_member(cast.tenant_a, cast.owner_a)


# --- stored value --------------------------------------------------------------------------


def test_a_sale_holds_the_paid_part_and_the_bonus_apart_and_is_made_once(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    prod = product(price=D("1000"), bonus=D("100"), valid_days=365)
    bill = bill_for(client)
    sale = line(bill, LineKind.CARD, net=D("950.00"), card_product=prod)

    card = cards.issue_from_line(line=sale, actor=a)
    again = cards.issue_from_line(line=sale, actor=a)

    assert again.pk == card.pk
    assert (card.paid_balance, card.bonus_balance) == (D("950.00"), D("100.00"))
    assert card.starts_on == dt.date(2026, 11, 20)
    assert card.expires_on == dt.date(2027, 11, 20)
    assert card.client_id == client.pk and card.currency == "CNY"
    assert CardEntry.objects.filter(card=card).count() == 1
    assert AuditEntry.objects.filter(object_type="card", object_id=str(card.pk)).exists()
    assert AuditEntry.objects.filter(object_type="card_entry").exists()


@pytest.mark.clock(datetime(2026, 11, 20, 17, 0, tzinfo=UTC))
def test_the_sale_day_is_the_businesss_today(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(valid_days=1), actor=a)
    assert (card.starts_on, card.expires_on) == (dt.date(2026, 11, 21), dt.date(2026, 11, 22))


def test_spending_takes_paid_and_bonus_in_proportion(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(price=D("1000"), bonus=D("100")), actor=a)  # 1000 + 100
    bill = bill_for(client, status="issued")

    entry = cards.spend(card=card, amount=D("110"), payment=payment(bill, card, 110), actor=a)

    assert (entry.paid_delta, entry.bonus_delta) == (D("-100.00"), D("-10.00"))
    card.refresh_from_db()
    assert (card.paid_balance, card.bonus_balance) == (D("900.00"), D("90.00"))
    # Rounding: 33.33 of 1100 at 10:1 → bonus 3.03, paid 30.30 (the rest).
    entry = cards.spend(card=card, amount=D("33.33"), payment=payment(bill, card, 1), actor=a)
    assert entry.paid_delta + entry.bonus_delta == D("-33.33")
    assert entry.bonus_delta == D("-3.03")
    # The whole balance: exactly both parts.
    card.refresh_from_db()
    rest = card.balance
    entry = cards.spend(card=card, amount=rest, payment=payment(bill, card, rest), actor=a)
    card.refresh_from_db()
    assert (card.paid_balance, card.bonus_balance) == (D(0), D(0))
    assert ledger_matches(card)


def test_spending_more_than_the_card_holds_is_refused_in_the_users_language(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(price=D("100")), actor=a)
    bill = bill_for(client, status="issued")
    with pytest.raises(ValidationError) as refused:
        cards.spend(card=card, amount=D("100.01"), payment=payment(bill, card, 1), actor=a)
    assert refused.value.code == "insufficient_balance"
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        cards.spend(card=card, amount=D("101"), payment=payment(bill, card, 1), actor=a)
    assert "余额不足" in refused.value.messages[0]
    card.refresh_from_db()
    assert card.paid_balance == D("100")


def test_another_clients_card_cannot_pay_a_bill(cast, a):
    owner = ClientFactory(tenant=cast.tenant_a)
    other = ClientFactory(tenant=cast.tenant_a)
    card = sold(owner, product(), actor=a)
    bill = bill_for(other, status="issued")
    with pytest.raises(ValidationError) as refused:
        cards.spend(card=card, amount=D("10"), payment=payment(bill, card, 10), actor=a)
    assert refused.value.code == "card_other_client"


def test_an_expired_card_cannot_be_spent_from_the_day_after_its_last_day(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(valid_days=10), actor=a)
    assert card.expires_on == dt.date(2026, 11, 30)
    bill = bill_for(client, status="issued")
    import time_machine

    # 23:30 on the 30th in Shanghai (15:30 UTC): still its last day.
    with time_machine.travel(datetime(2026, 11, 30, 15, 30, tzinfo=UTC), tick=False):
        cards.spend(card=card, amount=D("1"), payment=payment(bill, card, 1), actor=a)
        assert cards.usable_for(client=client, method=PaymentMethod.STORED_VALUE).exists()
    # 00:30 on 1 December in Shanghai, still the 30th in UTC: expired.
    with time_machine.travel(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), tick=False):
        with pytest.raises(ValidationError) as refused:
            cards.spend(card=card, amount=D("1"), payment=payment(bill, card, 1), actor=a)
        assert refused.value.code == "card_expired"
        assert not cards.usable_for(client=client, method=PaymentMethod.STORED_VALUE).exists()


def test_a_top_up_adds_paid_value_and_its_bonus_once(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(price=D("500")), actor=a)
    bonus_product = product(price=D("1000"), bonus=D("200"), name="Top up 1000")
    bill = bill_for(client)
    top = line(bill, LineKind.TOP_UP, net=D("1000"), card=card, card_product=bonus_product)

    entry = cards.top_up_from_line(line=top, actor=a)
    assert cards.top_up_from_line(line=top, actor=a).pk == entry.pk

    card.refresh_from_db()
    assert (card.paid_balance, card.bonus_balance) == (D("1500"), D("200"))


def test_refunding_a_top_up_returns_the_paid_part_and_forfeits_its_bonus(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    prod = product(price=D("1000"), bonus=D("100"))
    bill = bill_for(client)
    sale = line(bill, LineKind.CARD, net=D("1000"), card_product=prod)
    card = cards.issue_from_line(line=sale, actor=a)
    pay = payment(bill, None, D("1000"), method=PaymentMethod.CASH)
    refund = Refund.objects.create(
        bill=bill, payment=pay, amount=D("400"), method=PaymentMethod.CASH, reason="r"
    )

    assert cards.refundable_for_line(sale) == D("1000")
    entry = cards.refund_sale(line=sale, amount=D("400"), refund=refund, actor=a)

    assert (entry.paid_delta, entry.bonus_delta) == (D("-400"), D("-40.00"))
    card.refresh_from_db()
    assert (card.paid_balance, card.bonus_balance) == (D("600"), D("60.00"))
    assert cards.refundable_for_line(sale) == D("600")
    # The rest refunded: the rest of the bonus goes, never below zero.
    cards.refund_sale(line=sale, amount=D("600"), refund=refund, actor=a)
    card.refresh_from_db()
    assert (card.paid_balance, card.bonus_balance) == (D(0), D(0))
    with pytest.raises(ValidationError):
        cards.refund_sale(line=sale, amount=D("1"), refund=refund, actor=a)
    assert ledger_matches(card)


def test_spent_paid_value_cannot_be_refunded_and_bonus_never_goes_negative(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    prod = product(price=D("1000"), bonus=D("100"))
    bill = bill_for(client)
    sale = line(bill, LineKind.CARD, net=D("1000"), card_product=prod)
    card = cards.issue_from_line(line=sale, actor=a)
    spend_bill = bill_for(client, status="issued")
    cards.spend(card=card, amount=D("880"), payment=payment(spend_bill, card, 880), actor=a)
    card.refresh_from_db()
    assert (card.paid_balance, card.bonus_balance) == (D("200"), D("20"))
    assert cards.refundable_for_line(sale) == D("200")
    pay = payment(bill, None, D("1000"), method=PaymentMethod.CASH)
    refund = Refund.objects.create(
        bill=bill, payment=pay, amount=D("200"), method=PaymentMethod.CASH, reason="r"
    )
    with pytest.raises(ValidationError):
        cards.refund_sale(line=sale, amount=D("201"), refund=refund, actor=a)
    entry = cards.refund_sale(line=sale, amount=D("200"), refund=refund, actor=a)
    assert entry.bonus_delta == D("-20")
    card.refresh_from_db()
    assert (card.paid_balance, card.bonus_balance) == (D(0), D(0))


def test_a_refund_of_a_card_payment_goes_back_in_the_mix_it_took(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(price=D("1000"), bonus=D("100")), actor=a)
    bill = bill_for(client, status="paid")
    pay = payment(bill, card, D("220"))
    cards.spend(card=card, amount=D("220"), payment=pay, actor=a)
    first = Refund.objects.create(
        bill=bill,
        payment=pay,
        amount=D("110"),
        method=PaymentMethod.STORED_VALUE,
        card=card,
        reason="r",
    )
    entry = cards.give_back(payment=pay, amount=D("110"), refund=first, actor=a)
    assert (entry.paid_delta, entry.bonus_delta) == (D("100.00"), D("10.00"))
    second = Refund.objects.create(
        bill=bill,
        payment=pay,
        amount=D("110"),
        method=PaymentMethod.STORED_VALUE,
        card=card,
        reason="r",
    )
    cards.give_back(payment=pay, amount=D("110"), refund=second, actor=a)
    card.refresh_from_db()
    assert (card.paid_balance, card.bonus_balance) == (D("1000"), D("100"))
    third = Refund(bill=bill, payment=pay, amount=D("1"), reason="r")
    with pytest.raises(ValidationError):
        cards.give_back(payment=pay, amount=D("1"), refund=third, actor=a)


def test_a_refund_onto_a_card_is_paid_value(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(price=D("100")), actor=a)
    bill = bill_for(client)
    pay = payment(bill, None, D("50"), method=PaymentMethod.CASH)
    refund = Refund.objects.create(
        bill=bill,
        payment=pay,
        amount=D("50"),
        method=PaymentMethod.STORED_VALUE,
        card=card,
        reason="r",
    )
    cards.credit(card=card, amount=D("50"), refund=refund, actor=a)
    card.refresh_from_db()
    assert card.paid_balance == D("150")


# --- packages and memberships -------------------------------------------------------------


def test_a_package_is_redeemed_only_for_the_services_it_covers(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    facial = schedule.service("Card facial")
    peel = schedule.service("Card peel")
    card = sold(
        client,
        product(CardKind.PACKAGE, price=D("3000"), sessions=3, services=[facial]),
        actor=a,
    )
    assert card.sessions_left == 3 and card.paid_balance == 0
    bill = bill_for(client, status="issued")
    pay = payment(bill, card, D("300"), method=PaymentMethod.PACKAGE)

    with pytest.raises(ValidationError) as refused:
        cards.redeem(card=card, service=peel, sessions=1, payment=pay, actor=a)
    assert refused.value.code == "service_not_covered"
    cards.redeem(card=card, service=facial, sessions=2, payment=pay, actor=a)
    with pytest.raises(ValidationError) as refused:
        cards.redeem(card=card, service=facial, sessions=2, payment=pay, actor=a)
    assert refused.value.code == "insufficient_sessions"
    card.refresh_from_db()
    assert card.sessions_left == 1
    usable = cards.usable_for(client=client, method=PaymentMethod.PACKAGE, service=facial)
    assert list(usable) == [card]
    assert not cards.usable_for(client=client, method=PaymentMethod.PACKAGE, service=peel)
    refund = Refund.objects.create(
        bill=bill,
        payment=pay,
        amount=D("300"),
        method=PaymentMethod.PACKAGE,
        card=card,
        reason="r",
    )
    cards.give_back(payment=pay, amount=D("300"), refund=refund, actor=a)
    card.refresh_from_db()
    assert card.sessions_left == 3
    assert ledger_matches(card)


def test_the_best_valid_membership_gives_the_member_discount(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    assert cards.member_discount_percent(client=client, on_date=dt.date(2026, 11, 20)) == 0
    sold(client, product(CardKind.MEMBERSHIP, member_discount_percent=D("5")), actor=a)
    gold = sold(
        client,
        product(CardKind.MEMBERSHIP, member_discount_percent=D("12"), valid_days=30),
        actor=a,
    )
    assert gold.expires_on == dt.date(2026, 12, 20)
    on = cards.member_discount_percent
    assert on(client=client, on_date=dt.date(2026, 11, 20)) == D("12")
    assert on(client=client, on_date=dt.date(2026, 12, 21)) == D("5")
    assert on(client=ClientFactory(tenant=cast.tenant_a), on_date=dt.date(2026, 11, 20)) == 0


# --- the database's own guards ---------------------------------------------------------------


def test_balances_cannot_be_written_and_entries_cannot_be_changed(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(), actor=a)
    entry = CardEntry.objects.get(card=card)
    for sql, args in (
        ("UPDATE finance_card SET paid_balance = 99999 WHERE id = %s", [card.pk]),
        ("UPDATE finance_cardentry SET paid_delta = 1 WHERE id = %s", [entry.pk]),
        ("DELETE FROM finance_cardentry WHERE id = %s", [entry.pk]),
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, args)
    with pytest.raises(DatabaseError), transaction.atomic():
        Card.objects.filter(pk=card.pk).update(bonus_balance=5)
    card.refresh_from_db()
    assert card.paid_balance == D("1000") and card.status == CardStatus.ACTIVE
    assert CardEntry.objects.get(pk=entry.pk).kind == EntryKind.ISSUE


def test_the_databases_refusal_of_an_overdraft_reads_as_the_same_error(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(price=D("10")), actor=a)
    with pytest.raises(ValidationError) as refused:
        # Past the services' own check, straight to the ledger: the CHECK refuses it.
        cards._entry(card, actor=a, kind=EntryKind.SPEND, paid_delta=D("-10.01"))
    assert refused.value.code == "insufficient_balance"
    card.refresh_from_db()
    assert card.paid_balance == D("10")


# --- pages ---------------------------------------------------------------------------------


def test_the_owner_sets_up_a_package_and_takes_it_off_sale(cast, owner_a):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("Page facial")
    page = owner_a.get("/till/cards/products/new/")
    assert page.status_code == 200
    refused = owner_a.post(
        "/till/cards/products/new/",
        {"kind": "package", "name": "Ten facials", "price": "2800", "valid_days": "365"},
    )
    assert refused.status_code == 400
    assert "A package needs its number of sessions." in refused.content.decode()
    saved = owner_a.post(
        "/till/cards/products/new/",
        {
            "kind": "package",
            "name": "Ten facials",
            "price": "2800",
            "sessions": "10",
            "services": [facial.pk],
            "valid_days": "365",
        },
    )
    assert saved.status_code == 302
    with tenant_context(cast.tenant_a):
        made = CardProduct.objects.get(name="Ten facials")
        assert (made.sessions, list(made.services.all())) == (10, [facial])
        assert made.bonus == 0 and made.member_discount_percent == 0
        assert AuditEntry.objects.filter(object_type="card_product", object_id=str(made.pk))
        assert list(cards.products_on_sale(CardKind.PACKAGE)) == [made]
    listing = owner_a.get("/till/cards/products/").content.decode()
    assert "Ten facials" in listing and "10 sessions" in listing
    assert owner_a.post(f"/till/cards/products/{made.pk}/retire/").status_code == 302
    with tenant_context(cast.tenant_a):
        assert not cards.products_on_sale(CardKind.PACKAGE).exists()


def test_the_front_desk_sees_cards_but_cannot_set_up_products(cast, front_desk_a):
    assert front_desk_a.get("/till/cards/products/").status_code == 403
    with tenant_context(cast.tenant_a):
        card = sold(ClientFactory(tenant=cast.tenant_a), product(), actor=None)
    assert front_desk_a.get(f"/till/cards/{card.pk}/").status_code == 200


def test_the_card_page_shows_its_ledger_and_balances_with_constant_queries(
    cast, owner_a, django_assert_max_num_queries
):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="Lin Card")
        card = sold(client, product(price=D("1000"), bonus=D("100")), actor=owner)
        bill = bill_for(client, status="issued")
        cards.spend(card=card, amount=D("110"), payment=payment(bill, card, 110), actor=owner)
    with django_assert_max_num_queries(25):
        page = owner_a.get(f"/till/cards/{card.pk}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Lin Card" in text and card.code in text
    assert "CNY\u00a0990.00" in text and "CNY\u00a0900.00" in text and "-CNY\u00a010.00" in text
    # 12:00 UTC is 20:00 in Shanghai.
    assert "20:00" in text
    with tenant_context(cast.tenant_a):
        for n in range(12):
            cards.spend(card=card, amount=D("1"), payment=payment(bill, card, 1), actor=owner)
    with django_assert_max_num_queries(25):
        assert owner_a.get(f"/till/cards/{card.pk}/").status_code == 200


def test_the_card_pages_read_in_chinese(cast, db):
    from accounts.models import User
    from accounts.services import staff_create
    from tests.conftest import signed_in

    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="经理",
            email="cards-zh@alpha.test",
            password="x-Pass-2026-abc",
            roles=["manager"],
            language="zh-hans",
        )
        card = sold(ClientFactory(tenant=cast.tenant_a), product(bonus=D("50")), actor=None)
    manager = signed_in(cast.tenant_a, cast.host_a, "cards-zh@alpha.test")
    text = manager.get(f"/till/cards/{card.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "储值卡" in text and "赠送金额" in text and "流水" in text
    assert manager.get("/till/cards/products/").status_code == 403  # the owner sets up
    owner = signed_in(cast.tenant_a, cast.host_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.owner_a).update(language="zh-hans")
    text = owner.get("/till/cards/products/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "在售的储值卡与次卡" in text and "添加储值卡或次卡" in text


def test_tenant_b_cannot_open_tenant_as_cards_or_products(cast, owner_b):
    with tenant_context(cast.tenant_a):
        card = sold(ClientFactory(tenant=cast.tenant_a), product(), actor=None)
        prod = card.product
    assert owner_b.get(f"/till/cards/{card.pk}/").status_code == 404
    assert owner_b.get(f"/till/cards/products/{prod.pk}/").status_code == 404
    assert owner_b.post(f"/till/cards/products/{prod.pk}/retire/").status_code == 404
    assert card.code not in owner_b.get("/till/cards/products/").content.decode()


def test_every_movement_is_listed_for_the_clients_timeline(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(), actor=a)
    bill = bill_for(client, status="issued")
    cards.spend(card=card, amount=D("5"), payment=payment(bill, card, 5), actor=a)
    other = ClientFactory(tenant=cast.tenant_a)
    sold(other, product(), actor=a)
    kinds = [e.kind for e in cards.entries_for_client(client, 10)]
    assert kinds == [EntryKind.SPEND, EntryKind.ISSUE]
    assert len(cards.entries_for_client(client, 1)) == 1


def test_every_movement_is_in_the_audit_trail(cast, a):
    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(bonus=D("10")), actor=a)
    bill = bill_for(client, status="issued")
    cards.spend(card=card, amount=D("5"), payment=payment(bill, card, 5), actor=a)
    ids = {str(pk) for pk in CardEntry.objects.filter(card=card).values_list("pk", flat=True)}
    audited = AuditEntry.objects.filter(object_type="card_entry", object_id__in=ids)
    assert len(ids) == 2
    assert set(audited.values_list("object_id", flat=True)) == ids
    assert set(audited.values_list("client_id", flat=True)) == {client.pk}
