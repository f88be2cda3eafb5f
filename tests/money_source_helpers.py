"""A visit that took money, the way the till now records it: the visit, and a paid bill
of it made by the data migration that turns visit amounts into bills
(finance/migrations/0004_visit_amounts_to_bills.py), so tests written when visits held
amounts keep their figures with the till as the source of money. Call inside the tenant."""

from __future__ import annotations

import importlib
from decimal import Decimal

from django.apps import apps

from finance import summary
from visits.models import Visit
from visits.services import visit_create

_migration = importlib.import_module("finance.migrations.0004_visit_amounts_to_bills")


def migrate_visit_amounts() -> int:
    """Run the data migration's function on the current schema; returns bills made."""
    return _migration.visit_amounts_to_bills(apps, None)


def billed_visit(*, client, amount, values: dict | None = None, **visit_values) -> Visit:
    """A visit of ``client`` (``values`` as visit_create takes them) and a paid bill of
    ``amount`` linked to it; the client's total spend refreshed from the till."""
    visit = visit_create(client=client, values={**(values or {}), **visit_values})
    Visit.objects.filter(pk=visit.pk).update(amount=Decimal(amount))
    migrate_visit_amounts()
    summary.refresh([client.pk])
    visit.refresh_from_db()
    return visit
