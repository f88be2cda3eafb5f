"""The money reports: the daily closing (takings by method, refunds, voids, cards sold
against card spend, cash expected against counted), revenue by period, kind, service,
category and staff member, outstanding bills, money held on cards, expenses and budgets;
every figure the sum of its parts, days in the business's zone, .xlsx exports, roles,
tenant isolation and a constant number of queries. Data is made through the till's own
services (finance.bills), at chosen instants."""

from __future__ import annotations

import datetime as dt
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context
from openpyxl import load_workbook

from audit.models import AuditEntry
from finance import bills, budgets, reports
from finance.models import (
    Bill,
    BudgetKind,
    CardKind,
    CardProduct,
    CashCount,
    Expense,
    LineKind,
    PaymentMethod,
)
from tests.conftest import staff_member
from tests.factories import ClientFactory

# Friday 20 November 2026, 20:00 in Shanghai (tenant A's zone, UTC+8): the evening close.
EVENING = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock(EVENING)
DAY = dt.date(2026, 11, 20)
D = Decimal


def _utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def sale(actor, *, when, lines, payments=(), client=None, card=None) -> Bill:
    """A bill made, lined and paid at ``when`` (payments: (method, amount))."""
    with time_machine.travel(when, tick=False):
        bill = bills.bill_create(client=client, actor=actor)
        for values in lines:
            bills.line_add(bill=bill, actor=actor, **values)
        for method, amount in payments:
            bills.payment_take(
                bill=bill,
                actor=actor,
                method=method,
                amount=D(amount),
                card=card if method in reports.CARD_METHODS else None,
            )
        bill.refresh_from_db()
        return bill


def service_line(price, *, staff=None, category="", description="Facial") -> dict:
    return {
        "kind": LineKind.SERVICE,
        "description": description,
        "unit_price": D(price),
        "staff": staff,
        "category": category,
    }


def product_line(price, description="Serum") -> dict:
    return {"kind": LineKind.PRODUCT, "description": description, "unit_price": D(price)}


class Day:
    """Tenant A's Friday: what every figure below is checked against."""

    takings = {"cash": D("300"), "wechat": D("200"), "alipay": D("88"), "bank_card": D("1000")}
    takings_total = D("1588")
    card_spend = D("300")
    refunds = D("50")
    cash_expected = D("250")
    card_sales = D("1000")
    voids = (1, D("99"))
    # November's revenue: 500 + 88 + 1000 + 300 on the 20th, 120 on the 19th, 200 the 21st.
    month_total = D("2208")


@pytest.fixture
def day(cast, db):
    """The day's business in tenant A, each at an instant chosen around local midnight."""
    owner = staff_member(cast.tenant_a, cast.owner_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="林雅婷", mobile="13812345678")
        # 09:00: a facial by the doctor, split cash and WeChat; 18:00 cash 50 goes back.
        facial = sale(
            owner,
            when=_utc(20, 1),
            client=client,
            lines=[service_line("500", staff=doctor, category="Skin")],
            payments=[("cash", "300"), ("wechat", "200")],
        )
        cash = facial.payments.get(method="cash")
        with time_machine.travel(_utc(20, 10), tick=False):
            bills.refund_create(payment=cash, actor=owner, amount=D("50"), reason="Unhappy")
        # 00:30 local on the 20th (16:30 UTC the day before): in the day.
        sale(owner, when=_utc(19, 16, 30), lines=[product_line("88")], payments=[("alipay", "88")])
        # 23:59 local on the 19th and 00:00 local on the 21st: not in the day.
        sale(owner, when=_utc(19, 15, 59), lines=[service_line("120")], payments=[("cash", "120")])
        sale(owner, when=_utc(20, 16, 0), lines=[service_line("200")], payments=[("cash", "200")])
        # A stored-value card sold by bank card, then 300 of it spent on a service.
        product = CardProduct.objects.create(
            kind=CardKind.STORED_VALUE, name="Gold", price=D("1000"), bonus=D("100")
        )
        sale(
            owner,
            when=_utc(20, 3),
            client=client,
            lines=[
                {
                    "kind": LineKind.CARD,
                    "description": "Gold card",
                    "unit_price": D("1000"),
                    "card_product": product,
                }
            ],
            payments=[("bank_card", "1000")],
        )
        card = client.cards.get()
        sale(
            owner,
            when=_utc(20, 4),
            client=client,
            card=card,
            lines=[service_line("300", staff=doctor, category="Body", description="Massage")],
            payments=[("stored_value", "300")],
        )
        # A bill issued and voided the same day; a draft that counts nowhere.
        with time_machine.travel(_utc(20, 5), tick=False):
            wrong = bills.bill_create(client=None, actor=owner)
            bills.line_add(bill=wrong, actor=owner, **product_line("99"))
            bills.bill_issue(bill=wrong, actor=owner)
            bills.bill_void(bill=wrong, actor=owner, reason="Typed twice")
            draft = bills.bill_create(client=None, actor=owner)
            bills.line_add(bill=draft, actor=owner, **product_line("77"))
    return {"client": client, "owner": owner, "doctor": doctor, "card": card}


def _sum(rows) -> Decimal:
    return sum((r.amount for r in rows), D(0))


# --- the daily closing ---------------------------------------------------------------------


def test_the_closing_counts_the_business_day_from_local_midnight_and_each_total_is_its_parts(
    cast, day
):
    with tenant_context(cast.tenant_a):
        report = reports.daily_closing(DAY)
    # then the takings are the day's payments by method (the 23:59 and 00:00 ones left out)
    assert {r.method: r.amount for r in report.takings} == Day.takings
    assert report.takings_total == Day.takings_total == _sum(report.takings)
    assert {r.method: r.amount for r in report.card_spend} == {"stored_value": Day.card_spend}
    assert report.card_spend_total == _sum(report.card_spend)
    assert report.refunds_total == Day.refunds == _sum(report.refunds)
    assert report.net_takings == report.takings_total - report.refunds_total
    assert (report.voids_count, report.voids_amount) == Day.voids
    assert report.card_sales == Day.card_sales and report.card_top_ups == 0
    assert report.card_sold_total == report.card_sales + report.card_top_ups
    assert report.cash_in == Day.takings["cash"] and report.cash_refunded == D("50")
    assert report.cash_expected == report.cash_in - report.cash_refunded == Day.cash_expected
    assert sum(r.count for r in report.takings) == 4
    # and the neighbouring days hold the payments at their edges
    with tenant_context(cast.tenant_a):
        before, after = (
            reports.daily_closing(DAY - dt.timedelta(1)),
            reports.daily_closing(DAY + dt.timedelta(1)),
        )
    assert before.takings_total == D("120") and after.takings_total == D("200")


def test_a_cash_count_is_kept_against_what_was_expected_and_the_closing_shows_the_shortfall(
    cast, day, owner_a
):
    # when the owner counts 240 in the drawer
    response = owner_a.post(
        "/till/reports/cash-count/",
        {"day": DAY.isoformat(), "counted": "240.00", "note": "coins short", "from": "closing"},
    )
    # then the count is kept with what the till expected, audited, and the page shows -10
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        count = CashCount.objects.get()
        assert (count.day, count.expected, count.counted) == (DAY, D("250.00"), D("240.00"))
        assert count.difference == D("-10.00")
        assert AuditEntry.objects.filter(object_type="cash_count", object_id=count.pk).exists()
    page = owner_a.get(response["Location"]).content.decode()
    assert "CNY\u00a0240.00" in page and "-CNY\u00a010.00" in page and "Short" in page
    # and a second count replaces the one shown, both kept
    owner_a.post("/till/reports/cash-count/", {"day": DAY.isoformat(), "counted": "250"})
    with tenant_context(cast.tenant_a):
        assert CashCount.objects.count() == 2
        assert reports.daily_closing(DAY).cash_difference == 0


def test_a_count_of_a_day_to_come_or_a_negative_amount_is_refused(cast, day):
    with tenant_context(cast.tenant_a):
        with pytest.raises(ValidationError) as future:
            budgets.cash_count_record(day=DAY + dt.timedelta(1), counted=D("1"), actor=day["owner"])
        with pytest.raises(ValidationError) as negative:
            budgets.cash_count_record(day=DAY, counted=D("-1"), actor=day["owner"])
        assert "day" in future.value.error_dict and "counted" in negative.value.error_dict
        assert not CashCount.objects.exists()


def test_the_front_desk_counts_the_drawer_blind_and_cannot_open_the_reports(
    cast, day, front_desk_a
):
    # the reports answer 403 to the front desk, exports included
    for url in (
        "/till/reports/",
        "/till/reports/?format=xlsx",
        "/till/reports/revenue/",
        "/till/reports/outstanding/",
        "/till/reports/cards/",
        "/till/reports/expenses/",
        "/till/reports/budgets/",
    ):
        assert front_desk_a.get(url).status_code == 403, url
    # but the count page opens without the expected figure, and the count is recorded
    page = front_desk_a.get("/till/reports/cash-count/")
    assert page.status_code == 200 and "250.00" not in page.content.decode()
    response = front_desk_a.post(
        "/till/reports/cash-count/", {"day": DAY.isoformat(), "counted": "250"}
    )
    assert response.status_code == 302 and "/till/reports/cash-count/" in response["Location"]
    with tenant_context(cast.tenant_a):
        assert CashCount.objects.get().counted_by.email == cast.front_desk_a


def test_the_closing_page_and_its_export_hold_the_days_figures(cast, day, owner_a):
    page = owner_a.get(f"/till/reports/?day={DAY.isoformat()}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "CNY\u00a01,588.00" in html and "CNY\u00a0250.00" in html
    assert 'id="chart-takings"' in html and "vendor/chartjs/chart.umd.min.js" in html
    # the export: numeric cells with a money format
    response = owner_a.get(f"/till/reports/?day={DAY.isoformat()}&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _rows(response)
    assert _cell(rows, "Cash")[2] == D("300") and _cell(rows, "WeChat Pay")[2] == D("200")
    assert _cell(rows, "Total")[2] == Day.takings_total
    assert _cell(rows, "Cash expected")[2] == Day.cash_expected
    assert _cell(rows, "Voided bills")[1:] == [1, D("99")]
    sheet = load_workbook(io.BytesIO(response.content)).active
    money_cells = [c for row in sheet.iter_rows() for c in row if c.number_format == "#,##0.00"]
    assert money_cells and all(c.data_type == "n" for c in money_cells)


def _rows(response, sheet=None) -> list[list]:
    book = load_workbook(io.BytesIO(response.content))
    ws = book[sheet] if sheet else book.active
    return [
        [D(str(v)) if isinstance(v, float | int) and not isinstance(v, bool) else v for v in row]
        for row in ws.iter_rows(values_only=True)
    ]


def _cell(rows, label) -> list:
    return next(r for r in rows if r and r[0] == label)


# --- revenue -------------------------------------------------------------------------------


def test_revenue_by_day_kind_service_category_and_staff_each_add_up_to_the_total(cast, day):
    with tenant_context(cast.tenant_a):
        report = reports.revenue(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "day")
    total = report.total
    # then void and draft bills are left out; each way of cutting it sums to the total
    assert total.net == Day.month_total
    for rows in (report.periods, report.by_kind, report.by_service, report.by_category):
        assert sum((r.net for r in rows), D(0)) == total.net
    assert sum((r.net for r in report.by_staff), D(0)) == total.net
    assert sum(r.lines for r in report.by_kind) == total.lines == 6
    by_day = {p.key: p.net for p in report.periods}
    assert by_day[DAY] == D("1888") and by_day[DAY - dt.timedelta(1)] == D("120")
    assert by_day[DAY + dt.timedelta(1)] == D("200") and len(report.periods) == 30
    assert {r.key: r.net for r in report.by_kind} == {
        "service": D("1120"),
        "product": D("88"),
        "card": D("1000"),
    }
    assert {r.label: r.net for r in report.by_category}["Skin"] == D("500")
    doctor = {r.label: r.net for r in report.by_staff}["Dr. Pat Practitioner"]
    assert doctor == D("800")
    # bills, refunds and the average ticket
    assert total.bills == 6 == sum(p.bills for p in report.periods)
    assert total.refunds == D("50") and total.net_revenue == Day.month_total - D("50")
    assert total.average_ticket == D("368.00")


def test_revenue_by_week_and_month_keeps_the_same_total(cast, day):
    with tenant_context(cast.tenant_a):
        weeks = reports.revenue(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "week")
        months = reports.revenue(dt.date(2026, 10, 1), dt.date(2026, 12, 31), "month")
    assert weeks.periods[0].key == dt.date(2026, 10, 26)  # the Monday of the 1st's week
    assert sum((p.net for p in weeks.periods), D(0)) == Day.month_total
    assert [p.net for p in months.periods] == [D(0), Day.month_total, D(0)]


def test_the_revenue_page_and_export(cast, day, owner_a):
    page = owner_a.get("/till/reports/revenue/?start=2026-11-01&end=2026-11-30&by=day")
    html = page.content.decode()
    assert page.status_code == 200 and "CNY\u00a02,208.00" in html
    assert 'id="chart-revenue"' in html and "Dr. Pat Practitioner" in html
    response = owner_a.get("/till/reports/revenue/?start=2026-11-01&end=2026-11-30&format=xlsx")
    rows = _rows(response)
    assert _cell(rows, "Total")[1:6] == [6, Day.month_total, D(0), D("50"), D("2158")]
    by_staff = _rows(response, "By staff member")
    assert _cell(by_staff, "Dr. Pat Practitioner")[2] == D("800")
    # a range the wrong way round is refused beside the field
    bad = owner_a.get("/till/reports/revenue/?start=2026-11-30&end=2026-11-01")
    assert "The end must not be before the start." in bad.content.decode()


# --- outstanding bills and cards -----------------------------------------------------------


def test_outstanding_bills_are_oldest_first_with_their_age_and_the_total_due(cast, day, owner_a):
    owner = day["owner"]
    with tenant_context(cast.tenant_a):
        old = sale(owner, when=_utc(2, 2), client=day["client"], lines=[service_line("400")])
        with time_machine.travel(_utc(2, 2), tick=False):
            bills.bill_issue(bill=old, actor=owner)
        part = sale(
            owner, when=_utc(15, 2), lines=[service_line("300")], payments=[("cash", "100")]
        )
        report = reports.outstanding()
    assert [b.pk for b in report.bills] == [old.pk, part.pk]
    assert [b.due for b in report.bills] == [D("400"), D("200")]
    assert [b.age_days for b in report.bills] == [18, 5]
    assert report.total_due == D("600") == sum((b.due for b in report.bills), D(0))
    html = owner_a.get("/till/reports/outstanding/").content.decode()
    assert "林雅婷" in html and "18 days" in html
    rows = _rows(owner_a.get("/till/reports/outstanding/?format=xlsx"))
    assert _cell(rows, "Total")[5] == D("600")


def test_money_held_on_cards_is_the_paid_and_bonus_parts_left(cast, day, owner_a):
    with tenant_context(cast.tenant_a):
        report = reports.card_liabilities()
        card = day["card"]
        card.refresh_from_db()
    stored = next(r for r in report.rows if r.kind == "stored_value")
    # 1,000 paid + 100 bonus, 300 spent: 800 left, split between the parts
    assert stored.cards == 1 and stored.held == D("800")
    assert (stored.paid, stored.bonus) == (card.paid_balance, card.bonus_balance)
    assert report.held == report.paid + report.bonus == sum((r.held for r in report.rows), D(0))
    rows = _rows(owner_a.get("/till/reports/cards/?format=xlsx"))
    assert _cell(rows, "Stored-value card")[4] == D("800")


# --- expenses and budgets ------------------------------------------------------------------


def test_expenses_and_budgets_set_against_the_months_actual(cast, day, owner_a):
    # when the owner records two expenses and sets a target and a limit
    response = owner_a.post(
        "/till/reports/expenses/",
        {"spent_on": "2026-11-05", "category": "Rent", "amount": "5000", "method": "transfer"},
    )
    assert response.status_code == 302
    owner_a.post(
        "/till/reports/expenses/", {"spent_on": "2026-11-18", "category": "Stock", "amount": "1200"}
    )
    owner_a.post(
        "/till/reports/budgets/", {"month": "2026-11", "kind": "revenue", "amount": "4000"}
    )
    owner_a.post(
        "/till/reports/budgets/",
        {"month": "2026-11", "kind": "expense", "category": "Stock", "amount": "1000"},
    )
    with tenant_context(cast.tenant_a):
        month = reports.budgets_for(DAY)
        spent = reports.expenses_for(DAY)
        assert AuditEntry.objects.filter(object_type="expense").count() == 2
        assert AuditEntry.objects.filter(object_type="budget").count() == 2
    # then the target is 55.2 % reached and the stock limit is passed
    (target,) = month.revenue
    (limit,) = month.expense
    assert (target.actual, target.percent, target.over) == (Day.month_total, D("55.2"), False)
    assert (limit.actual, limit.percent, limit.over) == (D("1200"), D("120.0"), True)
    assert spent.total == D("6200") == sum((a for _c, a in spent.by_category), D(0))
    page = owner_a.get("/till/reports/budgets/?month=2026-11").content.decode()
    assert "Over the limit" in page and "55.2" in page
    rows = _rows(owner_a.get("/till/reports/budgets/?month=2026-11&format=xlsx"))
    assert _cell(rows, "Revenue target")[2:6] == [D("4000"), Day.month_total, D("1792"), D("55.2")]
    exp = _rows(owner_a.get("/till/reports/expenses/?month=2026-11&format=xlsx"))
    assert _cell(exp, "Total")[2] == D("6200")
    # and an empty amount takes a budget away
    owner_a.post(
        "/till/reports/budgets/",
        {"month": "2026-11", "kind": "expense", "category": "Stock", "amount": ""},
    )
    with tenant_context(cast.tenant_a):
        assert reports.budgets_for(DAY).expense == []


def test_an_expense_can_be_corrected_and_deleted_and_bad_input_writes_nothing(cast, owner_a):
    owner_a.post(
        "/till/reports/expenses/", {"spent_on": "2026-11-05", "category": "Rent", "amount": "50"}
    )
    with tenant_context(cast.tenant_a):
        expense = Expense.objects.get()
    bad = owner_a.post(
        "/till/reports/expenses/", {"spent_on": "2026-11-05", "category": "Rent", "amount": "-1"}
    )
    assert bad.status_code == 400
    owner_a.post(
        f"/till/reports/expenses/{expense.pk}/",
        {"spent_on": "2026-11-06", "category": "Rent", "amount": "5000"},
    )
    with tenant_context(cast.tenant_a):
        expense.refresh_from_db()
        assert (expense.spent_on, expense.amount, Expense.objects.count()) == (
            dt.date(2026, 11, 6),
            D("5000.00"),
            1,
        )
    owner_a.post(f"/till/reports/expenses/{expense.pk}/delete/")
    with tenant_context(cast.tenant_a):
        assert not Expense.objects.exists()


def test_budget_service_refuses_an_unknown_kind(cast, day):
    with tenant_context(cast.tenant_a), pytest.raises(ValidationError):
        budgets.budget_set(actor=day["owner"], month=DAY, kind="profit", amount=D("1"))
    assert BudgetKind.REVENUE == "revenue"


# --- isolation, queries, language, navigation ----------------------------------------------


def test_tenant_b_sees_none_of_tenant_as_money(cast, day, owner_a, owner_b):
    owner_a.post(
        "/till/reports/expenses/", {"spent_on": "2026-11-05", "category": "Rent", "amount": "50"}
    )
    with tenant_context(cast.tenant_a):
        expense = Expense.objects.get()
    closing = owner_b.get(f"/till/reports/?day={DAY.isoformat()}").content.decode()
    assert "1,588.00" not in closing and "GBP\u00a00.00" in closing
    revenue = owner_b.get("/till/reports/revenue/?start=2026-11-01&end=2026-11-30").content
    assert "2,208.00" not in revenue.decode() and "Dr. Pat" not in revenue.decode()
    assert "林雅婷" not in owner_b.get("/till/reports/outstanding/").content.decode()
    rows = _rows(owner_b.get(f"/till/reports/?day={DAY.isoformat()}&format=xlsx"))
    assert _cell(rows, "Total")[2] == 0
    cards = _rows(owner_b.get("/till/reports/cards/?format=xlsx"))
    assert _cell(cards, "Total")[1:5] == [0, 0, 0, 0]
    assert owner_b.get(f"/till/reports/expenses/{expense.pk}/").status_code == 404
    assert owner_b.post(f"/till/reports/expenses/{expense.pk}/delete/").status_code == 404
    with tenant_context(cast.tenant_a):
        assert Expense.objects.filter(pk=expense.pk).exists()


@pytest.mark.parametrize(
    "url",
    [
        f"/till/reports/?day={DAY.isoformat()}",
        "/till/reports/revenue/?start=2026-11-01&end=2026-11-30",
        "/till/reports/outstanding/",
        "/till/reports/cards/",
        "/till/reports/expenses/?month=2026-11",
        "/till/reports/budgets/?month=2026-11",
        "/",
    ],
)
def test_report_pages_keep_a_constant_number_of_queries_as_bills_grow(
    cast, day, owner_a, url, django_assert_max_num_queries
):
    owner_a.get(url)  # warm the session and the tenant's caches
    with django_assert_max_num_queries(60) as few:
        assert owner_a.get(url).status_code == 200
    owner = day["owner"]
    with tenant_context(cast.tenant_a):
        for i in range(8):
            who = ClientFactory(tenant=cast.tenant_a, name=f"客户{i}")
            sale(
                owner,
                when=_utc(20, 2, i),
                client=who,
                lines=[service_line("10", staff=day["doctor"], category=f"C{i}")],
                payments=[("cash", "5")],
            )
            budgets.expense_create(actor=owner, spent_on=DAY, category=f"E{i}", amount=D("1"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert owner_a.get(url).status_code == 200


def test_the_reports_render_in_chinese(cast, day, owner_a):
    from accounts.models import User

    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.owner_a).update(language="zh-hans")
    closing = owner_a.get(f"/till/reports/?day={DAY.isoformat()}").content.decode()
    assert "日结" in closing and "现金" in closing and "CNY\u00a01,588.00" in closing
    assert "营业额" in owner_a.get("/till/reports/revenue/").content.decode()
    assert "未结账单" in owner_a.get("/till/reports/outstanding/").content.decode()
    assert "储值卡" in owner_a.get("/till/reports/cards/").content.decode()
    assert "支出" in owner_a.get("/till/reports/expenses/").content.decode()
    assert "预算" in owner_a.get("/till/reports/budgets/").content.decode()
    response = owner_a.get(f"/till/reports/?day={DAY.isoformat()}&format=xlsx")
    assert _cell(_rows(response), "合计")[2] == Day.takings_total


def test_the_menu_and_the_dashboard_show_the_reports_to_the_owner_only(
    cast, day, owner_a, front_desk_a
):
    dashboard = owner_a.get("/").content.decode()
    assert 'href="/till/reports/"' in dashboard and 'id="todays-takings"' in dashboard
    # Today (the 20th, frozen at 20:00 local): 1,588 taken, the 00:00-on-the-21st one not.
    assert "CNY\u00a01,588.00" in dashboard
    desk = front_desk_a.get("/").content.decode()
    assert 'href="/till/reports/"' not in desk and 'id="todays-takings"' not in desk


def test_money_in_the_reports_is_never_a_float(cast, day):
    with tenant_context(cast.tenant_a):
        closing = reports.daily_closing(DAY)
        revenue = reports.revenue(DAY, DAY)
    values = [closing.takings_total, closing.cash_expected, revenue.total.net]
    values += [r.amount for r in closing.takings] + [p.net for p in revenue.periods]
    assert all(isinstance(v, Decimal) for v in values)
    assert PaymentMethod.CASH in [r.method for r in closing.takings]
