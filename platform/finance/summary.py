"""A client's money, derived from the till (seed 000 财务信息). Bills, payments and refunds
are the truth; ``Client.total_spend`` is a copy of what they add up to, kept in step by
``refresh`` (called by the bill services after every payment, refund and void, by the
import and by a merge), and ``for_client`` reads the whole summary for the client's file.

**Lifetime spend** is the money the client actually handed over and the business kept:

    opening_spend (brought over from a previous system by the import)
    + every payment on the client's bills that are not void, except payments taken from a
      stored-value card or a package (that money was counted once already, when the card
      or top-up was paid for)
    − every refund on those bills paid back out (cash, bank card, WeChat…), except refunds
      put onto a card (the money stays with the business, as the card's balance).

So buying a 1,000 card counts 1,000 when it is paid; spending 300 from it on a facial adds
nothing; refunding the card's unused paid part in cash takes it off again. A visit's
amount is the same figure for the bills linked to that visit (``visit_amounts``), so the
visits' amounts plus counter sales plus the opening spend make the lifetime spend."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Max, Q, Sum

from clients.models import Client
from finance.models import (
    Bill,
    BillStatus,
    Card,
    CardStatus,
    Payment,
    PaymentMethod,
    Refund,
)

# Payments (and refunds) that move value on a card rather than money over the counter.
CARD_METHODS = (PaymentMethod.STORED_VALUE, PaymentMethod.PACKAGE)
# Bills that still ask for money.
OUTSTANDING = (BillStatus.ISSUED, BillStatus.PARTIALLY_PAID)
ZERO = Decimal("0.00")


def _money_in(payments):
    return payments.exclude(bill__status=BillStatus.VOID).exclude(method__in=CARD_METHODS)


def _money_back(refunds):
    return (
        refunds.exclude(bill__status=BillStatus.VOID)
        .exclude(method__in=CARD_METHODS)
        .filter(card__isnull=True)
    )


def spend_by_client(client_ids: Iterable[int]) -> dict[int, Decimal]:
    """Money kept from each of these clients through the till (without the opening
    spend), in two queries whatever their number."""
    ids = list({int(pk) for pk in client_ids})
    spent: dict[int, Decimal] = {}
    if not ids:
        return spent
    for row in (
        _money_in(Payment.objects.filter(bill__client_id__in=ids))
        .values("bill__client_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        spent[row["bill__client_id"]] = row["total"] or ZERO
    for row in (
        _money_back(Refund.objects.filter(bill__client_id__in=ids))
        .values("bill__client_id")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        key = row["bill__client_id"]
        spent[key] = spent.get(key, ZERO) - (row["total"] or ZERO)
    return spent


def refresh(client_ids: Iterable[int]) -> None:
    """Recompute ``total_spend`` of these clients from the till (see the module's
    docstring), in three queries and one bulk update whatever their number. Runs inside
    the caller's transaction."""
    ids = list({int(pk) for pk in client_ids if pk is not None})
    if not ids:
        return
    spent = spend_by_client(ids)
    clients = list(Client.objects.filter(pk__in=ids).only("id", "opening_spend", "total_spend"))
    changed = []
    for client in clients:
        total = client.opening_spend + spent.get(client.pk, ZERO)
        if client.total_spend != total:
            client.total_spend = total
            changed.append(client)
    if changed:
        Client.objects.bulk_update(changed, ["total_spend"], batch_size=2000)


def visit_amounts(visit_ids: Iterable[int]) -> dict[int, Decimal]:
    """Each visit's amount: the money kept on the bills linked to it (``Bill.visit``, or
    the bill of the appointment that made the visit), in one query. A visit without a bill
    that took money is absent."""
    ids = list({int(pk) for pk in visit_ids})
    if not ids:
        return {}
    bills = (
        Bill.objects.filter(Q(visit_id__in=ids) | Q(appointment__visit_id__in=ids))
        .exclude(status__in=(BillStatus.DRAFT, BillStatus.VOID))
        .values_list("visit_id", "appointment__visit_id", "paid_total", "refunded_total")
    )
    amounts: dict[int, Decimal] = {}
    for visit_id, appointment_visit_id, paid, refunded in bills:
        key = visit_id if visit_id in ids else appointment_visit_id
        amounts[key] = amounts.get(key, ZERO) + paid - refunded
    return amounts


@dataclass(frozen=True)
class CardBalance:
    card: Card
    kind: str
    name: str
    code: str
    paid_balance: Decimal
    bonus_balance: Decimal
    sessions_left: int
    expires_on: dt.date | None
    active: bool

    @property
    def balance(self) -> Decimal:
        return self.paid_balance + self.bonus_balance


@dataclass(frozen=True)
class FinanceSummary:
    """Seed 000's 财务信息 for one client."""

    currency: str
    lifetime_spend: Decimal
    last_payment_on: dt.datetime | None
    usual_method: str  # a PaymentMethod value, "" before the first payment
    outstanding: Decimal  # balance due of issued and partially paid bills
    outstanding_bills: int
    cards: list[CardBalance] = field(default_factory=list)

    @property
    def usual_method_label(self) -> str:
        return PaymentMethod(self.usual_method).label if self.usual_method else ""

    @property
    def stored_value(self) -> Decimal:
        """Money on the client's active stored-value cards (paid part and bonus)."""
        return sum((c.balance for c in self.cards if c.active and c.kind == "stored_value"), ZERO)


def for_client(client: Client) -> FinanceSummary:
    """The client's finance summary in four queries: payments by method, refunds paid
    back out, the outstanding bills and the cards."""
    by_method = list(
        Payment.objects.filter(bill__client_id=client.pk)
        .exclude(bill__status=BillStatus.VOID)
        .values("method")
        .annotate(n=Count("id"), total=Sum("amount"), last=Max("created_at"))
        .order_by()
    )
    paid_in = sum((row["total"] for row in by_method if row["method"] not in CARD_METHODS), ZERO)
    paid_back = (
        _money_back(Refund.objects.filter(bill__client_id=client.pk)).aggregate(
            total=Sum("amount")
        )["total"]
        or ZERO
    )
    last = max((row["last"] for row in by_method), default=None)
    # Most payments; a tie goes to the method used most recently.
    usual = max(by_method, key=lambda row: (row["n"], row["last"]), default=None)
    open_bills = Bill.objects.filter(client_id=client.pk, status__in=OUTSTANDING).aggregate(
        n=Count("id"), total=Sum("total"), paid=Sum("paid_total"), back=Sum("refunded_total")
    )
    outstanding = (
        (open_bills["total"] or ZERO) - (open_bills["paid"] or ZERO) + (open_bills["back"] or ZERO)
    )
    cards = [
        CardBalance(
            card=card,
            kind=card.kind,
            name=card.name,
            code=card.code,
            paid_balance=card.paid_balance,
            bonus_balance=card.bonus_balance,
            sessions_left=card.sessions_left,
            expires_on=card.expires_on,
            active=card.status == CardStatus.ACTIVE,
        )
        for card in Card.objects.filter(client_id=client.pk).order_by("status", "-created_at")
    ]
    return FinanceSummary(
        currency=getattr(connection.tenant, "currency", ""),
        lifetime_spend=client.opening_spend + paid_in - paid_back,
        last_payment_on=last,
        usual_method=usual["method"] if usual else "",
        outstanding=outstanding,
        outstanding_bills=open_bills["n"] or 0,
        cards=cards,
    )


def money_recorded() -> bool:
    """Whether this business's schema holds any money: a bill (payments and refunds hang
    on bills), a card, an expense, a budget or a cash count. Once it does, its currency
    may no longer change (``tenants.services.tenant_settings_update``): the amounts were
    written in it."""
    from finance.models import Budget, CashCount, Expense

    return any(
        model.objects.exists() for model in (Bill, Payment, Card, Expense, Budget, CashCount)
    )
