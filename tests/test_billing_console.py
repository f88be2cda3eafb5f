"""The operator console's billing overview and a business's billing event log (issue 13
point 5)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from billing.console import monthly_recurring_revenue
from billing.models import BillingEvent, Plan, PlanPrice, Subscription, SubscriptionStatus
from tests.conftest import operator_signed_in

pytestmark = pytest.mark.django_db


def _public() -> Client:
    return Client(HTTP_HOST=settings.TENANT_BASE_DOMAIN)


@pytest.fixture
def priced(cast):
    """Only A and B subscribed; A monthly in CNY, B yearly in GBP, on a priced plan."""
    plan = Plan.objects.create(code="mrr", name_en="MRR plan", name_zh="收入")
    PlanPrice.objects.create(plan=plan, currency="CNY", monthly=Decimal("99.00"), yearly=990)
    PlanPrice.objects.create(plan=plan, currency="GBP", monthly=Decimal("10"), yearly=100)
    Subscription.objects.exclude(tenant__in=[cast.tenant_a, cast.tenant_b]).delete()
    for tenant, currency, interval in (
        (cast.tenant_a, "CNY", "monthly"),
        (cast.tenant_b, "GBP", "yearly"),
    ):
        Subscription.objects.update_or_create(
            tenant=tenant,
            defaults={
                "plan": plan,
                "status": SubscriptionStatus.ACTIVE,
                "currency": currency,
                "interval": interval,
                "stripe_subscription_id": f"sub_{tenant.schema_name}",
            },
        )
    return plan


def test_mrr_per_currency_yearly_as_twelfth(cast, priced):
    assert monthly_recurring_revenue() == {"CNY": Decimal("99.00"), "GBP": Decimal("8.33")}
    Subscription.objects.filter(tenant=cast.tenant_a).update(status=SubscriptionStatus.TRIALING)
    assert monthly_recurring_revenue() == {"GBP": Decimal("8.33")}
    # a business on a plan without a Stripe subscription (granted, or from before billing)
    # pays nothing
    Subscription.objects.filter(tenant=cast.tenant_b).update(stripe_subscription_id="")
    assert monthly_recurring_revenue() == {}


def test_billing_page_lists_trials_ending_and_overdue(cast, priced):
    now = timezone.now()
    Subscription.objects.filter(tenant=cast.tenant_a).update(
        status=SubscriptionStatus.TRIALING, trial_ends_at=now + timedelta(days=3)
    )
    Subscription.objects.filter(tenant=cast.tenant_b).update(
        status=SubscriptionStatus.PAST_DUE, past_due_since=now - timedelta(days=2)
    )
    response = operator_signed_in(_public()).get("/console/billing/")
    assert response.status_code == 200
    html = response.content.decode()
    trials = html.split('id="trials"', 1)[1].split("</section>", 1)[0]
    behind = html.split('id="behind"', 1)[1].split("</section>", 1)[0]
    assert f"/console/tenants/{cast.tenant_a.pk}/" in trials
    assert f"/console/tenants/{cast.tenant_b.pk}/" not in trials
    assert f"/console/tenants/{cast.tenant_b.pk}/" in behind
    assert "Payment overdue" in behind
    # A trial ending beyond the week is not listed.
    Subscription.objects.filter(tenant=cast.tenant_a).update(trial_ends_at=now + timedelta(days=9))
    html = operator_signed_in(_public()).get("/console/billing/").content.decode()
    trials = html.split('id="trials"', 1)[1].split("</section>", 1)[0]
    assert f"/console/tenants/{cast.tenant_a.pk}/" not in trials


def test_billing_page_for_operators_only(cast, owner_a):
    response = _public().get("/console/billing/")
    assert response.status_code in (302, 403)
    assert owner_a.get("/console/billing/").status_code in (302, 403, 404)


def _event(tenant, n):
    return BillingEvent.objects.create(
        stripe_event_id=f"evt_{tenant.schema_name}_{n}",
        type="invoice.paid",
        tenant=tenant,
        created=timezone.now() - timedelta(minutes=n),
        payload={},
        outcome=f"outcome {tenant.schema_name} {n}",
    )


def test_tenant_page_shows_only_its_events_and_writes_no_subscription(cast):
    _event(cast.tenant_a, 1)
    _event(cast.tenant_b, 2)
    Subscription.objects.filter(tenant=cast.tenant_a).delete()
    client = operator_signed_in(_public())
    html = client.get(f"/console/tenants/{cast.tenant_a.pk}/").content.decode()
    assert f"outcome {cast.tenant_a.schema_name} 1" in html
    assert f"outcome {cast.tenant_b.schema_name} 2" not in html
    assert 'id="no-subscription"' in html
    assert not Subscription.objects.filter(tenant=cast.tenant_a).exists()


def test_billing_page_queries_bounded(cast, priced, django_assert_max_num_queries):
    client = operator_signed_in(_public())
    client.get("/console/billing/")
    with django_assert_max_num_queries(12):
        client.get("/console/billing/")
    now = timezone.now()
    Subscription.objects.update(
        status=SubscriptionStatus.TRIALING, trial_ends_at=now + timedelta(days=1)
    )
    for i in range(5):
        _event(cast.tenant_a, i)
    with django_assert_max_num_queries(12):
        client.get("/console/billing/")
    with django_assert_max_num_queries(25):
        client.get(f"/console/tenants/{cast.tenant_a.pk}/")
