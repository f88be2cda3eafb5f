"""An owner in a trial subscribes in a real browser: the billing page's Subscribe opens the
Stripe stand-in's hosted checkout, Pay sends its signed webhooks to the live server's
public host, and the owner comes back to a subscribed business. Screenshots go to
test-artifacts/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e


def test_an_owner_moves_from_trial_to_paid_through_checkout(
    cast, live_server_url, browser, live_stripe_standin
):
    from billing.models import BillingEvent, Subscription, SubscriptionStatus

    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    stripe_standin = live_stripe_standin
    subscription = Subscription.objects.get(tenant=cast.tenant_a)
    kept = model_to_dict(subscription, exclude=["id", "tenant", "plan"])
    kept_plan = subscription.plan_id
    Subscription.objects.filter(pk=subscription.pk).update(
        status=SubscriptionStatus.TRIALING, trial_ends_at=timezone.now() + timedelta(days=10)
    )
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="en-US")
    try:
        page = context.new_page()
        sign_in(page, base, cast.owner_a, cast.password)
        page.goto(f"{base}/settings/billing/")
        expect(page.locator("#billing-status")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "billing-trial.png"), full_page=True)
        page.locator("#billing-plans form button").first.click()
        page.wait_for_url(f"{stripe_standin.url}/checkout/**")
        page.get_by_role("button", name="Pay").click()
        page.wait_for_url(f"{base}/settings/billing/**")
        page.screenshot(path=str(ARTIFACTS / "billing-subscribed.png"), full_page=True)
        expect(page.locator("#billing-status")).not_to_have_text("")
        subscription.refresh_from_db()
        assert subscription.status == SubscriptionStatus.ACTIVE
        assert subscription.stripe_subscription_id and subscription.current_period_end
        # the webhooks reached the public host and were stored for this business
        types = set(
            BillingEvent.objects.filter(tenant=cast.tenant_a).values_list("type", flat=True)
        )
        assert {"checkout.session.completed", "invoice.paid"} <= types
        status_text = page.locator("#billing-status").inner_text()
        assert status_text == str(SubscriptionStatus.ACTIVE.label)
    finally:
        context.close()
        BillingEvent.objects.filter(tenant=cast.tenant_a).delete()
        Subscription.objects.filter(pk=subscription.pk).update(plan_id=kept_plan, **kept)
