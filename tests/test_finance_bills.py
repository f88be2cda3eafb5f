"""The bill services (finance.bills) on the database: totals, discounts and tax as
finance.money computes them, gapless numbering (also under two real connections at once),
split tender and change, refused methods, refunds never above what was paid, voids and
large discounts only with APPROVE_FINANCE, member prices, bills from appointments (with a
dental practice's plan items), the audit trail and tenant isolation."""

from __future__ import annotations

import datetime as dt
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from finance import bills, cards, money
from finance.models import (
    Bill,
    BillingProfile,
    BillLine,
    BillStatus,
    Card,
    CardKind,
    CardProduct,
    FinanceSettings,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
)
from scheduling.models import Appointment, ServiceCategory, Status
from tests import schedule
from tests.conftest import staff_member
from tests.factories import ClientFactory

NOON = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
pytestmark = pytest.mark.clock(NOON)
D = Decimal


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def owner(cast, db):
    with tenant_context(cast.tenant_a):
        yield staff_member(cast.tenant_a, cast.owner_a)


@pytest.fixture
def desk(cast, db):
    return staff_member(cast.tenant_a, cast.front_desk_a)


def settings_with(**values) -> FinanceSettings:
    settings = FinanceSettings.load()
    for field, value in values.items():
        setattr(settings, field, value)
    settings.save()
    return settings


def counter_bill(actor, *lines, client=None, discount=None) -> Bill:
    """A draft with ``lines`` given as (unit price, quantity[, discount kind, value])."""
    bill = bills.bill_create(client=client, actor=actor)
    for spec in lines:
        price, quantity, *disc = spec
        bills.line_add(
            bill=bill,
            actor=actor,
            kind=LineKind.PRODUCT,
            description=f"item {price}",
            unit_price=D(price),
            quantity=quantity,
            discount_kind=disc[0] if disc else "",
            discount_value=D(disc[1]) if disc else 0,
            discount_reason="test" if disc else "",
        )
    if discount:
        bills.bill_discount_set(
            bill=bill, actor=actor, kind=discount[0], value=D(discount[1]), reason="loyal"
        )
    bill.refresh_from_db()
    return bill


def appointment_for(client, *, status=Status.COMPLETED, price="680.00", staff=None):
    doctor = staff or staff_member(connection.tenant, "doctor@alpha.test")
    category = ServiceCategory.objects.create(name="Skin")
    service = schedule.service("HydraFacial", staff=[doctor], price="700")
    service.category = category
    service.save()
    start = dt.datetime(2026, 11, 20, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    return Appointment.objects.create(
        client=client,
        service=service,
        staff=doctor,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        blocked_from=start,
        blocked_until=start + dt.timedelta(hours=1),
        status=status,
        price=D(price),
    )


def audited(object_type, obj) -> int:
    return AuditEntry.objects.filter(object_type=object_type, object_id=str(obj.pk)).count()


# --- totals, discounts, tax ----------------------------------------------------------------


def test_a_bill_stores_what_finance_money_computes_and_copies_currency_and_tax(cast, owner):
    settings_with(tax_rate=D("6"), tax_mode="inclusive", tax_label="VAT")
    bill = counter_bill(
        owner, ("100.00", 2), ("300.00", 1, "percent", "10"), discount=("amount", "10.00")
    )
    assert (bill.currency, bill.tax_mode, bill.tax_rate, bill.tax_label) == (
        "CNY",
        "inclusive",
        D("6.00"),
        "VAT",
    )
    expected = bills.amounts_of(bill)
    lines = list(bill.lines.all())
    for line, amounts in zip(lines, expected.lines, strict=True):
        assert (line.gross, line.line_discount, line.bill_discount, line.net, line.tax) == (
            amounts.gross,
            amounts.line_discount,
            amounts.bill_discount,
            amounts.net,
            amounts.tax,
        )
    assert (bill.subtotal, bill.discount_total, bill.total) == (
        D("500.00"),
        D("40.00"),
        D("460.00"),
    )
    assert bill.tax_total == sum(line.tax for line in lines)
    assert bill.status == BillStatus.DRAFT and bill.number is None
    # A later change of the till's tax leaves the bill as written.
    settings_with(tax_rate=D("13"), tax_mode="exclusive")
    bills.line_add(
        bill=bill, actor=owner, kind=LineKind.OTHER, description="extra", unit_price=D("1")
    )
    bill.refresh_from_db()
    assert (bill.tax_mode, bill.tax_rate) == ("inclusive", D("6.00"))


def test_exclusive_tax_is_added_to_the_total(cast, owner):
    settings_with(tax_rate=D("10"), tax_mode="exclusive")
    bill = counter_bill(owner, ("99.99", 1), ("0.05", 3))
    assert bill.tax_total == D("10.00") + D("0.02")
    assert bill.total == D("99.99") + D("0.15") + bill.tax_total


def test_bad_lines_are_refused_next_to_their_field_and_nothing_is_written(cast, owner):
    bill = bills.bill_create(actor=owner)
    cases = [
        ({"unit_price": D("-1")}, "unit_price"),
        ({"unit_price": D("1.001")}, "unit_price"),
        ({"unit_price": "abc"}, "unit_price"),
        ({"quantity": 0}, "quantity"),
        ({"description": " "}, "description"),
        ({"discount_kind": "percent", "discount_value": D("5")}, "discount_reason"),
        (
            {"discount_kind": "percent", "discount_value": D("120"), "discount_reason": "x"},
            "discount_value",
        ),
    ]
    for change, field in cases:
        values = {"kind": LineKind.PRODUCT, "description": "Serum", "unit_price": D("10")}
        values.update(change)
        with pytest.raises(ValidationError) as refused:
            bills.line_add(bill=bill, actor=owner, **values)
        assert field in refused.value.message_dict, (change, refused.value)
    assert not BillLine.objects.filter(bill=bill).exists()
    with pytest.raises(TypeError):
        bills.line_add(bill=bill, actor=owner, kind="product", description="x", unit_price=1.5)


def test_lines_can_be_changed_and_removed_only_on_a_draft(cast, owner):
    bill = counter_bill(owner, ("100.00", 1), ("50.00", 2))
    first, second = bill.lines.all()
    bills.line_update(line=second, actor=owner, quantity=3)
    bills.line_remove(line=first, actor=owner)
    bill.refresh_from_db()
    assert bill.total == D("150.00") and bill.lines.count() == 1
    bills.bill_issue(bill=bill, actor=owner)
    line = bill.lines.get()
    for attempt in (
        lambda: bills.line_update(line=line, actor=owner, quantity=1),
        lambda: bills.line_remove(line=line, actor=owner),
        lambda: bills.line_add(
            bill=bill, actor=owner, kind="product", description="x", unit_price=D("1")
        ),
        lambda: bills.bill_discount_set(bill=bill, actor=owner, kind="amount", value=1, reason="x"),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.code == "not_draft"
    bill.refresh_from_db()
    assert bill.total == D("150.00") and bill.lines.count() == 1


def test_a_yen_bill_is_in_whole_yen(cast, owner):
    bill = counter_bill(owner, ("1000", 1))
    Bill.objects.filter(pk=bill.pk).update(currency="JPY")
    bill.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        bills.line_add(
            bill=bill, actor=owner, kind="product", description="x", unit_price=D("0.50")
        )
    assert "unit_price" in refused.value.message_dict
    bills.bill_discount_set(bill=bill, actor=owner, kind="percent", value=D("3.33"), reason="x")
    bill.refresh_from_db()
    assert bill.total == D("967") and bill.discount_total == D("33")


# --- the discount limit --------------------------------------------------------------------


def test_a_discount_beyond_the_limit_needs_approval(cast, owner, desk):
    settings_with(discount_limit_percent=D("10"))
    bill = counter_bill(owner, ("200.00", 1))
    line = bill.lines.get()
    # Up to the limit the front desk may discount.
    bills.line_update(
        line=line,
        actor=desk,
        discount_kind="percent",
        discount_value=D("10"),
        discount_reason="regular",
    )
    with pytest.raises(ValidationError) as refused:
        bills.line_update(
            line=line,
            actor=desk,
            discount_kind="amount",
            discount_value=D("20.01"),
            discount_reason="friend",
        )
    assert refused.value.error_dict["discount_value"][0].code == "needs_approval"
    assert refused.value.message_dict["discount_value"] == [
        "A discount above 10% needs a manager's or the owner's approval."
    ]
    line.refresh_from_db()
    assert line.line_discount == D("20.00")  # the refused change left nothing
    with pytest.raises(ValidationError):
        bills.bill_discount_set(bill=bill, actor=desk, kind="percent", value=D("15"), reason="x")
    bill.refresh_from_db()
    assert bill.discount_kind == "" and bill.total == D("180.00")
    with pytest.raises(ValidationError):
        bills.line_add(
            bill=bill,
            actor=desk,
            kind="product",
            description="gift",
            unit_price=D("50"),
            discount_kind="percent",
            discount_value=D("100"),
            discount_reason="gift",
        )
    assert bill.lines.count() == 1
    # The owner may.
    bills.bill_discount_set(bill=bill, actor=owner, kind="percent", value=D("50"), reason="VIP")
    bill.refresh_from_db()
    assert bill.total == D("90.00")


def test_member_prices_apply_to_service_lines_of_a_member(cast, owner):
    client = ClientFactory(tenant=cast.tenant_a)
    membership = CardProduct.objects.create(
        kind=CardKind.MEMBERSHIP, name="Gold", price=D("0"), member_discount_percent=D("12")
    )
    sale = counter_bill(owner, client=client)
    cards.issue_from_line(
        line=BillLine.objects.create(
            bill=sale,
            kind=LineKind.CARD,
            description="Gold",
            unit_price=0,
            card_product=membership,
        ),
        actor=owner,
    )
    bill = bills.bill_create(client=client, actor=owner)
    service_line = bills.line_add(
        bill=bill,
        actor=owner,
        kind=LineKind.SERVICE,
        description="Facial",
        unit_price=D("500.00"),
    )
    product_line = bills.line_add(
        bill=bill, actor=owner, kind=LineKind.PRODUCT, description="Cream", unit_price=D("100")
    )
    assert (service_line.discount_reason, service_line.net) == ("Member price", D("440.00"))
    assert product_line.line_discount == D("0.00")


# --- numbering ------------------------------------------------------------------------------


def test_numbers_are_given_at_issue_without_gaps(cast, owner):
    start = FinanceSettings.load().next_bill_number
    first = counter_bill(owner, ("10.00", 1))
    empty = bills.bill_create(actor=owner)
    second = counter_bill(owner, ("20.00", 1))
    bills.bill_issue(bill=second, actor=owner)
    with pytest.raises(ValidationError):
        bills.bill_issue(bill=empty, actor=owner)
    # A transaction that fails after issuing gives its number back.
    with pytest.raises(RuntimeError), transaction.atomic():
        bills.bill_issue(bill=first, actor=owner)
        raise RuntimeError
    first.refresh_from_db()
    assert first.number is None and first.status == BillStatus.DRAFT
    bills.bill_issue(bill=first, actor=owner)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.number, first.number) == (start, start + 1)
    assert FinanceSettings.load().next_bill_number == start + 2
    assert second.issued_at == NOON and second.issued_by == owner
    with pytest.raises(ValidationError):
        bills.bill_issue(bill=first, actor=owner)


def test_two_connections_issuing_at_once_get_consecutive_numbers(cast, django_db_blocker):
    tenant = cast.tenant_a
    racers = 6
    with django_db_blocker.unblock():
        with tenant_context(tenant):
            actor = staff_member(tenant, cast.owner_a)
            drafts = []
            for i in range(racers):
                draft = bills.bill_create(actor=actor)
                bills.line_add(
                    bill=draft,
                    actor=actor,
                    kind="product",
                    description=f"race {i}",
                    unit_price=D("1.00"),
                )
                drafts.append(draft)
            start = FinanceSettings.load().next_bill_number
        connection.set_schema_to_public()
        barrier = threading.Barrier(racers)
        errors: list[str] = []

        def issue(draft) -> None:
            try:
                connection.set_tenant(tenant)
                barrier.wait(timeout=60)
                bills.bill_issue(bill=draft, actor=actor)
            except Exception as error:  # noqa: BLE001 - reported by the assertion
                errors.append(f"{type(error).__name__}: {error}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=issue, args=(d,)) for d in drafts]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            with tenant_context(tenant):
                numbers = sorted(
                    Bill.objects.filter(pk__in=[d.pk for d in drafts]).values_list(
                        "number", flat=True
                    )
                )
                assert errors == []
                assert numbers == list(range(start, start + racers))
                assert FinanceSettings.load().next_bill_number == start + racers
        finally:
            with tenant_context(tenant):
                ids = [d.pk for d in drafts]
                BillLine.objects.filter(bill_id__in=ids).delete()
                Bill.objects.filter(pk__in=ids).delete()
                FinanceSettings.objects.update(next_bill_number=start)
            connection.set_schema_to_public()


# --- payments -------------------------------------------------------------------------------


def test_split_tender_with_change_for_cash(cast, owner, desk):
    client = ClientFactory(tenant=cast.tenant_a)
    bill = counter_bill(owner, ("500.00", 1), client=client)
    cash = bills.payment_take(
        bill=bill, actor=desk, method=PaymentMethod.CASH, amount=D("200.00"), tendered=D("300")
    )
    bill.refresh_from_db()
    assert bill.number is not None  # the draft was issued first
    assert (cash.change_given, cash.tendered) == (D("100.00"), D("300.00"))
    assert bill.status == BillStatus.PARTIALLY_PAID and bill.balance_due == D("300.00")
    wechat = bills.payment_take(
        bill=bill, actor=desk, method=PaymentMethod.WECHAT, amount=D("300.00"), reference="WX1"
    )
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and bill.paid_at == NOON
    assert bill.paid_total == D("500.00") and bill.balance_due == 0
    assert audited("payment", cash) == 1 and audited("payment", wechat) == 1
    with pytest.raises(ValidationError) as refused:
        bills.payment_take(bill=bill, actor=desk, method="cash", amount=D("1"))
    assert refused.value.code == "not_payable"


def test_payments_beyond_the_balance_or_by_methods_switched_off_are_refused(cast, owner):
    bill = counter_bill(owner, ("100.00", 1))
    settings_with(methods=[PaymentMethod.CASH, PaymentMethod.ALIPAY])
    cases = [
        ({"method": PaymentMethod.WECHAT, "amount": D("10")}, "method"),
        ({"method": "bitcoin", "amount": D("10")}, "method"),
        ({"method": PaymentMethod.ALIPAY, "amount": D("100.01")}, "amount"),
        ({"method": PaymentMethod.CASH, "amount": D("0")}, "amount"),
        ({"method": PaymentMethod.CASH, "amount": D("50"), "tendered": D("40")}, "tendered"),
        ({"method": PaymentMethod.STORED_VALUE, "amount": D("10")}, "method"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationError) as refused:
            bills.payment_take(bill=bill, actor=owner, **values)
        assert field in refused.value.message_dict, values
    assert not Payment.objects.filter(bill=bill).exists()
    bill.refresh_from_db()
    assert bill.paid_total == 0


def test_a_stored_value_card_sold_on_one_bill_pays_part_of_the_next(cast, owner, desk):
    client = ClientFactory(tenant=cast.tenant_a)
    product = CardProduct.objects.create(
        kind=CardKind.STORED_VALUE, name="Gold 1000", price=D("1000"), bonus=D("100")
    )
    sale = bills.bill_create(client=client, actor=desk)
    bills.line_add(
        bill=sale,
        actor=desk,
        kind=LineKind.CARD,
        description=product.name,
        unit_price=product.price,
        card_product=product,
    )
    bills.payment_take(bill=sale, actor=desk, method=PaymentMethod.ALIPAY, amount=D("1000"))
    card = Card.objects.get(client=client)
    assert (card.paid_balance, card.bonus_balance) == (D("1000.00"), D("100.00"))

    visit = counter_bill(desk, ("880.00", 1), client=client)
    paid = bills.payment_take(
        bill=visit, actor=desk, method=PaymentMethod.STORED_VALUE, amount=D("550.00"), card=card
    )
    bills.payment_take(bill=visit, actor=desk, method=PaymentMethod.CASH, amount=D("330.00"))
    card.refresh_from_db()
    visit.refresh_from_db()
    assert card.balance == D("550.00") and visit.status == BillStatus.PAID
    # Refunded back onto the card it came from.
    bills.refund_create(payment=paid, actor=owner, amount=D("550.00"), reason="unhappy")
    card.refresh_from_db()
    assert card.balance == D("1100.00")
    # Another client's card cannot pay this client's bill.
    other = counter_bill(desk, ("10.00", 1), client=ClientFactory(tenant=cast.tenant_a))
    with pytest.raises(ValidationError) as refused:
        bills.payment_take(
            bill=other, actor=desk, method=PaymentMethod.STORED_VALUE, amount=D("10"), card=card
        )
    assert "card" in refused.value.message_dict


# --- refunds and voids ----------------------------------------------------------------------


def test_refunds_never_exceed_what_was_paid(cast, owner, desk):
    bill = counter_bill(owner, ("300.00", 1), client=ClientFactory(tenant=cast.tenant_a))
    cash = bills.payment_take(bill=bill, actor=desk, method="cash", amount=D("100.00"))
    card = bills.payment_take(bill=bill, actor=desk, method="bank_card", amount=D("200.00"))
    with pytest.raises(ValidationError) as refused:
        bills.refund_create(payment=cash, actor=desk, amount=D("10"), reason="x")
    assert refused.value.code == "needs_approval"
    with pytest.raises(ValidationError) as refused:
        bills.refund_create(payment=cash, actor=owner, amount=D("10"), reason=" ")
    assert "reason" in refused.value.message_dict
    bills.refund_create(payment=cash, actor=owner, amount=D("60.00"), reason="scratch")
    with pytest.raises(ValidationError) as refused:
        bills.refund_create(payment=cash, actor=owner, amount=D("40.01"), reason="again")
    assert "amount" in refused.value.message_dict
    last = bills.refund_create(payment=cash, actor=owner, amount=D("40.00"), reason="rest")
    assert last.method == "cash" and audited("refund", last) == 1
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID and bill.refunded_total == D("100.00")
    bills.refund_create(payment=card, actor=owner, amount=D("200.00"), reason="all")
    bill.refresh_from_db()
    assert bill.status == BillStatus.REFUNDED and bill.refunded_total == bill.paid_total
    with pytest.raises(ValidationError):
        bills.refund_create(payment=card, actor=owner, amount=D("0.01"), reason="more")
    assert Refund.objects.filter(bill=bill).count() == 3


def test_a_refund_can_go_onto_a_stored_value_card(cast, owner):
    client = ClientFactory(tenant=cast.tenant_a)
    product = CardProduct.objects.create(kind=CardKind.STORED_VALUE, name="SV", price=D("100"))
    sale = bills.bill_create(client=client, actor=owner)
    bills.line_add(
        bill=sale,
        actor=owner,
        kind=LineKind.CARD,
        description="SV",
        unit_price=D("100"),
        card_product=product,
    )
    bills.payment_take(bill=sale, actor=owner, method="cash", amount=D("100"))
    card = Card.objects.get(client=client)
    bill = counter_bill(owner, ("80.00", 1), client=client)
    paid = bills.payment_take(bill=bill, actor=owner, method="wechat", amount=D("80.00"))
    refund = bills.refund_create(
        payment=paid, actor=owner, amount=D("30.00"), reason="credit", to_card=card
    )
    card.refresh_from_db()
    assert refund.method == PaymentMethod.STORED_VALUE and refund.card_id == card.pk
    assert card.paid_balance == D("130.00")


def test_refunding_a_top_up_takes_its_paid_value_off_the_card(cast, owner):
    client = ClientFactory(tenant=cast.tenant_a)
    product = CardProduct.objects.create(
        kind=CardKind.STORED_VALUE, name="SV", price=D("1000"), bonus=D("100")
    )
    sale = bills.bill_create(client=client, actor=owner)
    line = bills.line_add(
        bill=sale,
        actor=owner,
        kind=LineKind.CARD,
        description="SV",
        unit_price=D("1000"),
        card_product=product,
    )
    paid = bills.payment_take(bill=sale, actor=owner, method="cash", amount=D("1000"))
    with pytest.raises(ValidationError) as refused:  # which sale is it taking back?
        bills.refund_create(payment=paid, actor=owner, amount=D("500"), reason="x")
    assert "line" in refused.value.message_dict
    bills.refund_create(payment=paid, actor=owner, amount=D("500"), reason="x", line=line)
    card = Card.objects.get(client=client)
    assert (card.paid_balance, card.bonus_balance) == (D("500.00"), D("50.00"))


def test_voids_need_approval_a_reason_and_no_money_held(cast, owner, desk):
    bill = counter_bill(owner, ("120.00", 1))
    bills.bill_issue(bill=bill, actor=owner)
    with pytest.raises(ValidationError) as refused:
        bills.bill_void(bill=bill, actor=desk, reason="typo")
    assert refused.value.code == "needs_approval"
    with pytest.raises(ValidationError) as refused:
        bills.bill_void(bill=bill, actor=owner, reason="")
    assert "reason" in refused.value.message_dict
    paid = bills.payment_take(bill=bill, actor=desk, method="cash", amount=D("20"))
    with pytest.raises(ValidationError) as refused:
        bills.bill_void(bill=bill, actor=owner, reason="typo")
    assert refused.value.code == "money_held"
    bills.refund_create(payment=paid, actor=owner, amount=D("20"), reason="typo")
    bills.bill_void(bill=bill, actor=owner, reason="typo")
    bill.refresh_from_db()
    assert bill.status == BillStatus.VOID and bill.number is not None  # the number stays
    assert (bill.voided_at, bill.voided_by, bill.void_reason) == (NOON, owner, "typo")
    with pytest.raises(ValidationError):
        bills.payment_take(bill=bill, actor=desk, method="cash", amount=D("1"))
    entries = AuditEntry.objects.filter(object_type="bill", object_id=str(bill.pk))
    assert entries.filter(action="create").count() == 1
    assert entries.filter(fields__contains=["status"]).exists()


# --- bills from appointments ----------------------------------------------------------------


def test_a_completed_appointment_becomes_one_live_bill(cast, owner):
    client = ClientFactory(tenant=cast.tenant_a)
    booked = appointment_for(client, status=Status.BOOKED)
    with pytest.raises(ValidationError):
        bills.bill_from_appointment(appointment=booked, actor=owner)
    booked.status = Status.COMPLETED
    booked.save(update_fields=["status"])
    bill = bills.bill_from_appointment(appointment=booked, actor=owner)
    line = bill.lines.get()
    assert (line.kind, line.description, line.unit_price, line.net) == (
        LineKind.SERVICE,
        "HydraFacial",
        D("680.00"),
        D("680.00"),
    )
    assert (line.staff_id, line.category, line.service_id) == (
        booked.staff_id,
        "Skin",
        booked.service_id,
    )
    assert bill.origin == "appointment" and bill.client_id == client.pk
    assert bills.bill_from_appointment(appointment=booked, actor=owner).pk == bill.pk
    bills.bill_void(bill=bill, actor=owner, reason="wrong price")
    again = bills.bill_from_appointment(appointment=booked, actor=owner)
    assert again.pk != bill.pk and again.status == BillStatus.DRAFT


def test_a_dental_appointment_bills_the_accepted_plan_items_once(cast, db):
    from verticals.dental.models import ItemStatus, PlanItem, TreatmentPlan

    with tenant_context(cast.tenant_b):
        dentist = staff_member(cast.tenant_b, cast.owner_b)
        client = ClientFactory(tenant=cast.tenant_b)
        plan = TreatmentPlan.objects.create(client=client, title="Plan")
        crown = PlanItem.objects.create(
            plan=plan,
            tooth=16,
            procedure="Crown",
            status=ItemStatus.ACCEPTED,
            estimated_cost=D("2400.00"),
        )
        PlanItem.objects.create(
            plan=plan,
            procedure="Whitening",
            status=ItemStatus.PROPOSED,
            estimated_cost=D("900.00"),
        )
        appointment = appointment_for(client, staff=dentist, price="150.00")
        bill = bills.bill_from_appointment(appointment=appointment, actor=dentist)
        lines = list(bill.lines.all())
        assert [(li.description, li.net) for li in lines] == [
            ("HydraFacial", D("150.00")),
            ("Crown (16)", D("2400.00")),
        ]
        assert lines[1].source_ref == f"dental.plan_item:{crown.pk}"
        assert bills.open_items(client) == []  # on a live draft already
        assert bill.currency == "GBP"
        with pytest.raises(ValidationError):  # billed once
            bills.line_add(
                bill=bill,
                actor=dentist,
                kind="service",
                description="Crown again",
                unit_price=D("1"),
                source_ref=lines[1].source_ref,
            )
        bill = bills.bill_issue(bill=bill, actor=dentist)
        crown.refresh_from_db()
        assert crown.billed_at == NOON and crown.bill_reference == str(bill.number)
        assert bills.open_items(client) == []


def test_voiding_a_dental_bill_frees_its_plan_items_to_be_billed_again(cast, db):
    from verticals.dental.models import ItemStatus, PlanItem, TreatmentPlan

    with tenant_context(cast.tenant_b):
        # given: an issued bill holding an accepted crown
        dentist = staff_member(cast.tenant_b, cast.owner_b)
        client = ClientFactory(tenant=cast.tenant_b)
        plan = TreatmentPlan.objects.create(client=client, title="Plan")
        crown = PlanItem.objects.create(
            plan=plan,
            tooth=26,
            procedure="Crown",
            status=ItemStatus.ACCEPTED,
            estimated_cost=D("2400.00"),
        )
        appointment = appointment_for(client, staff=dentist, price="150.00")
        bill = bills.bill_from_appointment(appointment=appointment, actor=dentist)
        bill = bills.bill_issue(bill=bill, actor=dentist)
        crown.refresh_from_db()
        assert crown.bill_reference == str(bill.number)
        # when
        bills.bill_void(bill=bill, actor=dentist, reason="wrong patient")
        # then: the crown is open again, audited, and the next bill takes it
        crown.refresh_from_db()
        assert (crown.billed_at, crown.bill_reference) == (None, "")
        assert [i.source_ref for i in bills.open_items(client)] == [f"dental.plan_item:{crown.pk}"]
        assert (
            AuditEntry.objects.filter(
                object_type="dental_plan_item", object_id=str(crown.pk), client_id=client.pk
            ).count()
            == 2
        )
        again = bills.bill_from_appointment(appointment=appointment, actor=dentist)
        assert f"dental.plan_item:{crown.pk}" in again.lines.values_list("source_ref", flat=True)
        again = bills.bill_issue(bill=again, actor=dentist)
        crown.refresh_from_db()
        assert crown.bill_reference == str(again.number)


# --- invoice details, audit, isolation ------------------------------------------------------


def test_invoice_details_are_copied_onto_bills_issued_afterwards(cast, owner):
    client = ClientFactory(tenant=cast.tenant_a)
    earlier = counter_bill(owner, ("10.00", 1), client=client)
    bills.bill_issue(bill=earlier, actor=owner)
    profile = bills.billing_profile_update(
        client=client,
        actor=owner,
        invoice_title="上海某某美容有限公司",
        tax_id="91310000 MA1FL0XXXX",
    )
    assert profile.tax_id == "91310000MA1FL0XXXX"
    later = counter_bill(owner, ("10.00", 1), client=client)
    bills.bill_issue(bill=later, actor=owner)
    earlier.refresh_from_db()
    later.refresh_from_db()
    assert (earlier.invoice_title, earlier.tax_id) == ("", "")
    assert (later.invoice_title, later.tax_id) == ("上海某某美容有限公司", "91310000MA1FL0XXXX")
    with pytest.raises(ValidationError) as refused:
        bills.billing_profile_update(client=client, actor=owner, invoice_title="", tax_id="ABC")
    assert "invoice_title" in refused.value.message_dict
    entries = AuditEntry.objects.filter(object_type="billing_profile", object_id=str(profile.pk))
    assert entries.count() == 1
    # The invoice title is named in the trail, not copied.
    assert "上海" not in str(entries.get().changes)
    assert BillingProfile.objects.get(client=client).invoice_title == "上海某某美容有限公司"


def test_every_write_leaves_an_audit_entry(cast, owner):
    bill = counter_bill(owner, ("10.00", 1))
    writes = AuditEntry.objects.filter(object_type="bill", object_id=str(bill.pk)).count()
    assert writes == 2  # made, line added
    paid = bills.payment_take(bill=bill, actor=owner, method="cash", amount=D("10.00"))
    refund = bills.refund_create(payment=paid, actor=owner, amount=D("10.00"), reason="x")
    assert audited("payment", paid) == 1 and audited("refund", refund) == 1
    # issued, paid, refunded
    assert AuditEntry.objects.filter(object_type="bill", object_id=str(bill.pk)).count() == 5


def test_tenant_b_cannot_see_tenant_a_bills(cast, db):
    with tenant_context(cast.tenant_a):
        actor = staff_member(cast.tenant_a, cast.owner_a)
        bill = counter_bill(actor, ("10.00", 1))
        bills.bill_issue(bill=bill, actor=actor)
        bill_id, number = bill.pk, bill.number
    with tenant_context(cast.tenant_b):
        from finance import selectors

        # Every bill B's schema holds is B's own (in pounds); A's id finds none of A's.
        assert not Bill.objects.filter(currency="CNY").exists()
        found = selectors.bill_for_page(bill_id)
        assert found is None or found.currency == "GBP"
        assert not Bill.objects.filter(pk=bill_id, number=number).exists()
        assert not BillLine.objects.filter(bill_id=bill_id, description="item 10.00").exists()
        with pytest.raises(Bill.DoesNotExist):
            Bill.objects.get(pk=bill_id, number=number, currency="CNY")
        # B's numbering is its own.
        b_actor = staff_member(cast.tenant_b, cast.owner_b)
        start_b = FinanceSettings.load().next_bill_number
        other = counter_bill(b_actor, ("10.00", 1))
        assert other.currency == "GBP"
        bills.bill_issue(bill=other, actor=b_actor)
        other.refresh_from_db()
        assert other.number == start_b


def test_money_quantize_matches_what_the_bill_stores(cast, owner):
    bill = counter_bill(owner, ("33.33", 3), discount=("percent", "7.5"))
    assert bill.total == money.quantize(bill.total, "CNY")
    assert bill.discount_total == money.quantize(D("99.99") * D("0.075"), "CNY")


def test_line_update_takes_what_the_line_form_sends(cast, owner):
    bill = counter_bill(owner, ("100.00", 1))
    line = bill.lines.get()
    bills.line_update(
        line=line,
        actor=owner,
        kind=LineKind.SERVICE,
        description="Peel",
        unit_price=D("250.00"),
        quantity=2,
        service=None,
        staff=owner,
        card_product=None,
        card=None,
        discount_kind="",
        discount_value=None,
        discount_reason="",
    )
    line.refresh_from_db()
    bill.refresh_from_db()
    assert (line.kind, line.net, line.staff_id) == (LineKind.SERVICE, D("500.00"), owner.pk)
    assert bill.total == D("500.00")
    with pytest.raises(TypeError):
        bills.line_update(line=line, actor=owner, source_ref="dental.plan_item:1")


def test_a_package_session_pays_for_the_service_it_covers(cast, owner):
    client = ClientFactory(tenant=cast.tenant_a)
    facial = schedule.service("Package facial", price="300")
    package = CardProduct.objects.create(
        kind=CardKind.PACKAGE, name="5 facials", price=D("1200"), sessions=5
    )
    package.services.set([facial])
    sale = bills.bill_create(client=client, actor=owner)
    bills.line_add(
        bill=sale,
        actor=owner,
        kind=LineKind.CARD,
        description="5 facials",
        unit_price=D("1200"),
        card_product=package,
    )
    bills.payment_take(bill=sale, actor=owner, method="bank_card", amount=D("1200"))
    card = Card.objects.get(client=client)
    assert card.sessions_left == 5
    visit = bills.bill_create(client=client, actor=owner)
    bills.line_add(
        bill=visit,
        actor=owner,
        kind=LineKind.SERVICE,
        description="Facial",
        unit_price=D("300"),
        service=facial,
    )
    paid = bills.payment_take(
        bill=visit, actor=owner, method=PaymentMethod.PACKAGE, amount=D("300"), card=card
    )
    card.refresh_from_db()
    visit.refresh_from_db()
    assert card.sessions_left == 4 and visit.status == BillStatus.PAID
    with pytest.raises(ValidationError) as refused:
        bills.refund_create(payment=paid, actor=owner, amount=D("300"), reason="x", to_card=card)
    assert "to_card" in refused.value.message_dict
    bills.refund_create(payment=paid, actor=owner, amount=D("300"), reason="missed")
    card.refresh_from_db()
    assert card.sessions_left == 5
    # A bill without a covered service cannot be paid by the package.
    other = counter_bill(owner, ("50.00", 1), client=client)
    with pytest.raises(ValidationError) as refused:
        bills.payment_take(
            bill=other, actor=owner, method=PaymentMethod.PACKAGE, amount=D("50"), card=card
        )
    assert "card" in refused.value.message_dict
    assert not Payment.objects.filter(bill=other).exists()


def test_a_bill_of_nothing_to_pay_is_paid_when_issued(cast, owner):
    bill = counter_bill(owner, ("80.00", 1), discount=("percent", "100"))
    bills.bill_issue(bill=bill, actor=owner)
    bill.refresh_from_db()
    assert (bill.total, bill.status, bill.paid_at) == (D("0.00"), BillStatus.PAID, NOON)


def test_the_bill_page_read_is_a_fixed_number_of_queries(cast, owner, django_assert_num_queries):
    from finance import selectors

    client = ClientFactory(tenant=cast.tenant_a)
    bill = counter_bill(owner, ("100.00", 1), ("20.00", 2), ("5.00", 3), client=client)
    cash = bills.payment_take(bill=bill, actor=owner, method="cash", amount=D("100"))
    bills.payment_take(bill=bill, actor=owner, method="alipay", amount=D("55"))
    bills.refund_create(payment=cash, actor=owner, amount=D("30"), reason="x")
    with django_assert_num_queries(4):
        read = selectors.bill_for_page(bill.pk)
        lines = list(read.lines.all())
        payments = list(read.payments.all())
        refunds = list(read.refunds.all())
        assert [line.service for line in lines] == [None, None, None]
        assert [p.refunded for p in payments] == [D("30.00"), D("0.00")]
        assert refunds[0].payment.pk == cash.pk
    assert selectors.refundable_by_payment(bill) == {
        payments[0].pk: D("70.00"),
        payments[1].pk: D("0.00") + D("55.00"),
    }
    assert selectors.bill_for_page(10**9) is None
    settings_with(methods=["cash", "wechat"])
    assert [v for v, _label in selectors.methods_taken()] == ["cash", "wechat"]
    assert list(selectors.bills_of_client(client)) == [read]


def test_two_connections_paying_the_whole_balance_at_once_take_it_once(cast, django_db_blocker):
    tenant = cast.tenant_a
    with django_db_blocker.unblock():
        with tenant_context(tenant):
            actor = staff_member(tenant, cast.owner_a)
            bill = counter_bill(actor, ("300.00", 1))
            bills.bill_issue(bill=bill, actor=actor)
            bill.refresh_from_db()
            number = bill.number
        connection.set_schema_to_public()
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def pay(method) -> None:
            try:
                connection.set_tenant(tenant)
                barrier.wait(timeout=60)
                bills.payment_take(bill=bill, actor=actor, method=method, amount=D("300.00"))
                outcomes.append("paid")
            except ValidationError as error:
                # Over the balance, or (second in) the bill is paid already.
                refused = "amount" in getattr(error, "error_dict", {})
                outcomes.append(
                    "refused"
                    if refused or getattr(error, "code", None) == "not_payable"
                    else str(error)
                )
            except Exception as error:  # noqa: BLE001 - reported by the assertion
                outcomes.append(f"{type(error).__name__}: {error}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=pay, args=(m,)) for m in ("cash", "wechat")]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            with tenant_context(tenant):
                bill.refresh_from_db()
                assert sorted(outcomes) == ["paid", "refused"], outcomes
                assert Payment.objects.filter(bill=bill).count() == 1
                assert bill.paid_total == D("300.00") and bill.status == BillStatus.PAID
        finally:
            with tenant_context(tenant):
                Payment.objects.filter(bill=bill).delete()
                BillLine.objects.filter(bill=bill).delete()
                Bill.objects.filter(pk=bill.pk).delete()
                # Give the number back only if no other bill took one after it.
                FinanceSettings.objects.filter(next_bill_number=number + 1).update(
                    next_bill_number=number
                )
            connection.set_schema_to_public()


def test_refusals_read_in_chinese(cast, owner, desk):
    from django.utils import translation

    bill = counter_bill(owner, ("100.00", 1))
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        bills.bill_discount_set(bill=bill, actor=desk, kind="percent", value=D("50"), reason="x")
    assert refused.value.message_dict["discount_value"] == ["超过 10% 的折扣需要经理或店主批准。"]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        bills.bill_void(bill=bill, actor=desk, reason="x")
    assert refused.value.messages == ["只有经理或店主可以作废账单。"]
