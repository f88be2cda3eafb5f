"""The owner's billing page in the tenant portal: plan, status, usage, subscribing and
changing plan through the Stripe stand-in, the owner-only rule, and the non-payment lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from billing.models import Plan, Subscription, SubscriptionStatus
from tests.conftest import staff_member

URL = "/settings/billing/"


def _sub(tenant) -> Subscription:
    return Subscription.objects.get(tenant=tenant)


def _set(tenant, **fields) -> None:
    from billing.services import subscription_for

    subscription_for(tenant)
    Subscription.objects.filter(tenant=tenant).update(**fields)


def test_billing_off_shows_the_plan_and_usage_and_calls_no_stripe(cast, db, owner_a, settings):
    settings.BILLING_ENABLED = False
    settings.STRIPE_SECRET_KEY = ""
    response = owner_a.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="billing-off"' in body
    assert _sub(cast.tenant_a).plan.name_en in body
    assert "Staff seats" in body and "Clients" in body and "Storage (MB)" in body
    assert "Subscribe" not in body
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_page_shows_plan_trial_and_usage_in_both_languages(
    cast, db, owner_a, settings, language
):
    settings.BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = "sk_test_unused"
    ends = timezone.now() + timedelta(days=5)
    _set(cast.tenant_a, status=SubscriptionStatus.TRIALING, trial_ends_at=ends)
    owner_a.cookies["django_language"] = language
    from django_tenants.utils import tenant_context

    from accounts.models import User

    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.owner_a).update(language=language)
    body = owner_a.get(URL).content.decode()
    plan = _sub(cast.tenant_a).plan
    if language == "en":
        assert plan.name_en in body and "Trial ends" in body and "Staff seats" in body
    else:
        assert plan.name_zh in body and "试用截止" in body and "员工席位" in body
        # a subscription's plan is 套餐 (the dental catalogue's "Plan" is a treatment plan)
        assert "<th>套餐</th>" in body and "计划" not in body and "方案" not in body
    assert 'id="billing-status"' in body


def test_one_business_never_sees_anothers_billing(cast, db, owner_a, owner_b, settings):
    settings.BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = "sk_test_unused"
    group, starter = Plan.objects.get(code="group"), Plan.objects.get(code="starter")
    _set(cast.tenant_a, plan=group, stripe_customer_id="cus_alpha")
    _set(cast.tenant_b, plan=starter, stripe_customer_id="")
    body_b = owner_b.get(URL).content.decode()
    assert group.name_en not in body_b.split('id="billing-plans"')[0]
    assert "Manage cards and invoices" not in body_b
    body_a = owner_a.get(URL).content.decode()
    assert group.name_en in body_a and "Manage cards and invoices" in body_a


def test_a_non_owner_is_refused_by_the_page_and_the_service(cast, db, practitioner_a, settings):
    from billing import checkout

    settings.BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = "sk_test_unused"
    clinic = Plan.objects.get(code="clinic")
    assert practitioner_a.get(URL).status_code == 403
    response = practitioner_a.post(URL + "checkout/", {"plan": clinic.pk, "interval": "monthly"})
    assert response.status_code == 403
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with pytest.raises(PermissionDenied):
        checkout.checkout_start(
            tenant=cast.tenant_a, actor=doctor, plan=clinic, interval="monthly", base_url="x"
        )
    with pytest.raises(PermissionDenied):
        checkout.plan_change(tenant=cast.tenant_a, actor=doctor, plan=clinic, interval="yearly")


def test_a_suspended_business_reaches_only_its_billing_page(
    cast, db, owner_a, front_desk_a, settings
):
    settings.BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = "sk_test_unused"
    _set(cast.tenant_a, status=SubscriptionStatus.SUSPENDED_UNPAID, suspended_at=timezone.now())
    for path in ["/", "/settings/", "/clients/"]:
        response = owner_a.get(path)
        assert response.status_code == 302 and response["Location"] == URL, path
        refused = front_desk_a.get(path)
        assert refused.status_code == 403, path
        assert "suspended for non-payment" in refused.content.decode()
    page = owner_a.get(URL)
    assert page.status_code == 200
    assert 'id="billing-suspended"' in page.content.decode()
    assert owner_a.get("/accounts/login/").status_code in (200, 302)


def test_past_due_warns_on_every_page_with_a_link_to_pay(cast, db, owner_a, settings):
    settings.BILLING_ENABLED = True
    settings.STRIPE_SECRET_KEY = "sk_test_unused"
    _set(cast.tenant_a, status=SubscriptionStatus.PAST_DUE, past_due_since=timezone.now())
    body = owner_a.get("/").content.decode()
    assert 'id="billing-past-due"' in body and URL in body


def _subscribe(owner, standin, plan_code="clinic", interval="monthly") -> str:
    plan = Plan.objects.get(code=plan_code)
    response = owner.post(URL + "checkout/", {"plan": plan.pk, "interval": interval})
    assert response.status_code == 302
    assert response["Location"].startswith(standin.url + "/checkout/cs_")
    session_id = response["Location"].rsplit("/", 1)[1]
    standin.complete_checkout(session_id, deliver=False)
    return session_id


def test_the_owner_subscribes_through_checkout_and_comes_back_subscribed(
    cast, db, owner_a, stripe_standin
):
    _set(cast.tenant_a, status=SubscriptionStatus.TRIALING, trial_ends_at=timezone.now())
    session_id = _subscribe(owner_a, stripe_standin)
    created = [p for m, path, p in stripe_standin.requests if path == "/v1/checkout/sessions"]
    assert created[0]["metadata"]["tenant"] == cast.tenant_a.schema_name
    assert created[0]["client_reference_id"] == cast.tenant_a.schema_name
    assert created[0]["subscription_data"]["metadata"]["tenant"] == cast.tenant_a.schema_name
    assert "price_clinic_cny_monthly" in str(created[0]["line_items"])
    assert "?checkout={CHECKOUT_SESSION_ID}" in created[0]["success_url"]
    # The webhook has not landed; the return page asks Stripe itself.
    body = owner_a.get(URL, {"checkout": session_id}).content.decode()
    sub = _sub(cast.tenant_a)
    assert sub.status == SubscriptionStatus.ACTIVE and sub.stripe_subscription_id
    assert sub.plan.code == "clinic"
    assert "Subscribed" in body and "Manage cards and invoices" in body
    # The page lets its forms be redirected to the hosted pages (CSP form-action).
    assert stripe_standin.url in owner_a.get(URL)["Content-Security-Policy"]
    portal = owner_a.post(URL + "cards/")
    assert portal.status_code == 302 and portal["Location"].startswith(stripe_standin.url)


def test_a_plan_change_shows_the_proration_then_changes_the_plan(cast, db, owner_a, stripe_standin):
    session_id = _subscribe(owner_a, stripe_standin)
    owner_a.get(URL, {"checkout": session_id})
    group = Plan.objects.get(code="group")
    preview = owner_a.get(URL + "change/", {"plan": group.pk, "interval": "monthly"})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert 'id="plan-change-preview"' in body and "CNY" in body
    assert Plan.objects.get(pk=_sub(cast.tenant_a).plan_id).code == "clinic"
    done = owner_a.post(URL + "change/", {"plan": group.pk, "interval": "monthly"})
    assert done.status_code == 302
    sub = _sub(cast.tenant_a)
    assert sub.plan.code == "group" and sub.stripe_price_id == "price_group_cny_monthly"
    from django_tenants.utils import tenant_context

    from audit.models import AuditEntry

    with tenant_context(cast.tenant_a):
        assert AuditEntry.objects.filter(object_type="subscription").count() >= 2
    updates = [
        p
        for m, path, p in stripe_standin.requests
        if path.startswith("/v1/subscriptions/") and m == "POST"
    ]
    assert updates[-1]["proration_behavior"] == "create_prorations"


def test_a_plan_not_sold_in_the_currency_is_refused(cast, db, owner_a, stripe_standin, settings):
    settings.STRIPE_PRICE_IDS = []
    from billing.models import PlanPrice

    PlanPrice.objects.filter(currency="CNY").update(stripe_monthly_price_id="")
    clinic = Plan.objects.get(code="clinic")
    response = owner_a.post(
        URL + "checkout/", {"plan": clinic.pk, "interval": "monthly"}, follow=True
    )
    assert "not sold in your business" in response.content.decode()
    assert not [r for r in stripe_standin.requests if r[1] == "/v1/checkout/sessions"]
