"""Lifecycle category (seeds 001, 004): new, returning, VIP, dormant — derived, never typed.

The category depends on today's date (a client turns dormant without any write), so it is
not stored: lists compute it in SQL with ``category_expression`` (filterable, one column
of the list query) and single pages with ``category_of``; both follow the same rules:

1. dormant: has visited, but not within the tenant's ``dormant_after_months``;
2. VIP: at least ``vip_min_visits`` visits or ``vip_min_spend`` total spend;
3. returning: at least ``returning_min_visits`` visits;
4. new: everyone else (including files with no visit yet).
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.db.models import Case, CharField, Q, Value, When

from clients.models import Category, Client, ClientSettings


def _months_back(today: dt.date, months: int) -> dt.date:
    year, month0 = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, calendar.monthrange(year, month0 + 1)[1])
    return dt.date(year, month0 + 1, day)


def dormant_before(rules: ClientSettings, today: dt.date) -> dt.date:
    """A client whose last visit is before this date is dormant."""
    return _months_back(today, rules.dormant_after_months)


def category_expression(rules: ClientSettings, today: dt.date) -> Case:
    return Case(
        When(last_visit_on__lt=dormant_before(rules, today), then=Value(Category.DORMANT)),
        When(
            Q(visit_count__gte=rules.vip_min_visits) | Q(total_spend__gte=rules.vip_min_spend),
            then=Value(Category.VIP),
        ),
        When(visit_count__gte=rules.returning_min_visits, then=Value(Category.RETURNING)),
        default=Value(Category.NEW),
        output_field=CharField(),
    )


def category_of(client: Client, rules: ClientSettings, today: dt.date) -> Category:
    if client.last_visit_on and client.last_visit_on < dormant_before(rules, today):
        return Category.DORMANT
    if client.visit_count >= rules.vip_min_visits or client.total_spend >= rules.vip_min_spend:
        return Category.VIP
    if client.visit_count >= rules.returning_min_visits:
        return Category.RETURNING
    return Category.NEW


CATEGORY_STYLES = {
    Category.NEW: "brand",
    Category.RETURNING: "ok",
    Category.VIP: "gold",
    Category.DORMANT: "slate",
}
