"""The money reports under /till/reports/: the daily closing with the cash count, revenue,
outstanding bills, money held on cards, expenses and budgets. Every page needs
``finance.view`` (owner, manager) except the cash count itself, which whoever takes
payments may record (without seeing what the till expects: a blind count). Each page
exports to .xlsx with ``?format=xlsx``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from core.forms import add_service_errors
from finance import budgets, reports, xlsx
from finance.models import Expense
from finance.report_forms import (
    BudgetForm,
    CashCountForm,
    DayForm,
    ExpenseForm,
    RangeForm,
    month_of,
)
from portal.mixins import CapabilityRequiredMixin

T = "finance/reports/"


def _xlsx(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=xlsx.XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


def _wants_xlsx(request) -> bool:
    return request.GET.get("format") == "xlsx"


def _day(request) -> dt.date:
    form = DayForm(request.GET)
    if request.GET.get("day") and form.is_valid():
        return form.cleaned_data["day"]
    return reports.today()


def _shift_month(month: dt.date, by: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


class ReportView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_FINANCE
    tab = ""

    def page(self, request, template: str, context: dict, status: int = 200):
        context = {"tab": self.tab, **context}
        return render(request, T + template, context, status=status)


class ClosingView(ReportView):
    tab = "closing"

    def get(self, request):
        return self.show(request, _day(request), CashCountForm())

    def show(self, request, day: dt.date, form, status: int = 200):
        report = reports.daily_closing(day)
        if _wants_xlsx(request):
            return _xlsx(xlsx.closing(report), f"closing-{day.isoformat()}")
        chart = {
            "labels": [r.label for r in report.takings],
            "values": [r.amount for r in report.takings],
            "currency": report.currency,
        }
        context = {
            "report": report,
            "day": day,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1) if day < reports.today() else None,
            "form": form,
            "chart": chart,
            "can_count": request.user.can(Capability.TAKE_PAYMENTS) and day <= reports.today(),
        }
        return self.page(request, "closing.html", context, status)


class CashCountView(CapabilityRequiredMixin, View):
    """Record the drawer's count. Those who see the reports go back to the closing with
    the difference; the front desk gets a plain confirmation (a blind count)."""

    capability = Capability.TAKE_PAYMENTS

    def get(self, request):
        return self._page(request, _day(request), CashCountForm())

    def _page(self, request, day, form, status=200):
        context = {"day": day, "form": form, "latest": None}
        return render(request, T + "cash_count.html", context, status=status)

    def post(self, request):
        day = _day_from_post(request)
        form = CashCountForm(request.POST)
        if form.is_valid():
            try:
                budgets.cash_count_record(
                    day=day,
                    counted=form.cleaned_data["counted"],
                    note=form.cleaned_data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Cash count recorded."))
                if request.user.can(Capability.VIEW_FINANCE):
                    return redirect(_url("finance:report_closing", day=day.isoformat()))
                return redirect(_url("finance:cash_count", day=day.isoformat()))
        if request.user.can(Capability.VIEW_FINANCE) and request.POST.get("from") == "closing":
            return ClosingView().show(request, day, form, status=400)
        return self._page(request, day, form, status=400)


def _day_from_post(request) -> dt.date:
    form = DayForm(request.POST)
    return form.cleaned_data["day"] if form.is_valid() else reports.today()


def _url(name: str, **query) -> str:
    return f"{reverse(name)}?{urlencode(query)}" if query else reverse(name)


class RevenueView(ReportView):
    tab = "revenue"

    def get(self, request):
        today = reports.today()
        default_start, default_end = reports.month_bounds(today)
        form = RangeForm(request.GET if request.GET.get("start") else None)
        if form.is_bound and form.is_valid():
            start, end, unit = (form.cleaned_data[k] for k in ("start", "end", "by"))
        else:
            start, end, unit = default_start, default_end, request.GET.get("by") or "day"
            if not form.is_bound:
                form = RangeForm(initial={"start": start, "end": end, "by": unit})
        report = reports.revenue(start, end, unit)
        if _wants_xlsx(request):
            return _xlsx(xlsx.revenue(report), f"revenue-{start.isoformat()}-{end.isoformat()}")
        chart = {
            "labels": [p.label for p in report.periods],
            "values": [p.net for p in report.periods],
            "currency": report.currency,
        }
        query = urlencode({"start": start.isoformat(), "end": end.isoformat(), "by": report.unit})
        context = {"report": report, "form": form, "chart": chart, "query": query}
        return self.page(request, "revenue.html", context)


class OutstandingView(ReportView):
    tab = "outstanding"

    def get(self, request):
        report = reports.outstanding()
        if _wants_xlsx(request):
            return _xlsx(xlsx.outstanding(report), "outstanding-bills")
        return self.page(request, "outstanding.html", {"report": report})


class CardsView(ReportView):
    tab = "cards"

    def get(self, request):
        report = reports.card_liabilities()
        if _wants_xlsx(request):
            return _xlsx(xlsx.cards(report), "cards")
        return self.page(request, "cards.html", {"report": report})


def _expense_kwargs(data: dict) -> dict:
    return {k: data[k] for k in ("spent_on", "category", "amount", "method", "payee", "note")}


class ExpensesView(ReportView):
    tab = "expenses"

    def get(self, request):
        month = month_of(request.GET.get("month"), reports.today())
        form = ExpenseForm(initial={"spent_on": _default_day(month)})
        return self.show(request, month, form)

    def show(self, request, month, form, status=200):
        report = reports.expenses_for(month)
        if _wants_xlsx(request):
            return _xlsx(xlsx.expenses(report), f"expenses-{month:%Y-%m}")
        context = {
            "report": report,
            "form": form,
            "month": month,
            "previous": _shift_month(month, -1),
            "next": _shift_month(month, 1),
            "categories": reports.expense_categories(),
        }
        return self.page(request, "expenses.html", context, status)

    def post(self, request):
        form = ExpenseForm(request.POST)
        month = month_of(request.GET.get("month"), reports.today())
        if form.is_valid():
            try:
                expense = budgets.expense_create(
                    actor=request.user, **_expense_kwargs(form.cleaned_data)
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Expense recorded."))
                return redirect(_url("finance:expenses", month=f"{expense.spent_on:%Y-%m}"))
        return self.show(request, month, form, status=400)


def _default_day(month: dt.date) -> dt.date:
    today = reports.today()
    return today if (today.year, today.month) == (month.year, month.month) else month


class ExpenseEditView(ReportView):
    tab = "expenses"

    def get(self, request, pk: int):
        expense = get_object_or_404(Expense, pk=pk)
        form = ExpenseForm(initial={f: getattr(expense, f) for f in ExpenseForm.base_fields})
        return self.page(request, "expense_edit.html", {"expense": expense, "form": form})

    def post(self, request, pk: int):
        expense = get_object_or_404(Expense, pk=pk)
        form = ExpenseForm(request.POST)
        if form.is_valid():
            try:
                budgets.expense_update(
                    expense=expense, actor=request.user, **_expense_kwargs(form.cleaned_data)
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Expense saved."))
                return redirect(_url("finance:expenses", month=f"{expense.spent_on:%Y-%m}"))
        context = {"expense": expense, "form": form}
        return self.page(request, "expense_edit.html", context, status=400)


class ExpenseDeleteView(ReportView):
    def post(self, request, pk: int):
        expense = get_object_or_404(Expense, pk=pk)
        month = f"{expense.spent_on:%Y-%m}"
        budgets.expense_delete(expense=expense, actor=request.user)
        messages.success(request, _("Expense deleted."))
        return redirect(_url("finance:expenses", month=month))


class BudgetsView(ReportView):
    tab = "budgets"

    def get(self, request):
        month = month_of(request.GET.get("month"), reports.today())
        return self.show(request, month, BudgetForm())

    def show(self, request, month, form, status=200):
        report = reports.budgets_for(month)
        if _wants_xlsx(request):
            return _xlsx(xlsx.budgets(report), f"budgets-{month:%Y-%m}")
        context = {
            "report": report,
            "form": form,
            "month": month,
            "previous": _shift_month(month, -1),
            "next": _shift_month(month, 1),
            "sections": [
                (_("Revenue targets"), report.revenue, report.revenue_actual),
                (_("Spending limits"), report.expense, report.expense_actual),
            ],
        }
        return self.page(request, "budgets.html", context, status)

    def post(self, request):
        month = month_of(request.POST.get("month"), reports.today())
        form = BudgetForm(request.POST)
        if form.is_valid():
            try:
                budgets.budget_set(
                    actor=request.user,
                    month=month,
                    kind=form.cleaned_data["kind"],
                    category=form.cleaned_data["category"],
                    amount=form.cleaned_data["amount"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Budget saved."))
                return redirect(_url("finance:budgets", month=f"{month:%Y-%m}"))
        return self.show(request, month, form, status=400)


def takings_widget_context(request) -> dict:
    """The dashboard's "Today's takings" (one query)."""
    amount, count = reports.takings_today()
    return {"amount": amount, "count": count, "currency": reports.currency()}
