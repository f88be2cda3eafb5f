"""The money reports an owner checks every evening: the daily closing, revenue by period,
service, category and staff member, outstanding bills, money held on cards, and the
month's budgets against actual. Reads only; each report is a fixed number of aggregate
queries, whatever the number of bills.

Days are the business's days: local midnight to midnight in its time zone, turned into
UTC ranges before the database is asked. Money is ``Decimal`` in the business's currency.

What counts where (so every figure is the sum of its parts):

- **Takings** are payments by their ``created_at``: ``Payment.amount`` is what was applied
  to the bill (the change given back for cash is separate and never in it). Card spend
  (stored value, package sessions) is a payment method too, listed apart from money in.
- **Refunds** count on the day they were made, by the method they went back as.
- **Cash expected in the drawer** = cash payments − cash refunds of the day.
- **Revenue** (sales) = the sum of the lines' ``net`` (after line and bill discounts; a tax
  added on top of the prices is not revenue and is shown apart) on bills *issued* in the
  period and not void. Refunds are not taken off the service they were for: they are their
  own row, on the day they were made, and *net revenue* = sales − refunds (refunds of a
  bill voided later leave with its lines: the daily closing still shows them as money
  out that day). Card sales and
  top-ups are lines too (money taken in advance); they are shown by kind so the owner can
  tell them from services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from finance.models import (
    Bill,
    BillLine,
    BillStatus,
    Budget,
    BudgetKind,
    Card,
    CardKind,
    CardStatus,
    CashCount,
    Expense,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
)
from scheduling.availability import day_bounds, tenant_zone

ZERO = Decimal("0.00")
# Ways a card pays: spending what is held on a card, not money coming in.
CARD_METHODS = (PaymentMethod.STORED_VALUE, PaymentMethod.PACKAGE)
LIVE = (BillStatus.ISSUED, BillStatus.PARTIALLY_PAID, BillStatus.PAID, BillStatus.REFUNDED)
UNITS = ("day", "week", "month")


def currency() -> str:
    return getattr(getattr(connection, "tenant", None), "currency", "") or "CNY"


def today() -> dt.date:
    return timezone.now().astimezone(tenant_zone()).date()


def range_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants from local midnight of ``start`` to local midnight after ``end``."""
    zone = tenant_zone()
    return day_bounds(start, zone)[0], day_bounds(end, zone)[1]


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def _d(value) -> Decimal:
    return ZERO if value is None else Decimal(value)


# ---------------------------------------------------------------- daily closing


@dataclass
class MethodRow:
    method: str
    label: str
    count: int = 0
    amount: Decimal = ZERO


@dataclass
class DailyClosing:
    day: dt.date
    currency: str
    takings: list[MethodRow]  # money in, by method (card spend not included)
    takings_total: Decimal
    card_spend: list[MethodRow]  # stored value and package payments
    card_spend_total: Decimal
    refunds: list[MethodRow]
    refunds_total: Decimal
    voids_count: int
    voids_amount: Decimal
    card_sales: Decimal  # lines selling cards, packages, memberships on bills paid that day
    card_top_ups: Decimal  # top-up lines on bills paid that day
    cash_in: Decimal
    cash_refunded: Decimal
    cash_expected: Decimal
    count: CashCount | None = None
    counts: list[CashCount] = field(default_factory=list)

    @property
    def net_takings(self) -> Decimal:
        return self.takings_total - self.refunds_total

    @property
    def card_sold_total(self) -> Decimal:
        return self.card_sales + self.card_top_ups

    @property
    def cash_difference(self) -> Decimal | None:
        return None if self.count is None else self.count.counted - self.cash_expected


def _method_rows(grouped: dict[str, tuple[int, Decimal]], methods) -> list[MethodRow]:
    return [
        MethodRow(m.value, str(m.label), *grouped[m.value]) for m in methods if m.value in grouped
    ]


def cash_expected(day: dt.date) -> Decimal:
    """Cash that should be in the drawer from the day's takings (two small queries)."""
    start, end = day_bounds(day, tenant_zone())
    cash_in = Payment.objects.filter(
        method=PaymentMethod.CASH, created_at__gte=start, created_at__lt=end
    ).aggregate(s=Sum("amount"))["s"]
    cash_out = Refund.objects.filter(
        method=PaymentMethod.CASH, created_at__gte=start, created_at__lt=end
    ).aggregate(s=Sum("amount"))["s"]
    return _d(cash_in) - _d(cash_out)


def daily_closing(day: dt.date) -> DailyClosing:
    """The evening closing of one local day, in five queries."""
    start, end = day_bounds(day, tenant_zone())
    paid = {
        r["method"]: (r["n"], _d(r["s"]))
        for r in Payment.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("method")
        .annotate(n=Count("id"), s=Sum("amount"))
    }
    refunded = {
        r["method"]: (r["n"], _d(r["s"]))
        for r in Refund.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .values("method")
        .annotate(n=Count("id"), s=Sum("amount"))
    }
    voids = Bill.objects.filter(
        status=BillStatus.VOID, voided_at__gte=start, voided_at__lt=end
    ).aggregate(n=Count("id"), s=Sum("total"))
    sold = BillLine.objects.filter(
        kind__in=(LineKind.CARD, LineKind.TOP_UP),
        bill__paid_at__gte=start,
        bill__paid_at__lt=end,
        bill__status__in=(BillStatus.PAID, BillStatus.REFUNDED),
    ).aggregate(
        cards=Sum("net", filter=Q(kind=LineKind.CARD)),
        top_ups=Sum("net", filter=Q(kind=LineKind.TOP_UP)),
    )
    counts = list(
        CashCount.objects.filter(day=day)
        .select_related("counted_by")
        .order_by("-counted_at", "-id")
    )
    money_methods = [m for m in PaymentMethod if m not in CARD_METHODS]
    takings = _method_rows(paid, money_methods)
    card_spend = _method_rows(paid, CARD_METHODS)
    refunds = _method_rows(refunded, PaymentMethod)
    cash_in = paid.get(PaymentMethod.CASH, (0, ZERO))[1]
    cash_refunded = refunded.get(PaymentMethod.CASH, (0, ZERO))[1]
    return DailyClosing(
        day=day,
        currency=currency(),
        takings=takings,
        takings_total=sum((r.amount for r in takings), ZERO),
        card_spend=card_spend,
        card_spend_total=sum((r.amount for r in card_spend), ZERO),
        refunds=refunds,
        refunds_total=sum((r.amount for r in refunds), ZERO),
        voids_count=voids["n"],
        voids_amount=_d(voids["s"]),
        card_sales=_d(sold["cards"]),
        card_top_ups=_d(sold["top_ups"]),
        cash_in=cash_in,
        cash_refunded=cash_refunded,
        cash_expected=cash_in - cash_refunded,
        count=counts[0] if counts else None,
        counts=counts,
    )


def takings_today() -> tuple[Decimal, int]:
    """Money taken today (card spend aside) and the number of payments: one query."""
    start, end = day_bounds(today(), tenant_zone())
    row = (
        Payment.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(method__in=CARD_METHODS)
        .aggregate(s=Sum("amount"), n=Count("id"))
    )
    return _d(row["s"]), row["n"]


# ---------------------------------------------------------------- revenue


@dataclass
class RevenueRow:
    key: object
    label: str
    net: Decimal = ZERO
    tax: Decimal = ZERO
    lines: int = 0
    bills: int = 0
    refunds: Decimal = ZERO
    share: Decimal | None = None  # of the period's revenue, in %

    @property
    def net_revenue(self) -> Decimal:
        return self.net - self.refunds

    @property
    def average_ticket(self) -> Decimal | None:
        if not self.bills:
            return None
        return (self.net / self.bills).quantize(Decimal("0.01"))


@dataclass
class Revenue:
    start: dt.date
    end: dt.date
    unit: str
    currency: str
    periods: list[RevenueRow]
    by_kind: list[RevenueRow]
    by_service: list[RevenueRow]
    by_category: list[RevenueRow]
    by_staff: list[RevenueRow]
    total: RevenueRow


# One scan of the period's lines, summed five ways at once (GROUPING SETS); the grouping
# bitmask says which way a row is summed. Bills are counted from the bill table (a line
# count is not a bill count).
_LINES_SQL = """
SELECT GROUPING(bucket, kind, service_id, category, staff_id) AS g,
       bucket, kind, service_id, category, staff_id,
       SUM(net), SUM(tax), COUNT(*)
FROM (
    SELECT date_trunc(%(unit)s, b.issued_at AT TIME ZONE %(zone)s)::date AS bucket,
           l.kind, l.service_id, l.category, l.staff_id, l.net, l.tax
    FROM finance_billline l JOIN finance_bill b ON b.id = l.bill_id
    WHERE b.issued_at >= %(start)s AND b.issued_at < %(end)s AND b.status = ANY(%(live)s)
) AS l
GROUP BY GROUPING SETS ((bucket), (kind), (service_id), (category), (staff_id))
"""
_BILLS_SQL = """
SELECT date_trunc(%(unit)s, issued_at AT TIME ZONE %(zone)s)::date, COUNT(*)
FROM finance_bill
WHERE issued_at >= %(start)s AND issued_at < %(end)s AND status = ANY(%(live)s)
GROUP BY 1
"""
# A bill voided after every payment went back left revenue with its lines; its refunds
# leave with them (the money it took and gave back cancel out).
_REFUNDS_SQL = """
SELECT date_trunc(%(unit)s, r.created_at AT TIME ZONE %(zone)s)::date, SUM(r.amount)
FROM finance_refund r JOIN finance_bill b ON b.id = r.bill_id
WHERE r.created_at >= %(start)s AND r.created_at < %(end)s AND b.status <> 'void'
GROUP BY 1
"""
# GROUPING() bits, leftmost argument highest: 0 in a bit means "grouped by this column".
_G_BUCKET, _G_KIND, _G_SERVICE, _G_CATEGORY, _G_STAFF = 0b01111, 0b10111, 0b11011, 0b11101, 0b11110


def buckets(start: dt.date, end: dt.date, unit: str) -> list[dt.date]:
    """The first day of each day, ISO week (Monday) or month from ``start`` to ``end``."""
    if unit == "week":
        first = start - dt.timedelta(days=start.weekday())
    elif unit == "month":
        first = start.replace(day=1)
    else:
        first = start
    out = []
    while first <= end:
        out.append(first)
        if unit == "month":
            first = (first + dt.timedelta(days=32)).replace(day=1)
        else:
            first += dt.timedelta(days=7 if unit == "week" else 1)
    return out


def revenue(start: dt.date, end: dt.date, unit: str = "day") -> Revenue:
    """Revenue from ``start`` to ``end`` (local days, both included), per ``unit`` (day,
    week, month) and by line kind, service, category and staff member: five queries."""
    from accounts.models import User
    from scheduling.models import Service

    unit = unit if unit in UNITS else "day"
    lo, hi = range_bounds(start, end)
    params = {
        "unit": unit,
        "zone": str(tenant_zone()),
        "start": lo,
        "end": hi,
        "live": [str(s) for s in LIVE],
    }
    with connection.cursor() as cursor:
        cursor.execute(_LINES_SQL, params)
        grouped = cursor.fetchall()
        cursor.execute(_BILLS_SQL, params)
        bill_counts = dict(cursor.fetchall())
        cursor.execute(_REFUNDS_SQL, params)
        refunds = {k: _d(v) for k, v in cursor.fetchall()}

    sets: dict[int, dict] = {g: {} for g in (_G_BUCKET, _G_KIND, _G_SERVICE, _G_CATEGORY, _G_STAFF)}
    for g, bucket, kind, service_id, category, staff_id, net, tax, n in grouped:
        key = {
            _G_BUCKET: bucket,
            _G_KIND: kind,
            _G_SERVICE: service_id,
            _G_CATEGORY: category,
            _G_STAFF: staff_id,
        }[g]
        sets[g][key] = (_d(net), _d(tax), n)

    service_ids = [k for k in sets[_G_SERVICE] if k is not None]
    staff_ids = [k for k in sets[_G_STAFF] if k is not None]
    services = dict(Service.objects.filter(pk__in=service_ids).values_list("pk", "name"))
    staff = dict(User.objects.filter(pk__in=staff_ids).values_list("pk", "full_name"))

    all_net = sum((net for net, _tax, _n in sets[_G_KIND].values()), ZERO)

    def rows(g: int, label) -> list[RevenueRow]:
        out = [RevenueRow(k, label(k), net, tax, n) for k, (net, tax, n) in sets[g].items()]
        for r in out:
            if all_net:
                r.share = (r.net * 100 / all_net).quantize(Decimal("0.1"))
        return sorted(out, key=lambda r: (-r.net, r.label))

    from django.utils.translation import gettext as _

    kinds = dict(LineKind.choices)
    periods = []
    for b in buckets(start, end, unit):
        net, tax, n = sets[_G_BUCKET].get(b, (ZERO, ZERO, 0))
        periods.append(RevenueRow(b, b.isoformat(), net, tax, n, bill_counts.get(b, 0)))
        periods[-1].refunds = refunds.get(b, ZERO)
    total = RevenueRow(
        None,
        _("Total"),
        sum((p.net for p in periods), ZERO),
        sum((p.tax for p in periods), ZERO),
        sum(p.lines for p in periods),
        sum(p.bills for p in periods),
        sum((p.refunds for p in periods), ZERO),
    )
    return Revenue(
        start=start,
        end=end,
        unit=unit,
        currency=currency(),
        periods=periods,
        by_kind=rows(_G_KIND, lambda k: str(kinds.get(k, k))),
        by_service=rows(
            _G_SERVICE,
            lambda k: services.get(k, _("(no service)")) if k else _("(not a service)"),
        ),
        by_category=rows(_G_CATEGORY, lambda k: k or _("(no category)")),
        by_staff=rows(_G_STAFF, lambda k: staff.get(k, _("(unknown)")) if k else _("(nobody)")),
        total=total,
    )


def month_revenue_by_category(month: dt.date) -> tuple[Decimal, dict[str, Decimal]]:
    """A month's sales in all and per line category (for the budgets): one query."""
    lo, hi = range_bounds(*month_bounds(month))
    rows = (
        BillLine.objects.filter(
            bill__issued_at__gte=lo, bill__issued_at__lt=hi, bill__status__in=LIVE
        )
        .order_by()
        .values("category")
        .annotate(s=Sum("net"))
    )
    per = {r["category"]: _d(r["s"]) for r in rows}
    return sum(per.values(), ZERO), per


# ---------------------------------------------------------------- outstanding bills

OUTSTANDING_LIMIT = 500


@dataclass
class Outstanding:
    currency: str
    bills: list[Bill]  # oldest first, each with .due and .age_days; at most the limit
    count: int
    total_due: Decimal


def outstanding() -> Outstanding:
    """Issued and partly paid bills with money still due, oldest first (two queries)."""
    due = (
        Bill.objects.filter(status__in=(BillStatus.ISSUED, BillStatus.PARTIALLY_PAID))
        .annotate(due=F("total") - F("paid_total") + F("refunded_total"))
        .filter(due__gt=0)
    )
    summary = due.aggregate(n=Count("id"), s=Sum("due"))
    zone, now_day = tenant_zone(), today()
    bills = list(due.select_related("client").order_by("issued_at", "id")[:OUTSTANDING_LIMIT])
    for bill in bills:
        issued = bill.issued_at.astimezone(zone).date() if bill.issued_at else now_day
        bill.age_days = (now_day - issued).days
    return Outstanding(currency(), bills, summary["n"], _d(summary["s"]))


# ---------------------------------------------------------------- card liabilities


@dataclass
class CardLiability:
    kind: str
    label: str
    cards: int = 0
    paid: Decimal = ZERO
    bonus: Decimal = ZERO
    sessions: int = 0
    expired_cards: int = 0
    expired_paid: Decimal = ZERO

    @property
    def held(self) -> Decimal:
        return self.paid + self.bonus


@dataclass
class CardLiabilities:
    currency: str
    rows: list[CardLiability]

    @property
    def paid(self) -> Decimal:
        return sum((r.paid for r in self.rows), ZERO)

    @property
    def bonus(self) -> Decimal:
        return sum((r.bonus for r in self.rows), ZERO)

    @property
    def held(self) -> Decimal:
        return self.paid + self.bonus

    @property
    def sessions(self) -> int:
        return sum(r.sessions for r in self.rows)

    @property
    def cards(self) -> int:
        return sum(r.cards for r in self.rows)


def card_liabilities() -> CardLiabilities:
    """Money held on active cards by kind (the paid part is owed back if refunded; the bonus
    is not), package sessions still to give, and how much of it sits on expired cards."""
    expired = Q(expires_on__lt=today())
    grouped = {
        r["kind"]: r
        for r in Card.objects.filter(status=CardStatus.ACTIVE)
        .order_by()
        .values("kind")
        .annotate(
            n=Count("id"),
            paid=Sum("paid_balance"),
            bonus=Sum("bonus_balance"),
            sessions=Coalesce(Sum("sessions_left"), 0),
            expired_n=Count("id", filter=expired),
            expired_paid=Sum("paid_balance", filter=expired),
        )
    }
    rows = []
    for kind in CardKind:
        r = grouped.get(kind.value)
        if r is None:
            rows.append(CardLiability(kind.value, str(kind.label)))
            continue
        rows.append(
            CardLiability(
                kind.value,
                str(kind.label),
                r["n"],
                _d(r["paid"]),
                _d(r["bonus"]),
                r["sessions"],
                r["expired_n"],
                _d(r["expired_paid"]),
            )
        )
    return CardLiabilities(currency(), rows)


# ---------------------------------------------------------------- expenses and budgets


@dataclass
class ExpenseMonth:
    month: dt.date
    currency: str
    expenses: list[Expense]
    by_category: list[tuple[str, Decimal]]
    total: Decimal


def expenses_for(month: dt.date) -> ExpenseMonth:
    first, last = month_bounds(month)
    items = list(
        Expense.objects.filter(spent_on__gte=first, spent_on__lte=last).select_related("created_by")
    )
    per: dict[str, Decimal] = {}
    for e in items:
        per[e.category] = per.get(e.category, ZERO) + e.amount
    return ExpenseMonth(
        first,
        currency(),
        items,
        sorted(per.items(), key=lambda kv: (-kv[1], kv[0])),
        sum(per.values(), ZERO),
    )


def expense_categories() -> list[str]:
    return list(
        Expense.objects.order_by("category").values_list("category", flat=True).distinct()[:200]
    )


@dataclass
class BudgetRow:
    budget: Budget
    actual: Decimal

    @property
    def percent(self) -> Decimal | None:
        if not self.budget.amount:
            return None
        return (self.actual * 100 / self.budget.amount).quantize(Decimal("0.1"))

    @property
    def over(self) -> bool:
        """A spending limit passed (a revenue target passed is good news, not flagged)."""
        return self.budget.kind == BudgetKind.EXPENSE and self.actual > self.budget.amount

    @property
    def remaining(self) -> Decimal:
        return self.budget.amount - self.actual


@dataclass
class BudgetMonth:
    month: dt.date
    currency: str
    revenue: list[BudgetRow]
    expense: list[BudgetRow]
    revenue_actual: Decimal
    expense_actual: Decimal


def budgets_for(month: dt.date) -> BudgetMonth:
    """The month's targets and limits against what happened: three queries."""
    first, last = month_bounds(month)
    sales, sales_per = month_revenue_by_category(first)
    spent_per = {
        r["category"]: _d(r["s"])
        for r in Expense.objects.filter(spent_on__gte=first, spent_on__lte=last)
        .order_by()
        .values("category")
        .annotate(s=Sum("amount"))
    }
    spent = sum(spent_per.values(), ZERO)
    revenue_rows, expense_rows = [], []
    for budget in Budget.objects.filter(month=first):
        if budget.kind == BudgetKind.REVENUE:
            actual = sales_per.get(budget.category, ZERO) if budget.category else sales
            revenue_rows.append(BudgetRow(budget, actual))
        else:
            actual = spent_per.get(budget.category, ZERO) if budget.category else spent
            expense_rows.append(BudgetRow(budget, actual))
    return BudgetMonth(first, currency(), revenue_rows, expense_rows, sales, spent)
