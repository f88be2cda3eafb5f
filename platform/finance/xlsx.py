"""The reports as .xlsx workbooks. Amounts are numeric cells (``Decimal`` handed to
openpyxl as is, never a float made here) with a number format of the currency's minor
unit; counts are integers; dates are date cells. Headers are in the user's language.
Text typed by people (a client's name, a category) is made inert first: openpyxl would
store a string starting with "=" as a formula."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from finance import reports
from imports.export import inert

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _money_format(currency: str) -> str:
    try:
        from finance.money import minor_unit

        places = minor_unit(currency)
    except ImportError:
        places = 0 if currency == "JPY" else 2
    return "#,##0" if places == 0 else "#,##0." + "0" * places


class Sheet:
    """One sheet: a bold header row, then rows whose money columns get the format."""

    def __init__(self, book: Workbook, title: str, currency: str, *, first: bool = False):
        self.ws = book.active if first else book.create_sheet()
        self.ws.title = _title(title)
        self.money = _money_format(currency)
        self.row = 0

    def header(self, *titles: str) -> None:
        self.add([str(t) for t in titles], bold=True)

    def add(self, values: Sequence, *, money: Iterable[int] = (), bold=False) -> None:
        self.row += 1
        money = set(money)
        for col, value in enumerate(values, start=1):
            cell = self.ws.cell(row=self.row, column=col, value=inert(value))
            if col - 1 in money:
                cell.number_format = self.money
            elif hasattr(value, "isoformat") and not isinstance(value, str):
                cell.number_format = "yyyy-mm-dd"
            if bold:
                cell.font = Font(bold=True)

    def blank(self) -> None:
        self.row += 1


def _title(text: str) -> str:
    for bad in "[]:*?/\\":
        text = text.replace(bad, " ")
    return text[:31] or "-"


def _bytes(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def closing(report: reports.DailyClosing) -> bytes:
    book = Workbook()
    s = Sheet(book, _("Daily closing"), report.currency, first=True)
    s.add([_("Day"), report.day], bold=True)
    s.blank()
    s.header(_("Takings"), _("Payments"), _("Amount"))
    for r in report.takings:
        s.add([r.label, r.count, r.amount], money=[2])
    s.add([_("Total"), sum(r.count for r in report.takings), report.takings_total], money=[2])
    s.blank()
    s.header(_("Refunds"), _("Refunds"), _("Amount"))
    for r in report.refunds:
        s.add([r.label, r.count, r.amount], money=[2])
    s.add([_("Total"), sum(r.count for r in report.refunds), report.refunds_total], money=[2])
    s.add([_("Net takings"), "", report.net_takings], money=[2])
    s.blank()
    s.header(_("Cards"), "", _("Amount"))
    s.add([_("Cards, packages and memberships sold"), "", report.card_sales], money=[2])
    s.add([_("Card top-ups"), "", report.card_top_ups], money=[2])
    for r in report.card_spend:
        s.add([r.label, r.count, r.amount], money=[2])
    s.add([_("Card spend"), "", report.card_spend_total], money=[2])
    s.blank()
    s.header(_("Voids"), _("Bills"), _("Amount"))
    s.add([_("Voided bills"), report.voids_count, report.voids_amount], money=[2])
    s.blank()
    s.header(_("Cash drawer"), "", _("Amount"))
    s.add([_("Cash taken"), "", report.cash_in], money=[2])
    s.add([_("Cash refunded"), "", report.cash_refunded], money=[2])
    s.add([_("Cash expected"), "", report.cash_expected], money=[2])
    if report.count is not None:
        s.add([_("Cash counted"), "", report.count.counted], money=[2])
        s.add([_("Difference"), "", report.cash_difference], money=[2])
    return _bytes(book)


def _revenue_rows(s: Sheet, rows, title: str) -> None:
    s.header(title, _("Lines"), _("Revenue"), _("Tax added"))
    for r in rows:
        s.add([r.label, r.lines, r.net, r.tax], money=[2, 3])


def revenue(report: reports.Revenue) -> bytes:
    book = Workbook()
    s = Sheet(book, _("Revenue"), report.currency, first=True)
    s.add([_("From"), report.start, _("To"), report.end], bold=True)
    s.blank()
    s.header(
        _("Period"),
        _("Bills"),
        _("Revenue"),
        _("Tax added"),
        _("Refunds"),
        _("Net revenue"),
        _("Average ticket"),
    )
    for r in [*report.periods, report.total]:
        s.add(
            [r.key or r.label, r.bills, r.net, r.tax, r.refunds, r.net_revenue, r.average_ticket],
            money=[2, 3, 4, 5, 6],
        )
    for title, rows, head in (
        (_("By kind"), report.by_kind, _("Kind")),
        (_("By service"), report.by_service, _("Service")),
        (_("By category"), report.by_category, _("Category")),
        (_("By staff member"), report.by_staff, _("Staff member")),
    ):
        sheet = Sheet(book, title, report.currency)
        _revenue_rows(sheet, rows, head)
        sheet.add(
            [_("Total"), report.total.lines, report.total.net, report.total.tax], money=[2, 3]
        )
    return _bytes(book)


def outstanding(report: reports.Outstanding) -> bytes:
    book = Workbook()
    s = Sheet(book, _("Outstanding bills"), report.currency, first=True)
    s.header(
        _("Bill"),
        _("Issued"),
        _("Client"),
        _("Total"),
        _("Paid so far"),
        _("Amount due"),
        _("Days open"),
    )
    for b in report.bills:
        s.add(
            [
                b.number,
                b.issued_at.astimezone(reports.tenant_zone()).date() if b.issued_at else None,
                b.client.name if b.client_id else "",
                b.total,
                b.paid_total - b.refunded_total,
                b.due,
                b.age_days,
            ],
            money=[3, 4, 5],
        )
    s.add([_("Total"), report.count, "", "", "", report.total_due], money=[5], bold=True)
    return _bytes(book)


def cards(report: reports.CardLiabilities) -> bytes:
    book = Workbook()
    s = Sheet(book, _("Money held on cards"), report.currency, first=True)
    s.header(
        _("Kind"),
        _("Active cards"),
        _("Paid in"),
        _("Bonus"),
        _("Held"),
        _("Sessions left"),
        _("Expired cards"),
        _("Paid in on expired cards"),
    )
    for r in report.rows:
        s.add(
            [
                r.label,
                r.cards,
                r.paid,
                r.bonus,
                r.held,
                r.sessions,
                r.expired_cards,
                r.expired_paid,
            ],
            money=[2, 3, 4, 7],
        )
    s.add(
        [_("Total"), report.cards, report.paid, report.bonus, report.held, report.sessions],
        money=[2, 3, 4],
        bold=True,
    )
    return _bytes(book)


def expenses(report: reports.ExpenseMonth) -> bytes:
    book = Workbook()
    s = Sheet(book, _("Expenses"), report.currency, first=True)
    s.header(_("Date"), _("Category"), _("Amount"), _("Paid by"), _("Paid to"), _("Note"))
    for e in report.expenses:
        s.add(
            [
                e.spent_on,
                e.category,
                e.amount,
                str(e.get_method_display()) if e.method else "",
                e.payee,
                e.note,
            ],
            money=[2],
        )
    s.add([_("Total"), "", report.total], money=[2], bold=True)
    t = Sheet(book, _("By category"), report.currency)
    t.header(_("Category"), _("Amount"))
    for category, amount in report.by_category:
        t.add([category, amount], money=[1])
    t.add([_("Total"), report.total], money=[1], bold=True)
    return _bytes(book)


def budgets(report: reports.BudgetMonth) -> bytes:
    book = Workbook()
    s = Sheet(book, _("Budgets"), report.currency, first=True)
    s.header(_("Kind"), _("Category"), _("Budget"), _("Actual"), _("Remaining"), _("% reached"))
    for r in [*report.revenue, *report.expense]:
        s.add(
            [
                str(r.budget.get_kind_display()),
                r.budget.category or _("Whole business"),
                r.budget.amount,
                r.actual,
                r.remaining,
                r.percent,
            ],
            money=[2, 3, 4],
        )
    s.blank()
    s.add([_("Revenue this month"), "", "", report.revenue_actual], money=[3])
    s.add([_("Expenses this month"), "", "", report.expense_actual], money=[3])
    return _bytes(book)
