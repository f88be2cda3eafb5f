"""Money has one source of truth: every visit that still carries an amount typed before
the till becomes a paid bill of that visit (origin ``migrated``): one "other" line "Visit
on <date>" at that amount, paid by one "other" payment referenced "before the till".
Bills are numbered in the order of the visits' dates, continuing the till's counter, in
the business's currency, dated midday of the visit in the business's time zone, without
tax (what tax the amount held was never recorded). ``Visit.amount`` stays as it was, a
read-only copy; nothing derives money from it any more (``finance.summary``).

Runs in every tenant schema (spare ones and the template included, where there is
nothing to do) and can run twice: a visit that already has a migrated bill is skipped."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.db import migrations

BATCH = 1000
REFERENCE = "before the till"


def _business(connection) -> tuple[str, str, str]:
    """The currency, time zone and language of the business whose schema this is: from
    ``connection.tenant`` when it is a real tenant (a test, a tenant created in code),
    else from the public tenants table by schema name (``migrate_schemas`` sets only a
    stand-in tenant that knows its schema's name)."""
    tenant = getattr(connection, "tenant", None)
    if getattr(tenant, "currency", None):
        return tenant.currency, tenant.time_zone, tenant.language
    from django.apps import apps as global_apps

    table = global_apps.get_model(settings.TENANT_MODEL)._meta.db_table
    public = getattr(settings, "PUBLIC_SCHEMA_NAME", "public")
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT currency, time_zone, language FROM "{public}"."{table}" '  # noqa: S608
            "WHERE schema_name = %s",
            [connection.schema_name],
        )
        row = cursor.fetchone()
    return row if row else ("CNY", "Asia/Shanghai", "zh-hans")


def _midday(day: dt.date, zone: str) -> dt.datetime:
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    return dt.datetime.combine(day, dt.time(12), tzinfo=tz).astimezone(dt.UTC)


def _description(day: dt.date, language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return translation.gettext("Visit on %(date)s") % {"date": day.isoformat()}


def visit_amounts_to_bills(apps, schema_editor) -> int:
    """Turn each visit with an amount and no migrated bill into a paid bill; returns how
    many. Also called directly by the tests."""
    Visit = apps.get_model("visits", "Visit")
    Bill = apps.get_model("finance", "Bill")
    BillLine = apps.get_model("finance", "BillLine")
    Payment = apps.get_model("finance", "Payment")
    FinanceSettings = apps.get_model("finance", "FinanceSettings")
    from django.db import connection as default_connection

    connection = schema_editor.connection if schema_editor is not None else default_connection

    visits = (
        Visit.objects.filter(amount__isnull=False, amount__gte=0)
        .exclude(bills__origin="migrated")
        .order_by("visited_on", "id")
        .only("id", "client_id", "visited_on", "amount", "practitioner_id")
    )
    if not visits.exists():
        return 0
    currency, zone, language = _business(connection)
    till = FinanceSettings.objects.select_for_update().filter(singleton=True).first()
    if till is None:
        till = FinanceSettings.objects.create(singleton=True)
        till = FinanceSettings.objects.select_for_update().get(pk=till.pk)
    number = till.next_bill_number
    done = 0
    batch = list(visits[:BATCH])
    while batch:
        bills = []
        for visit in batch:
            amount = Decimal(visit.amount).quantize(Decimal("0.01"))
            when = _midday(visit.visited_on, zone)
            bills.append(
                Bill(
                    number=number,
                    client_id=visit.client_id,
                    visit_id=visit.pk,
                    origin="migrated",
                    status="paid",
                    currency=currency,
                    tax_mode=till.tax_mode,
                    tax_rate=0,
                    subtotal=amount,
                    total=amount,
                    paid_total=amount,
                    created_at=when,
                    issued_at=when,
                    paid_at=when,
                )
            )
            number += 1
        Bill.objects.bulk_create(bills)
        lines, payments = [], []
        for visit, bill in zip(batch, bills, strict=True):
            lines.append(
                BillLine(
                    bill_id=bill.pk,
                    kind="other",
                    description=_description(visit.visited_on, language),
                    staff_id=visit.practitioner_id,
                    quantity=1,
                    unit_price=bill.total,
                    gross=bill.total,
                    net=bill.total,
                )
            )
            if bill.total > 0:
                payments.append(
                    Payment(
                        bill_id=bill.pk,
                        method="other",
                        amount=bill.total,
                        reference=REFERENCE,
                        created_at=bill.paid_at,
                    )
                )
        BillLine.objects.bulk_create(lines)
        Payment.objects.bulk_create(payments)
        done += len(batch)
        # The visits just billed no longer match, so the next slice is the next batch.
        batch = list(visits[:BATCH])
    FinanceSettings.objects.filter(pk=till.pk).update(next_bill_number=number)
    return done


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0003_cash_count"),
        ("visits", "0001_initial"),
        ("scheduling", "0005_recall_days_help"),
        ("clients", "0006_erased_at_and_duplicate_indexes"),
    ]

    operations = [
        migrations.RunPython(visit_amounts_to_bills, migrations.RunPython.noop, elidable=False),
    ]
