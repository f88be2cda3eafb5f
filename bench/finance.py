"""The till: the month's revenue report and the evening's daily closing in a business with
1,000,000 bill lines, and redemptions per second on one stored-value card with 1 and 16
concurrent payers.

- ``month_report_s``: ``finance.reports`` revenue for the last full month (totals, by
  service, category and staff member), the median of several runs;
- ``daily_closing_s``: ``finance.reports`` daily closing of yesterday, the median of
  several runs;
- ``redemptions_per_s_1`` / ``redemptions_per_s_16``: stored-value payments through
  ``finance.bills.payment_take`` (each on its own issued bill) against ONE card, from 1
  and from 16 threads with their own connections; the card holds enough for only some of
  the 16 threads' payments, so the losers are refused;
- ``overdrafts``: how far below zero the card went (the ledger's sum and the card's
  balance are checked after each run): must be 0.

The bills are loaded set-based (one INSERT ... SELECT each for bills, lines and
payments): 250,000 paid bills of four lines over the two years before today, in the
business's zone (Asia/Shanghai), spread over five services, three categories and eight
staff members. Goals: each report under 1 s, no overdraft."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import threading
import time
from decimal import Decimal

from _common import django_stack, emit

# FINANCE_BENCH_LINES: fewer for a quick trial run of the script itself.
LINES = int(os.environ.get("FINANCE_BENCH_LINES", 1_000_000))
LINES_PER_BILL = 4
DAYS = 730
ZONE = "Asia/Shanghai"
STAFF = 8
CLIENTS = 2_000
REPORT_RUNS = 5
PAYMENTS_1 = 100
PAYMENTS_PER_PAYER_16 = 20
SPEND = Decimal("10.00")
METHODS = ("cash", "bank_card", "wechat", "alipay")

BILLS_SQL = """
INSERT INTO finance_bill (
    number, client_id, appointment_id, visit_id, origin, status, currency, tax_mode,
    tax_rate, tax_label, discount_kind, discount_value, discount_reason, subtotal,
    discount_total, tax_total, total, paid_total, refunded_total, invoice_title, tax_id,
    note, created_at, created_by_id, issued_at, issued_by_id, paid_at, voided_at,
    voided_by_id, void_reason)
SELECT
    g.n, (%(clients)s::bigint[])[1 + g.n %% %(client_count)s], NULL, NULL, 'counter', 'paid',
    'CNY', 'inclusive', 0, '', '', 0, '', 0, 0, 0, 0, 0, 0, '', '', '',
    g.at, NULL, g.at, NULL, g.at, NULL, NULL, ''
FROM (
    SELECT n, (%(today)s::date - (n %% %(days)s))::timestamp AT TIME ZONE %(zone)s
              + ((9 * 60 + (n * 37) %% 600) * interval '1 minute') AS at
    FROM generate_series(1, %(bills)s) n
) g
"""

LINES_SQL = """
INSERT INTO finance_billline (
    bill_id, position, kind, description, service_id, category, staff_id, quantity,
    unit_price, discount_kind, discount_value, discount_reason, gross, line_discount,
    bill_discount, net, tax, card_product_id, card_id, source_ref)
SELECT
    b.id, p, 'service', s.name, s.id, s.category,
    (%(staff)s::bigint[])[1 + (b.id + p) %% %(staff_count)s],
    1, s.price, '', 0, '', s.price, 0, 0, s.price, 0, NULL, NULL, ''
FROM finance_bill b
CROSS JOIN generate_series(1, %(per_bill)s) p
JOIN unnest(%(service_ids)s::bigint[], %(names)s::text[], %(categories)s::text[],
            %(prices)s::numeric[]) WITH ORDINALITY AS s(id, name, category, price, k)
  ON s.k = 1 + (b.id * 7 + p) %% %(service_count)s
"""

TOTALS_SQL = """
UPDATE finance_bill b SET subtotal = t.net, total = t.net, paid_total = t.net
FROM (SELECT bill_id, sum(net) AS net FROM finance_billline GROUP BY bill_id) t
WHERE t.bill_id = b.id
"""

PAYMENTS_SQL = """
INSERT INTO finance_payment (
    bill_id, method, amount, tendered, change_given, reference, card_id, created_at,
    taken_by_id)
SELECT b.id, (%(methods)s::text[])[1 + b.id %% %(method_count)s], b.total, NULL, 0, '',
       NULL, b.paid_at, NULL
FROM finance_bill b
"""


def _setup():
    from django_tenants.utils import tenant_context

    from accounts.services import staff_create
    from clients.models import Client
    from clients.services import client_derive
    from scheduling.models import Service, ServiceCategory
    from tenants.services import tenant_signup

    signup = tenant_signup(
        business_name="Till Bench",
        business_type="beauty_salon",
        subdomain="tillbench",
        owner_name="Bench",
        owner_email="bench@till.test",
        owner_password="Bench-Till-2026",
        language="en",
        time_zone=ZONE,
        currency="CNY",
    )
    tenant = signup.tenant
    with tenant_context(tenant):
        from accounts.models import User

        owner = User.objects.get(email="bench@till.test")
        staff = [
            staff_create(
                full_name=f"Stylist {n}",
                email=f"s{n}@till.test",
                password="Bench-Till-2026",
                roles=["practitioner"],
            )
            for n in range(STAFF)
        ]
        categories = [ServiceCategory.objects.create(name=n) for n in ("Face", "Hair", "Nails")]
        services = [
            Service.objects.create(
                name=f"Bench service {n}",
                duration_minutes=30,
                price=Decimal(120 + 45 * n),
                category=categories[n % 3],
            )
            for n in range(5)
        ]
        batch = []
        for n in range(CLIENTS):
            client = Client(
                name=f"Bench client {n}", mobile=f"+86138{n:08d}", file_number=f"T{n:07d}"
            )
            client_derive(client)
            batch.append(client)
        Client.objects.bulk_create(batch, batch_size=1000)
        clients = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    return tenant, owner, staff, services, clients


def _load(*, staff, services, clients, today: dt.date) -> None:
    from django.db import connection

    from finance.models import FinanceSettings

    bills = LINES // LINES_PER_BILL
    params = {
        "clients": clients,
        "client_count": len(clients),
        "today": today,
        "days": DAYS,
        "zone": ZONE,
        "bills": bills,
        "staff": [s.pk for s in staff],
        "staff_count": len(staff),
        "per_bill": LINES_PER_BILL,
        "service_ids": [s.pk for s in services],
        "names": [s.name for s in services],
        "categories": [s.category.name for s in services],
        "prices": [s.price for s in services],
        "service_count": len(services),
        "methods": list(METHODS),
        "method_count": len(METHODS),
    }
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in (BILLS_SQL, LINES_SQL, TOTALS_SQL, PAYMENTS_SQL):
            cursor.execute(sql, params)
        cursor.execute("ANALYZE finance_bill")
        cursor.execute("ANALYZE finance_billline")
        cursor.execute("ANALYZE finance_payment")
        cursor.execute("SELECT count(*) FROM finance_billline")
        (count,) = cursor.fetchone()
    settings = FinanceSettings.load()
    FinanceSettings.objects.filter(pk=settings.pk).update(next_bill_number=bills + 1)
    print(f"{count:,} bill lines on {bills:,} bills in {time.perf_counter() - began:.0f} s")


def _median_s(fn, runs: int = REPORT_RUNS) -> float:
    fn()  # warm: plans and caches, as on a server that has been running
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def _reports(today: dt.date) -> dict:
    from finance import reports

    month_end = today.replace(day=1) - dt.timedelta(days=1)
    month_start = month_end.replace(day=1)
    yesterday = today - dt.timedelta(days=1)

    def month():
        report = reports.revenue(start=month_start, end=month_end)
        assert report.total.net > 0, "the month's report found no revenue"

    def closing():
        report = reports.daily_closing(day=yesterday)
        assert report.takings_total > 0, "the closing found no takings"

    month_s = _median_s(month)
    closing_s = _median_s(closing)
    print(f"month revenue report ({month_start:%Y-%m}): {month_s * 1000:.0f} ms")
    print(f"daily closing ({yesterday}): {closing_s * 1000:.0f} ms")
    return {"month_report_s": round(month_s, 4), "daily_closing_s": round(closing_s, 4)}


def _card(owner, client_pk, balance: Decimal):
    """A stored-value card holding ``balance``, sold on a paid bill as a user would."""
    from clients.models import Client
    from finance import bills
    from finance.models import CardKind, CardProduct, LineKind

    product = CardProduct.objects.create(
        kind=CardKind.STORED_VALUE, name=f"Bench card {balance}", price=balance
    )
    client = Client.objects.get(pk=client_pk)
    bill = bills.bill_create(client=client, actor=owner)
    bills.line_add(
        bill=bill,
        actor=owner,
        kind=LineKind.CARD,
        description=product.name,
        unit_price=balance,
        card_product=product,
    )
    bills.payment_take(bill=bill, actor=owner, method="cash", amount=balance)
    line = bill.lines.get()
    return line.cards_sold.get(), client


def _bills_to_pay(owner, client, count: int) -> list:
    from finance import bills
    from finance.models import LineKind

    out = []
    for _ in range(count):
        bill = bills.bill_create(client=client, actor=owner)
        bills.line_add(
            bill=bill, actor=owner, kind=LineKind.OTHER, description="Bench", unit_price=SPEND
        )
        out.append(bills.bill_issue(bill=bill, actor=owner))
    return out


def _payer(tenant, owner, card_pk, mine, start, outcome: dict, lock) -> None:
    from django.core.exceptions import ValidationError
    from django.db import connection, connections

    from finance import bills
    from finance.models import Card

    ok = refused = 0
    errors: list[str] = []
    try:
        connection.set_tenant(tenant)
        card = Card.objects.get(pk=card_pk)
        start.wait(timeout=60)
        for bill in mine:
            try:
                bills.payment_take(
                    bill=bill, actor=owner, method="stored_value", amount=SPEND, card=card
                )
                ok += 1
            except ValidationError:
                refused += 1
    except Exception as error:  # noqa: BLE001 - reported by the caller
        errors.append(f"{type(error).__name__}: {error}")
    finally:
        connections.close_all()
        with lock:
            outcome["ok"] += ok
            outcome["refused"] += refused
            outcome["errors"] += errors


def _redemptions(tenant, owner, clients) -> dict:
    from django.db import connection
    from django.db.models import Sum
    from django_tenants.utils import tenant_context

    from finance.models import Card

    figures: dict = {"overdrafts": 0}
    for payers, each in ((1, PAYMENTS_1), (16, PAYMENTS_PER_PAYER_16)):
        total = payers * each
        # Enough for everything with one payer; for 60 % of the payments with 16.
        affordable = total if payers == 1 else total * 6 // 10
        with tenant_context(tenant):
            card, client = _card(owner, clients[payers], SPEND * affordable)
            to_pay = _bills_to_pay(owner, client, total)
        connection.set_schema_to_public()
        shares = [to_pay[n * each : (n + 1) * each] for n in range(payers)]
        start = threading.Barrier(payers + 1)
        lock = threading.Lock()
        outcome = {"ok": 0, "refused": 0, "errors": []}
        workers = [
            threading.Thread(
                target=_payer, args=(tenant, owner, card.pk, shares[n], start, outcome, lock)
            )
            for n in range(payers)
        ]
        for worker in workers:
            worker.start()
        start.wait(timeout=60)
        began = time.perf_counter()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - began
        if outcome["errors"]:
            raise RuntimeError(f"payments failed: {outcome['errors'][:3]}")
        with tenant_context(tenant):
            card = Card.objects.get(pk=card.pk)
            ledger = card.entries.aggregate(p=Sum("paid_delta"), b=Sum("bonus_delta"))
            held = (ledger["p"] or 0) + (ledger["b"] or 0)
            if held != card.balance:
                raise RuntimeError(f"ledger {held} and card {card.balance} disagree")
            overdraft = max(Decimal(0), -(card.balance))
            spent = SPEND * affordable - card.balance
            if spent != SPEND * outcome["ok"]:
                raise RuntimeError(f"{outcome['ok']} payments but {spent} spent")
        figures["overdrafts"] += int(overdraft > 0) + max(0, outcome["ok"] - affordable)
        rate = outcome["ok"] / elapsed
        figures[f"redemptions_per_s_{payers}"] = round(rate, 1)
        print(
            f"{payers} payer(s): {outcome['ok']} redemptions, {outcome['refused']} refused"
            f" (card ran out), {rate:.1f}/s, card left {card.balance}",
            flush=True,
        )
    return figures


def main() -> dict:
    import zoneinfo

    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    began = time.perf_counter()
    tenant, owner, staff, services, clients = _setup()
    today = timezone.localtime(timezone=zoneinfo.ZoneInfo(ZONE)).date()
    figures: dict = {}
    with tenant_context(tenant):
        _load(staff=staff, services=services, clients=clients, today=today)
        figures.update(_reports(today))
    connection.set_schema_to_public()
    figures.update(_redemptions(tenant, owner, clients))
    figures["bill_lines"] = LINES
    print(f"finished in {time.perf_counter() - began:.0f} s", flush=True)
    return figures


if __name__ == "__main__":
    with django_stack():
        result = main()
    emit(result)
