"""The demo businesses' money (finance.demo through seed_demo): each has paid bills, a
split payment, a stored-value card with its bonus, a package, an open bill, expenses and
budgets; a second run adds nothing; the client summaries equal the ledger."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db.models import Count
from django_tenants.utils import tenant_context

# Wednesday 18 November 2026, 10:00 in Hong Kong.
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC))


def test_every_demo_business_has_money_once(cast, db):
    from clients.models import Client
    from finance import summary
    from finance.models import (
        Bill,
        BillStatus,
        Budget,
        Card,
        CardKind,
        Expense,
        Payment,
        PaymentMethod,
    )
    from tenants.models import Tenant
    from verticals import registry

    call_command("seed_demo", stdout=io.StringIO())
    subdomains = [d.subdomain for v in registry.all_verticals() for d in v.demo_businesses]
    counts, extras = {}, {}
    for sub in subdomains:
        tenant = Tenant.objects.get(domains__domain=f"{sub}.localhost")
        with tenant_context(tenant):
            paid = Bill.objects.filter(status=BillStatus.PAID)
            assert paid.count() >= 3, sub
            assert set(paid.values_list("currency", flat=True)) == {tenant.currency}
            kinds = set(Card.objects.values_list("kind", flat=True))
            assert CardKind.STORED_VALUE in kinds, sub
            stored = Card.objects.filter(kind=CardKind.STORED_VALUE).first()
            assert stored.bonus_balance > 0
            methods = set(Payment.objects.values_list("method", flat=True))
            assert {PaymentMethod.CASH, PaymentMethod.WECHAT} <= methods, sub
            split = Payment.objects.values("bill").annotate(n=Count("id")).filter(n__gt=1).exists()
            assert split, sub
            assert Expense.objects.exists() and Budget.objects.exists()
            opened = Bill.objects.filter(status=BillStatus.ISSUED).exists()
            for client in Client.objects.all():
                assert summary.for_client(client).lifetime_spend == client.total_spend
            counts[sub] = (Bill.objects.count(), Payment.objects.count())
            packages = Card.objects.filter(kind=CardKind.PACKAGE).exists()
            extras[sub] = (opened, packages)
    # an open bill and a package somewhere (where the demo week has enough appointments)
    assert any(opened for opened, _p in extras.values())
    assert any(packages for _o, packages in extras.values())
    # a second run adds nothing
    call_command("seed_demo", stdout=io.StringIO())
    for sub in subdomains:
        tenant = Tenant.objects.get(domains__domain=f"{sub}.localhost")
        with tenant_context(tenant):
            assert counts[sub] == (Bill.objects.count(), Payment.objects.count())
