"""Reads of bills and payments that pages, receipts and the client file share; each is a
fixed number of queries whatever the bill holds. Others may add functions at the end."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from finance.models import (
    Bill,
    BillLine,
    BillStatus,
    FinanceSettings,
    Payment,
    PaymentMethod,
    Refund,
)

ZERO = Decimal("0")
OPEN = (BillStatus.ISSUED, BillStatus.PARTIALLY_PAID)


def _refunded_of_payment():
    return Coalesce(
        Subquery(
            Refund.objects.filter(payment=OuterRef("pk"))
            .order_by()
            .values("payment")
            .annotate(s=Sum("amount"))
            .values("s")[:1]
        ),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def payments_with_refunds() -> QuerySet[Payment]:
    """Payments annotated with ``refunded`` (what went back of each, Decimal)."""
    return Payment.objects.select_related("card", "taken_by").annotate(
        refunded=_refunded_of_payment()
    )


def bill_for_page(pk: int) -> Bill | None:
    """A bill with its client, lines (service, staff, card), payments (each annotated with
    ``refunded``) and refunds, in five queries; None when this business has no such bill."""
    return (
        Bill.objects.filter(pk=pk)
        .select_related("client", "appointment", "created_by", "issued_by", "voided_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=BillLine.objects.select_related(
                    "service", "staff", "card", "card_product"
                ).order_by("position", "id"),
            ),
            Prefetch("payments", queryset=payments_with_refunds().order_by("created_at", "id")),
            Prefetch(
                "refunds",
                queryset=Refund.objects.select_related("payment", "card", "created_by").order_by(
                    "created_at", "id"
                ),
            ),
        )
        .first()
    )


def refundable_by_payment(bill: Bill) -> dict[int, Decimal]:
    """{payment id: what can still be refunded of it} (one query)."""
    return {
        p.pk: p.amount - p.refunded
        for p in payments_with_refunds().filter(bill=bill).order_by("id")
    }


def bills_of_client(client, *, limit: int | None = None) -> QuerySet[Bill]:
    """The client's bills, newest first, void ones included (they are history too)."""
    bills = Bill.objects.filter(client=client).order_by("-created_at", "-id")
    return bills[:limit] if limit else bills


def open_bills() -> QuerySet[Bill]:
    """Issued bills with money still due, oldest first."""
    return Bill.objects.filter(status__in=OPEN).select_related("client").order_by("issued_at", "id")


def live_bill_for(appointment) -> Bill | None:
    """The appointment's bill that is not void (there is at most one)."""
    return Bill.objects.filter(appointment=appointment).exclude(status=BillStatus.VOID).first()


def live_bills_by_appointment(appointment_ids) -> dict[int, Bill]:
    """{appointment id: its live bill} for a page of appointments, in one query."""
    return {
        b.appointment_id: b
        for b in Bill.objects.filter(appointment_id__in=list(appointment_ids)).exclude(
            status=BillStatus.VOID
        )
    }


def methods_taken(settings: FinanceSettings | None = None) -> list[tuple[str, str]]:
    """The payment methods the till takes, as (value, label) choices."""
    settings = settings or FinanceSettings.load()
    return [(value, label) for value, label in PaymentMethod.choices if settings.takes(value)]
