"""Plans, subscriptions and the operator console's billing pages (the first slice of
subscriptions: no Stripe yet)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from billing.models import Plan, PlanPrice, Subscription, SubscriptionStatus
from billing.services import (
    PriceInput,
    plan_save,
    subscription_extend_trial,
    subscription_for,
    subscription_grant_plan,
)
from tenants.models import OperatorAction, OperatorActionKind, Tenant
from tests.conftest import OPERATOR, operator_signed_in, staff_member

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _operator():
    users = get_user_model().objects
    return users.filter(email=OPERATOR).first() or users.create_superuser(
        OPERATOR, "Op-Pass-2026-x", full_name="Op"
    )


def _signup(subdomain: str, currency: str = "USD") -> Tenant:
    from tenants.services import tenant_signup

    return tenant_signup(
        business_name=f"Shop {subdomain}",
        business_type="optical",
        subdomain=subdomain,
        owner_name="Sam Owner",
        owner_email=f"owner@{subdomain}.test",
        owner_password="Shop-Pass-2026-x",
        language="en",
        time_zone="UTC",
        currency=currency,
    ).tenant


def _plan_post(plan: Plan, **changes) -> dict:
    """The plan form as the edit page would post it, with ``changes``."""
    data = {
        "code": plan.code,
        "name_en": plan.name_en,
        "name_zh": plan.name_zh,
        "staff_seats": plan.staff_seats if plan.staff_seats is not None else "",
        "clients": plan.clients if plan.clients is not None else "",
        "sms_per_month": plan.sms_per_month if plan.sms_per_month is not None else "",
        "storage_mb": plan.storage_mb if plan.storage_mb is not None else "",
        "ordering": plan.ordering,
    }
    for flag in ("online_booking", "api_access", "second_vertical", "is_default", "active"):
        if getattr(plan, flag):
            data[flag] = "on"
    for price in plan.prices.all():
        data[f"price_{price.currency}_monthly"] = str(price.monthly)
        data[f"price_{price.currency}_yearly"] = str(price.yearly)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- plans ------------------------------------------------------------------------------


def test_the_platform_starts_with_three_plans_in_four_currencies_and_one_default(db):
    plans = list(Plan.objects.all())
    assert [p.code for p in plans] == ["starter", "clinic", "group"]
    assert [p.code for p in plans if p.is_default] == ["starter"]
    for plan in plans:
        assert sorted(plan.prices.values_list("currency", flat=True)) == [
            "CNY",
            "GBP",
            "HKD",
            "USD",
        ]
    group = Plan.objects.get(code="group")
    assert group.staff_seats is None and group.clients is None  # unlimited


def test_an_operator_creates_a_plan_with_prices_in_the_console(cast, db, public_client):
    # given
    client = operator_signed_in(public_client)
    assert client.get("/console/plans/new/").status_code == 200
    # when
    response = client.post(
        "/console/plans/new/",
        {
            "code": "solo",
            "name_en": "Solo",
            "name_zh": "个人版",
            "staff_seats": "1",
            "clients": "",
            "sms_per_month": "50",
            "storage_mb": "",
            "online_booking": "on",
            "active": "on",
            "ordering": "5",
            "price_CNY_monthly": "99",
            "price_CNY_yearly": "990",
            "price_EUR_monthly": "12.50",
            "price_EUR_yearly": "125",
        },
    )
    # then
    assert response.status_code == 302 and response["Location"] == "/console/plans/"
    plan = Plan.objects.get(code="solo")
    assert (plan.staff_seats, plan.clients, plan.online_booking, plan.api_access) == (
        1,
        None,
        True,
        False,
    )
    prices = {p.currency: (p.monthly, p.yearly) for p in plan.prices.all()}
    assert prices == {
        "CNY": (Decimal("99.00"), Decimal("990.00")),
        "EUR": (Decimal("12.50"), Decimal("125.00")),
    }
    listing = client.get("/console/plans/")
    assert [p.code for p in listing.context["plans"]] == ["solo", "starter", "clinic", "group"]
    assert "EUR 12.50 / 125.00" in listing.content.decode()


def test_a_negative_price_is_refused_beside_its_field_in_both_languages(cast, db, public_client):
    # given
    client = operator_signed_in(public_client)
    clinic = Plan.objects.get(code="clinic")
    # when
    response = client.post(
        f"/console/plans/{clinic.pk}/", _plan_post(clinic, price_USD_monthly="-5")
    )
    # then
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["price_USD_monthly"]
    html = response.content.decode()
    assert 'id="id_price_USD_monthly_errors"' in html
    assert "greater than or equal to 0" in html
    assert PlanPrice.objects.get(plan=clinic, currency="USD").monthly == Decimal("79.00")
    # and: in Chinese, the message is Chinese
    client.post("/language/", {"language": "zh-hans", "next": "/console/"})
    chinese = client.post(
        f"/console/plans/{clinic.pk}/", _plan_post(clinic, price_USD_monthly="-5")
    )
    assert chinese.status_code == 400
    assert "确保该值大于或等于0" in chinese.content.decode().replace(" ", "")


def test_the_service_refuses_a_negative_price_beside_the_console_field(cast, db):
    clinic = Plan.objects.get(code="clinic")
    with pytest.raises(ValidationError) as refused:
        plan_save(
            plan=clinic,
            fields={},
            prices={"GBP": PriceInput(monthly=Decimal("-1"), yearly=Decimal("10"))},
            operator=_operator(),
        )
    assert list(refused.value.message_dict) == ["price_GBP_monthly"]
    assert PlanPrice.objects.get(plan=clinic, currency="GBP").monthly == Decimal("62.00")


def test_a_second_default_plan_is_refused_beside_the_default_box(cast, db, public_client):
    # given
    client = operator_signed_in(public_client)
    clinic = Plan.objects.get(code="clinic")
    # when
    response = client.post(f"/console/plans/{clinic.pk}/", _plan_post(clinic, is_default="on"))
    # then
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["is_default"]
    assert "“Starter” is the default plan" in response.content.decode()
    assert list(Plan.objects.filter(is_default=True).values_list("code", flat=True)) == ["starter"]


def test_the_default_can_move_once_the_old_default_is_unticked(cast, db):
    operator = _operator()
    starter, clinic = Plan.objects.get(code="starter"), Plan.objects.get(code="clinic")
    plan_save(plan=starter, fields={"is_default": False}, prices={}, operator=operator)
    plan_save(plan=clinic, fields={"is_default": True}, prices={}, operator=operator)
    assert list(Plan.objects.filter(is_default=True).values_list("code", flat=True)) == ["clinic"]


def test_emptying_both_prices_of_a_currency_stops_selling_in_it(cast, db, public_client):
    client = operator_signed_in(public_client)
    group = Plan.objects.get(code="group")
    response = client.post(
        f"/console/plans/{group.pk}/",
        _plan_post(group, price_HKD_monthly="", price_HKD_yearly="", name_en="Group Plus"),
    )
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name_en == "Group Plus"
    assert sorted(group.prices.values_list("currency", flat=True)) == ["CNY", "GBP", "USD"]


def test_withdrawing_a_plan_keeps_its_businesses_on_it_but_the_default_stays(
    cast, db, public_client
):
    # given: tenant A is on Clinic
    client = operator_signed_in(public_client)
    clinic, starter = Plan.objects.get(code="clinic"), Plan.objects.get(code="starter")
    subscription_grant_plan(tenant=cast.tenant_a, plan=clinic, operator=_operator(), reason="pilot")
    # when
    response = client.post(f"/console/plans/{clinic.pk}/withdraw/")
    # then
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.active is False
    assert subscription_for(cast.tenant_a).plan == clinic
    # and: the default cannot be withdrawn
    refused = client.post(f"/console/plans/{starter.pk}/withdraw/", follow=True)
    assert "The default plan cannot be withdrawn" in refused.content.decode()
    starter.refresh_from_db()
    assert starter.active is True


def test_plan_pages_are_for_operators_only(cast, db, public_client, owner_a):
    clinic = Plan.objects.get(code="clinic")
    paths = ["/console/plans/", "/console/plans/new/", f"/console/plans/{clinic.pk}/"]
    for path in paths:
        assert public_client.get(path).status_code == 302  # to the console's sign-in
        # a business's owner has no console on their host
        assert owner_a.get(path).status_code == 404
    # a signed-in user of the public schema who is not an operator
    connection.set_schema_to_public()  # the owner's requests left tenant A's schema set
    plain = get_user_model().objects.create_user(
        "plain@platform.test", "Plain-Pass-2026", full_name="Plain"
    )
    public_client.force_login(plain)
    for path in paths:
        assert public_client.get(path).status_code == 404
    assert public_client.post(f"/console/plans/{clinic.pk}/withdraw/").status_code == 404
    clinic.refresh_from_db()
    assert clinic.active is True


# --- subscriptions at signup ------------------------------------------------------------


@pytest.mark.clock(NOW)
def test_signup_with_billing_on_starts_a_trial_on_the_default_plan(cast, db, settings):
    # given
    settings.BILLING_ENABLED = True
    settings.BILLING_TRIAL_DAYS = 21
    # when
    tenant = _signup("trialshop")
    # then
    subscription = Subscription.objects.get(tenant=tenant)
    assert subscription.plan.code == "starter"
    assert subscription.status == SubscriptionStatus.TRIALING
    assert subscription.trial_ends_at == NOW + timedelta(days=21)


def test_signup_with_billing_off_gives_the_default_plan_and_no_trial_end(cast, db, settings):
    settings.BILLING_ENABLED = False
    tenant = _signup("plainshop")
    subscription = Subscription.objects.get(tenant=tenant)
    assert subscription.plan.code == "starter"
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.trial_ends_at is None


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "False 14"),
        ({"STRIPE_SECRET_KEY": "sk_test_123", "BILLING_TRIAL_DAYS": "30"}, "True 30"),
    ],
)
def test_billing_is_on_only_with_a_stripe_key_and_the_trial_length_comes_from_the_environment(
    environment, expected
):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY_FILE", "BILLING_TRIAL_DAYS"}
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.BILLING_ENABLED, settings.BILLING_TRIAL_DAYS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import manage; {code}"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.test", **environment},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_a_business_without_a_subscription_gets_the_default_plan_on_first_use(cast, db):
    Subscription.objects.filter(tenant=cast.tenant_b).delete()
    subscription = subscription_for(cast.tenant_b)
    assert subscription.plan.code == "starter"
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.trial_ends_at is None
    assert subscription_for(cast.tenant_b).pk == subscription.pk


# --- operator changes -------------------------------------------------------------------


def test_an_operator_grants_a_plan_and_the_log_says_who_why_and_which(cast, db, public_client):
    # given
    client = operator_signed_in(public_client)
    group = Plan.objects.get(code="group")
    page = client.get(f"/console/tenants/{cast.tenant_a.pk}/")
    assert page.status_code == 200
    assert "Starter" in page.content.decode()
    # when
    response = client.post(
        f"/console/tenants/{cast.tenant_a.pk}/grant_plan/",
        {"grant_plan-plan": group.pk, "grant_plan-reason": "chain of five clinics"},
    )
    # then
    assert response.status_code == 302
    assert subscription_for(cast.tenant_a).plan == group
    entry = OperatorAction.objects.get(tenant=cast.tenant_a, kind=OperatorActionKind.GRANT_PLAN)
    assert entry.operator_email == OPERATOR
    assert entry.reason == "group · chain of five clinics"
    shown = client.get(f"/console/tenants/{cast.tenant_a.pk}/").content.decode()
    assert "Granted a plan" in shown and "chain of five clinics" in shown
    # and: tenant B is untouched
    assert subscription_for(cast.tenant_b).plan.code == "starter"


def test_granting_a_plan_needs_a_reason_shown_beside_the_field(cast, db, public_client):
    client = operator_signed_in(public_client)
    group = Plan.objects.get(code="group")
    response = client.post(
        f"/console/tenants/{cast.tenant_a.pk}/grant_plan/",
        {"grant_plan-plan": group.pk, "grant_plan-reason": "  "},
    )
    assert response.status_code == 400
    assert "reason" in response.context["forms"]["grant_plan"].errors
    assert 'id="id_grant_plan-reason_errors"' in response.content.decode()
    assert subscription_for(cast.tenant_a).plan.code == "starter"
    assert not OperatorAction.objects.filter(kind=OperatorActionKind.GRANT_PLAN).exists()


def test_a_withdrawn_plan_cannot_be_granted(cast, db):
    clinic = Plan.objects.get(code="clinic")
    clinic.active = False
    clinic.save(update_fields=["active"])
    with pytest.raises(ValidationError) as refused:
        subscription_grant_plan(tenant=cast.tenant_a, plan=clinic, operator=_operator(), reason="x")
    assert list(refused.value.message_dict) == ["plan"]


@pytest.mark.clock(NOW)
def test_an_operator_extends_a_trial_from_its_end_and_it_is_logged(
    cast, db, public_client, settings
):
    # given: a business in its trial
    settings.BILLING_ENABLED = True
    tenant = _signup("longtrial")
    client = operator_signed_in(public_client)
    # when
    response = client.post(
        f"/console/tenants/{tenant.pk}/extend_trial/",
        {"extend_trial-days": "10", "extend_trial-reason": "waiting for the card"},
    )
    # then
    assert response.status_code == 302
    subscription = subscription_for(tenant)
    assert subscription.status == SubscriptionStatus.TRIALING
    assert subscription.trial_ends_at == NOW + timedelta(days=14 + 10)
    entry = OperatorAction.objects.get(tenant=tenant, kind=OperatorActionKind.EXTEND_TRIAL)
    assert entry.operator_email == OPERATOR
    assert entry.reason.endswith("waiting for the card")
    assert "+10" in entry.reason


@pytest.mark.clock(NOW)
def test_extending_an_expired_trial_of_an_unpaid_business_counts_from_today(cast, db):
    Subscription.objects.filter(tenant=cast.tenant_a).update(
        status=SubscriptionStatus.PAST_DUE, trial_ends_at=NOW - timedelta(days=30)
    )
    subscription = subscription_extend_trial(
        tenant=cast.tenant_a, days=7, operator=_operator(), reason="one more week"
    )
    assert subscription.status == SubscriptionStatus.TRIALING
    assert subscription.trial_ends_at == NOW + timedelta(days=7)


def test_a_paying_business_has_no_trial_to_extend(cast, db, public_client):
    client = operator_signed_in(public_client)
    response = client.post(
        f"/console/tenants/{cast.tenant_a.pk}/extend_trial/",
        {"extend_trial-days": "10", "extend_trial-reason": "why not"},
    )
    assert response.status_code == 400
    assert "Only a business in its trial" in response.content.decode()
    assert subscription_for(cast.tenant_a).trial_ends_at is None
    assert not OperatorAction.objects.filter(kind=OperatorActionKind.EXTEND_TRIAL).exists()


@pytest.mark.parametrize("days", ["0", "366", "-3"])
def test_a_trial_extension_outside_one_to_365_days_is_refused(cast, db, public_client, days):
    Subscription.objects.filter(tenant=cast.tenant_a).update(status=SubscriptionStatus.TRIALING)
    client = operator_signed_in(public_client)
    response = client.post(
        f"/console/tenants/{cast.tenant_a.pk}/extend_trial/",
        {"extend_trial-days": days, "extend_trial-reason": "x"},
    )
    assert response.status_code == 400
    assert "days" in response.context["forms"]["extend_trial"].errors


def test_only_an_operator_may_grant_a_plan_or_extend_a_trial(cast, db, public_client, owner_a):
    # given
    group = Plan.objects.get(code="group")
    owner = staff_member(cast.tenant_a, cast.owner_a)
    # then: the services refuse anyone but a platform operator
    with pytest.raises(PermissionDenied):
        subscription_grant_plan(tenant=cast.tenant_a, plan=group, operator=owner, reason="me")
    with pytest.raises(PermissionDenied):
        subscription_extend_trial(tenant=cast.tenant_a, days=30, operator=owner, reason="me")
    # and: the console's forms are not there for the business's staff
    for action, data in [
        ("grant_plan", {"grant_plan-plan": group.pk, "grant_plan-reason": "me"}),
        ("extend_trial", {"extend_trial-days": "30", "extend_trial-reason": "me"}),
    ]:
        assert (
            owner_a.post(f"/console/tenants/{cast.tenant_a.pk}/{action}/", data).status_code == 404
        )
        assert (
            public_client.post(f"/console/tenants/{cast.tenant_a.pk}/{action}/", data).status_code
            == 302
        )
    assert subscription_for(cast.tenant_a).plan.code == "starter"
    assert not OperatorAction.objects.filter(tenant=cast.tenant_a).exists()


# --- the console's list -----------------------------------------------------------------


def test_the_console_lists_plan_and_status_at_a_constant_query_count(
    cast, db, public_client, settings, django_assert_max_num_queries
):
    # given
    client = operator_signed_in(public_client)
    with django_assert_max_num_queries(10) as few:
        client.get("/console/")
    baseline = len(few.captured_queries)
    settings.BILLING_ENABLED = True
    for n in range(4):
        _signup(f"many{n}")
    subscription_grant_plan(
        tenant=cast.tenant_b, plan=Plan.objects.get(code="clinic"), operator=_operator(), reason="x"
    )
    # when
    with django_assert_max_num_queries(baseline):
        response = client.get("/console/")
    # then
    rows = {t.name: t.subscription for t, _counts in response.context["rows"]}
    assert rows["Beta Dental"].plan.code == "clinic"
    assert rows["Shop many0"].status == SubscriptionStatus.TRIALING
    html = response.content.decode()
    assert "Clinic" in html and "Trial until" in html


def test_the_plans_page_and_a_tenants_subscription_read_in_chinese(cast, db, public_client):
    client = operator_signed_in(public_client)
    client.post("/language/", {"language": "zh-hans", "next": "/console/"})
    plans = client.get("/console/plans/").content.decode()
    assert "诊所版" in plans and "集团版" in plans and "不限" in plans
    tenant_page = client.get(f"/console/tenants/{cast.tenant_a.pk}/").content.decode()
    assert "订阅状态" in tenant_page and "入门版" in tenant_page and "授予套餐" in tenant_page


def test_the_console_filters_businesses_by_plan_and_subscription_status(
    cast, db, public_client, settings
):
    # given: B on Clinic, a new business in its trial
    client = operator_signed_in(public_client)
    subscription_grant_plan(
        tenant=cast.tenant_b, plan=Plan.objects.get(code="clinic"), operator=_operator(), reason="x"
    )
    settings.BILLING_ENABLED = True
    _signup("filtered")
    # when
    on_clinic = client.get("/console/", {"plan": "clinic"}).context["rows"]
    trialing = client.get("/console/", {"billing": "trialing"}).context["rows"]
    # then
    assert [t.name for t, _c in on_clinic] == ["Beta Dental"]
    assert [t.name for t, _c in trialing] == ["Shop filtered"]
    assert client.get("/console/", {"plan": "nope"}).context["rows"] == []
    # and: an unknown status filters nothing
    everyone = client.get("/console/", {"billing": "nope"}).context["rows"]
    assert {"Alpha Aesthetics", "Beta Dental", "Shop filtered"} <= {t.name for t, _c in everyone}
    # and: the console counts the businesses in their trial and those that owe
    Subscription.objects.filter(tenant=cast.tenant_a).update(status=SubscriptionStatus.PAST_DUE)
    totals = client.get("/console/").context["totals"]
    assert (totals["trialing"], totals["unpaid"]) == (1, 1)
    # and: the Plans page's count of businesses links to the filtered list
    assert '/console/?plan=clinic">1</a>' in client.get("/console/plans/").content.decode()
