"""Writes behind the owner's reports: expenses (money out), the month's budgets (revenue
targets, spending limits) and the evening cash count. Each write is atomic, validated
(``full_clean``; refusals are translated ValidationErrors keyed by field) and recorded in
the audit trail. Amounts are in the business's currency, rounded to its minor unit."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from audit.models import Action
from finance import reports
from finance.models import Budget, BudgetKind, CashCount, Expense

EXPENSE_FIELDS = ("spent_on", "category", "amount", "currency", "method", "payee", "note")
BUDGET_FIELDS = ("month", "kind", "category", "amount", "currency")
COUNT_FIELDS = ("day", "currency", "expected", "counted", "note")


def _minor_unit(currency: str) -> int:
    try:
        from finance.money import minor_unit
    except ImportError:  # before the money module exists
        return 0 if currency == "JPY" else 2
    return minor_unit(currency)


def _amount(value, *, field: str, currency: str) -> Decimal:
    """A money amount as typed: a Decimal not below zero, rounded half-up to the
    currency's minor unit (a float is never accepted: it is not an exact amount)."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter an amount.")}, code="invalid") from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter an amount.")}, code="invalid")
    if amount < 0:
        raise ValidationError({field: _("The amount cannot be negative.")}, code="negative")
    step = Decimal(1).scaleb(-_minor_unit(currency))
    return amount.quantize(step, rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def _fields(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


def _record(action, actor, object_type, pk, before, after) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=pk,
        client_id=None,
        before=before,
        after=after,
    )


# ---------------------------------------------------------------- expenses


def _clean_category(value: str, field: str = "category") -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationError({field: _("Name a category.")}, code="required")
    return value


@transaction.atomic
def expense_create(
    *,
    actor,
    spent_on: dt.date,
    category: str,
    amount,
    method: str = "",
    payee: str = "",
    note: str = "",
) -> Expense:
    currency = reports.currency()
    expense = Expense(
        spent_on=spent_on,
        category=_clean_category(category),
        amount=_amount(amount, field="amount", currency=currency),
        currency=currency,
        method=method or "",
        payee=(payee or "").strip(),
        note=(note or "").strip(),
        created_by=actor,
    )
    expense.full_clean()
    expense.save()
    _record(Action.CREATE, actor, "expense", expense.pk, {}, _fields(expense, EXPENSE_FIELDS))
    return expense


@transaction.atomic
def expense_update(
    *,
    expense: Expense,
    actor,
    spent_on: dt.date,
    category: str,
    amount,
    method: str = "",
    payee: str = "",
    note: str = "",
) -> Expense:
    expense = Expense.objects.select_for_update().get(pk=expense.pk)
    before = _fields(expense, EXPENSE_FIELDS)
    expense.spent_on = spent_on
    expense.category = _clean_category(category)
    expense.amount = _amount(amount, field="amount", currency=expense.currency)
    expense.method = method or ""
    expense.payee = (payee or "").strip()
    expense.note = (note or "").strip()
    expense.full_clean()
    expense.save(update_fields=["spent_on", "category", "amount", "method", "payee", "note"])
    _record(Action.UPDATE, actor, "expense", expense.pk, before, _fields(expense, EXPENSE_FIELDS))
    return expense


@transaction.atomic
def expense_delete(*, expense: Expense, actor) -> None:
    before, pk = _fields(expense, EXPENSE_FIELDS), expense.pk
    expense.delete()
    _record(Action.DELETE, actor, "expense", pk, before, {})


# ---------------------------------------------------------------- budgets


@transaction.atomic
def budget_set(*, actor, month: dt.date, kind: str, amount, category: str = "") -> Budget | None:
    """Set the month's revenue target or spending limit (in all, or for one category).
    An empty amount removes it. Returns the budget, or None when it was removed."""
    if kind not in BudgetKind.values:
        raise ValidationError({"kind": _("Choose a kind of budget.")}, code="invalid")
    first = month.replace(day=1)
    category = " ".join((category or "").split())
    existing = (
        Budget.objects.select_for_update().filter(month=first, kind=kind, category=category).first()
    )
    if amount is None or str(amount).strip() == "":
        if existing is not None:
            before, pk = _fields(existing, BUDGET_FIELDS), existing.pk
            existing.delete()
            _record(Action.DELETE, actor, "budget", pk, before, {})
        return None
    currency = reports.currency()
    value = _amount(amount, field="amount", currency=currency)
    if existing is None:
        budget = Budget(month=first, kind=kind, category=category, amount=value, currency=currency)
        budget.full_clean()
        budget.save()
        _record(Action.CREATE, actor, "budget", budget.pk, {}, _fields(budget, BUDGET_FIELDS))
        return budget
    before = _fields(existing, BUDGET_FIELDS)
    existing.amount = value
    existing.full_clean(validate_unique=False)
    existing.save(update_fields=["amount"])
    _record(Action.UPDATE, actor, "budget", existing.pk, before, _fields(existing, BUDGET_FIELDS))
    return existing


@transaction.atomic
def budget_delete(*, budget: Budget, actor) -> None:
    before, pk = _fields(budget, BUDGET_FIELDS), budget.pk
    budget.delete()
    _record(Action.DELETE, actor, "budget", pk, before, {})


# ---------------------------------------------------------------- cash count


@transaction.atomic
def cash_count_record(*, day: dt.date, counted, note: str = "", actor) -> CashCount:
    """Record the cash counted in the drawer for ``day``, with what the till expected at
    that moment (cash payments minus cash refunds of the day). Every count is kept; the
    latest is the one the closing shows. A day still to come cannot be counted."""
    if day > reports.today():
        raise ValidationError({"day": _("This day has not come yet.")}, code="future")
    currency = reports.currency()
    count = CashCount(
        day=day,
        currency=currency,
        expected=reports.cash_expected(day),
        counted=_amount(counted, field="counted", currency=currency),
        note=(note or "").strip(),
        counted_by=actor,
    )
    count.full_clean()
    count.save()
    _record(Action.CREATE, actor, "cash_count", count.pk, {}, _fields(count, COUNT_FIELDS))
    return count
