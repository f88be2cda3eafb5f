"""Money has one source of truth, the till: the client's finance summary and total spend
are derived from bills, payments and refunds (finance.summary); visit amounts typed
before the till become paid bills (migration 0004); a currency change is refused once
money is recorded; a client with money is never hard-deleted and a merge keeps the
spend right."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import ProtectedError
from django.utils import translation
from django_tenants.utils import tenant_context

from clients.merge import client_merge
from clients.models import Client
from finance import bills, cards, summary
from finance.models import (
    Bill,
    BillLine,
    BillOrigin,
    BillStatus,
    CardKind,
    Expense,
    FinanceSettings,
    LineKind,
    Payment,
    PaymentMethod,
)
from privacy.services import client_erase
from tenants.models import Tenant
from tenants.services import tenant_settings_update
from tests.conftest import staff_member
from tests.factories import ClientFactory
from tests.money_source_helpers import billed_visit, migrate_visit_amounts
from visits.models import Visit
from visits.services import visit_create

NOON = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
pytestmark = pytest.mark.clock(NOON)
D = Decimal


def _visit_with_amount(client, day: dt.date, amount) -> Visit:
    """A visit as entered before the till: its amount on the visit row."""
    visit = visit_create(client=client, values={"visited_on": day})
    Visit.objects.filter(pk=visit.pk).update(amount=amount)
    return visit


def _paid_bill(actor, client, *payments, price="1000", kind=LineKind.SERVICE, product=None):
    bill = bills.bill_create(client=client, actor=actor)
    bills.line_add(
        bill=bill,
        actor=actor,
        kind=kind,
        description="facial" if product is None else product.name,
        unit_price=D(price),
        card_product=product,
    )
    taken = [
        bills.payment_take(bill=bill, actor=actor, method=method, amount=D(amount), **extra)
        for method, amount, extra in payments
    ]
    bill.refresh_from_db()
    return bill, taken


# --- the data migration -----------------------------------------------------------------------


def test_visit_amounts_become_paid_bills_in_visit_order_continuing_the_numbers(cast, db):
    with tenant_context(cast.tenant_a):
        FinanceSettings.objects.update_or_create(singleton=True, defaults={})
        FinanceSettings.objects.filter(singleton=True).update(next_bill_number=7)
        client = ClientFactory(tenant=cast.tenant_a)
        other = ClientFactory(tenant=cast.tenant_a)
        Client.objects.filter(pk=client.pk).update(opening_spend=D("100"))
        late = _visit_with_amount(client, dt.date(2026, 5, 2), D("880"))
        early = _visit_with_amount(other, dt.date(2025, 12, 30), D("120.50"))
        free = _visit_with_amount(client, dt.date(2026, 1, 4), D("0"))
        none = visit_create(client=client, values={"visited_on": dt.date(2026, 2, 1)})

        assert migrate_visit_amounts() == 3
        assert migrate_visit_amounts() == 0  # a second run adds nothing

        made = {b.visit_id: b for b in Bill.objects.filter(origin=BillOrigin.MIGRATED)}
        assert set(made) == {late.pk, early.pk, free.pk} and none.pk not in made
        assert [made[v.pk].number for v in (early, free, late)] == [7, 8, 9]
        assert FinanceSettings.load().next_bill_number == 10
        bill = made[late.pk]
        assert (bill.status, bill.currency, bill.client_id) == (BillStatus.PAID, "CNY", client.pk)
        assert (bill.total, bill.paid_total, bill.tax_total) == (D("880"), D("880"), 0)
        # dated midday of the visit in the business's zone
        assert bill.paid_at == datetime(2026, 5, 2, 4, 0, tzinfo=UTC)
        (line,) = BillLine.objects.filter(bill=bill)
        assert (line.kind, line.description, line.net) == ("other", "Visit on 2026-05-02", 880)
        (payment,) = Payment.objects.filter(bill=bill)
        assert (payment.method, payment.amount, payment.reference) == (
            PaymentMethod.OTHER,
            D("880"),
            "before the till",
        )
        assert not Payment.objects.filter(bill=made[free.pk]).exists()  # nothing was paid

        # the total spend is the same figure, now from the till
        summary.refresh([client.pk, other.pk])
        client.refresh_from_db()
        other.refresh_from_db()
        assert (client.total_spend, other.total_spend) == (D("980"), D("120.50"))
        assert summary.visit_amounts([late.pk, none.pk]) == {late.pk: D("880")}


def test_the_migration_reads_the_currency_by_schema_name_as_migrate_schemas_runs_it(cast, db):
    # given: tenant B (GBP) entered the way migrate_schemas does, with only a stand-in
    # tenant that knows its schema name
    with tenant_context(cast.tenant_b):
        visit = _visit_with_amount(ClientFactory(tenant=cast.tenant_b), dt.date(2026, 3, 1), 45)
        connection.set_schema(cast.tenant_b.schema_name)
        assert not hasattr(connection.tenant, "currency")
        # when
        migrate_visit_amounts()
        # then
        bill = Bill.objects.get(visit=visit)
        assert (bill.currency, bill.total) == ("GBP", D("45"))
    with tenant_context(cast.tenant_a):
        assert not Bill.objects.filter(origin=BillOrigin.MIGRATED).exists()


# --- the summary ------------------------------------------------------------------------------


def test_the_summary_equals_the_ledger(cast, db, django_assert_max_num_queries):
    with tenant_context(cast.tenant_a):
        owner = staff_member(cast.tenant_a, cast.owner_a)
        client = ClientFactory(tenant=cast.tenant_a)
        Client.objects.filter(pk=client.pk).update(opening_spend=D("50"))
        client.refresh_from_db()
        product = cards.product_save(
            actor=owner,
            data={
                "kind": CardKind.STORED_VALUE,
                "name": "Gold",
                "price": D("1000"),
                "bonus": D("100"),
            },
        )
        # a card bought with cash and WeChat (money in: 1000)
        _paid_bill(
            owner,
            client,
            (PaymentMethod.CASH, "600", {"tendered": D("700")}),
            (PaymentMethod.WECHAT, "400", {}),
            price="1000",
            kind=LineKind.CARD,
            product=product,
        )
        (card,) = client.cards.all()
        # a facial paid from the card (not new money) and cash
        _bill, (from_card, _cash) = _paid_bill(
            owner,
            client,
            (PaymentMethod.STORED_VALUE, "300", {"card": card}),
            (PaymentMethod.CASH, "80", {}),
            price="380",
        )
        # a product paid by WeChat, 20 refunded in cash
        _b, (wechat,) = _paid_bill(owner, client, (PaymentMethod.WECHAT, "200", {}), price="200")
        bills.refund_create(payment=wechat, actor=owner, amount=D("20"), reason="damaged box")
        # an issued bill half paid: 150 outstanding
        due = bills.bill_create(client=client, actor=owner)
        bills.line_add(
            bill=due, actor=owner, kind=LineKind.SERVICE, description="peel", unit_price=D("250")
        )
        bills.payment_take(bill=due, actor=owner, method=PaymentMethod.WECHAT, amount=D("100"))
        # a void bill counts for nothing
        gone = bills.bill_create(client=client, actor=owner)
        bills.line_add(
            bill=gone, actor=owner, kind=LineKind.PRODUCT, description="x", unit_price=D("999")
        )
        bills.bill_issue(bill=gone, actor=owner)
        bills.bill_void(bill=gone, actor=owner, reason="typed twice")

        with django_assert_max_num_queries(6):
            figures = summary.for_client(client)
        client.refresh_from_db()
        # 50 + 1000 + 80 + 200 − 20 + 100
        assert figures.lifetime_spend == D("1410") == client.total_spend
        assert figures.usual_method == PaymentMethod.WECHAT  # three WeChat payments
        assert figures.outstanding == D("150") and figures.outstanding_bills == 1
        assert figures.currency == "CNY"
        assert figures.last_payment_on is not None
        (held,) = figures.cards
        assert (held.paid_balance, held.bonus_balance) == (D("727.27"), D("72.73"))
        assert figures.stored_value == D("800")
        assert from_card.card_id == card.pk
        # refresh is idempotent and agrees whatever the order of the rows
        Client.objects.filter(pk=client.pk).update(total_spend=0)
        summary.refresh([client.pk])
        client.refresh_from_db()
        assert client.total_spend == D("1410")


def test_the_summary_of_a_client_without_money_and_of_tenant_b(cast, db):
    with tenant_context(cast.tenant_a):
        owner = staff_member(cast.tenant_a, cast.owner_a)
        rich = ClientFactory(tenant=cast.tenant_a)
        _paid_bill(owner, rich, (PaymentMethod.CASH, "500", {}), price="500")
    with tenant_context(cast.tenant_b):
        # tenant B's client of the same id sees none of tenant A's money
        same = ClientFactory(tenant=cast.tenant_b)
        for client in {same, Client.objects.filter(pk=rich.pk).first()} - {None}:
            figures = summary.for_client(client)
            assert (figures.lifetime_spend, figures.usual_method, figures.cards) == (
                client.opening_spend,
                "",
                [],
            )
            assert figures.currency == "GBP" and figures.outstanding == 0


# --- the currency ---------------------------------------------------------------------------


def _settings_form(tenant, **changes) -> dict:
    values = {
        "name": tenant.name,
        "phone": tenant.phone,
        "address": tenant.address,
        "time_zone": tenant.time_zone,
        "currency": tenant.currency,
        "language": tenant.language,
    }
    return {**values, **changes}


def test_the_currency_cannot_change_once_money_is_recorded(cast, owner_a, owner_b):
    # given: tenant A has one expense, tenant B no money at all
    with tenant_context(cast.tenant_a):
        Expense.objects.create(
            spent_on=dt.date(2026, 11, 1), category="rent", amount=D("1"), currency="CNY"
        )
        assert summary.money_recorded()
    # when
    refused = owner_a.post("/settings/", _settings_form(cast.tenant_a, currency="USD"))
    allowed = owner_b.post("/settings/", _settings_form(cast.tenant_b, currency="EUR"))
    # then: A is told beside the currency field, B's change is saved
    assert refused.status_code == 400
    errors = refused.context["form"].errors["currency"]
    assert any("cannot be changed once money has been recorded" in e for e in errors)
    assert 'id="id_currency' in refused.content.decode()
    assert Tenant.objects.get(pk=cast.tenant_a.pk).currency == "CNY"
    assert allowed.status_code == 302
    assert Tenant.objects.get(pk=cast.tenant_b.pk).currency == "EUR"
    # and: the same currency, or other fields, still save
    kept = owner_a.post("/settings/", _settings_form(cast.tenant_a, phone="021 1234"))
    assert kept.status_code == 302


def test_the_currency_refusal_is_the_services_and_in_chinese(cast, db):
    with tenant_context(cast.tenant_a):
        owner = staff_member(cast.tenant_a, cast.owner_a)
        bills.bill_create(client=None, actor=owner)  # even a draft bill
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        tenant_settings_update(tenant=cast.tenant_a, currency="JPY")
    (message,) = refused.value.error_dict["currency"]
    assert message.code == "currency_in_use"
    with translation.override("zh-hans"):
        assert "货币" in str(message.message)
    assert Tenant.objects.get(pk=cast.tenant_a.pk).currency == "CNY"


# --- merge and erasure ------------------------------------------------------------------------


def test_a_client_with_money_is_never_hard_deleted(cast, db):
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
        billed_visit(client=client, amount=D("300"), visited_on=dt.date(2026, 4, 1))
        with pytest.raises(ProtectedError):
            Client.objects.get(pk=client.pk).delete()
        with pytest.raises(ProtectedError):
            Client.objects.filter(pk=client.pk).delete()
        # erasure keeps the financial rows, and the spend
        client_erase(client=client, actor=None)
        client.refresh_from_db()
        assert client.erased_at is not None and client.total_spend == D("300")
        assert Bill.objects.filter(client=client, total=D("300")).exists()


def test_a_merge_moves_bills_and_cards_and_the_spend_follows_the_till(cast, db):
    with tenant_context(cast.tenant_a):
        owner = staff_member(cast.tenant_a, cast.owner_a)
        kept = ClientFactory(tenant=cast.tenant_a)
        merged = ClientFactory(tenant=cast.tenant_a)
        Client.objects.filter(pk=merged.pk).update(opening_spend=D("40"))
        product = cards.product_save(
            actor=owner,
            data={
                "kind": CardKind.STORED_VALUE,
                "name": "Silver",
                "price": D("500"),
                "bonus": D("0"),
            },
        )
        _paid_bill(owner, kept, (PaymentMethod.CASH, "100", {}), price="100")
        _paid_bill(
            owner,
            merged,
            (PaymentMethod.ALIPAY, "500", {}),
            price="500",
            kind=LineKind.CARD,
            product=product,
        )
        (card,) = merged.cards.all()
        kept = client_merge(kept=kept, merged=merged, actor=owner)
        card.refresh_from_db()
        assert card.client_id == kept.pk and kept.bills.count() == 2
        assert kept.total_spend == D("640") == summary.for_client(kept).lifetime_spend
