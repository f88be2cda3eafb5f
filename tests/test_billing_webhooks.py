"""Stripe's webhooks (billing.sync): signatures, replays, events in any order, and the
grace period's steps (billing.services, the billing.enforce_grace task).

Stripe itself is replaced by a dict of subscriptions the handler "fetches"
(``billing.sync.fetch_subscription``), so the state Stripe holds is set per test; events
are signed here with Stripe's own scheme."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
import stripe
import time_machine
from django.db import connection
from django.utils import timezone

from billing import sync
from billing.access import is_billing_locked
from billing.models import BillingEvent, Subscription, SubscriptionStatus
from billing.services import subscription_for
from billing.tasks import enforce_grace

SECRET = "whsec_test_webhooks"
URL = "/billing/stripe/webhook/"
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
_ids = count(1)


@pytest.fixture
def billing_on(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_webhooks"
    settings.BILLING_ENABLED = True
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.BILLING_GRACE_DAYS = 7
    settings.STRIPE_PRICE_IDS = [
        "clinic.USD.monthly=price_clinic_usd_monthly",
        "starter.USD.monthly=price_starter_usd_monthly",
    ]
    return settings


@pytest.fixture
def stripe_state(monkeypatch, billing_on):
    """What Stripe holds: subscription id -> subscription dict; the handler's fetches."""
    state: dict[str, dict] = {}
    fetched: list[str] = []

    def fetch(sub_id):
        fetched.append(sub_id)
        if sub_id not in state:
            raise stripe.InvalidRequestError("No such subscription", "id", code="resource_missing")
        return json.loads(json.dumps(state[sub_id]))

    monkeypatch.setattr(sync, "fetch_subscription", fetch)
    state["_fetched"] = fetched  # type: ignore[assignment]
    return state


def _subscription(tenant, *, sub_id="sub_1", status="active", customer="cus_1", price=None):
    end = int((timezone.now() + timedelta(days=30)).timestamp())
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": False,
        "metadata": {"tenant": tenant.schema_name} if tenant is not None else {},
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "price": {
                        "id": price or "price_clinic_usd_monthly",
                        "currency": "usd",
                        "unit_amount": 4900,
                        "recurring": {"interval": "month"},
                    },
                    "quantity": 1,
                    "current_period_start": int(timezone.now().timestamp()),
                    "current_period_end": end,
                }
            ],
        },
        "latest_invoice": "in_1",
        "trial_end": None,
    }


def _invoice(tenant, *, sub_id="sub_1", status="paid", customer="cus_1"):
    return {
        "id": f"in_{next(_ids)}",
        "object": "invoice",
        "customer": customer,
        "status": status,
        "amount_due": 4900,
        "amount_paid": 4900 if status == "paid" else 0,
        "currency": "usd",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": sub_id,
                "metadata": {"tenant": tenant.schema_name} if tenant is not None else {},
            },
        },
    }


def _event(kind, obj, *, created=None):
    return {
        "id": f"evt_{next(_ids)}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(created if created is not None else time.time()),
        "livemode": False,
        "type": kind,
        "data": {"object": obj},
    }


def _signed(event, *, secret=SECRET, timestamp=None):
    payload = json.dumps(event).encode()
    header = stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=timestamp
    )
    return payload, header


def _post(client, event, **kwargs):
    payload, header = _signed(event, **kwargs)
    return client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )


def _row(tenant) -> Subscription:
    return Subscription.objects.select_related("plan").get(tenant=tenant)


# --- signatures ------------------------------------------------------------------------------


def test_a_bad_secret_a_tampered_body_a_stale_timestamp_or_no_header_is_refused(
    cast, db, public_client, stripe_state
):
    # given: a genuine-looking event for tenant A
    tenant = cast.tenant_a
    stripe_state["sub_1"] = _subscription(tenant)
    event = _event("customer.subscription.created", _subscription(tenant))
    # when / then: signed with another secret
    response = _post(public_client, event, secret="whsec_someone_else")
    assert response.status_code == 400
    assert b"signature" in response.content
    # a body changed after signing
    payload, header = _signed(event)
    tampered = payload.replace(b'"active"', b'"trialing"')
    response = public_client.post(
        URL, data=tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    # signed longer ago than Stripe's tolerance
    stale = int(time.time()) - stripe.Webhook.DEFAULT_TOLERANCE - 60
    assert _post(public_client, event, timestamp=stale).status_code == 400
    # no signature at all
    response = public_client.post(URL, data=payload, content_type="application/json")
    assert response.status_code == 400
    # nothing was stored or changed
    assert not BillingEvent.objects.exists()
    assert _row(tenant).stripe_subscription_id == ""


def test_a_malformed_body_is_refused_and_only_post_is_answered(
    cast, db, public_client, stripe_state
):
    payload = b"not json"
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), SECRET)
    response = public_client.post(
        URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert _post(public_client, {"id": "evt_x"}).status_code == 400
    assert public_client.get(URL).status_code == 405


def test_with_billing_off_the_webhook_is_not_there(cast, db, public_client, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_ENABLED = False
    settings.STRIPE_WEBHOOK_SECRET = ""
    event = _event("invoice.paid", _invoice(cast.tenant_a))
    assert _post(public_client, event, secret="whsec_any").status_code == 404


# --- storing once; unknown types --------------------------------------------------------------


def test_a_replayed_event_changes_nothing_and_is_stored_once(cast, db, public_client, stripe_state):
    # given: tenant A's subscription became active
    tenant = cast.tenant_a
    stripe_state["sub_1"] = _subscription(tenant)
    event = _event("customer.subscription.created", _subscription(tenant))
    assert _post(public_client, event).status_code == 200
    row = _row(tenant)
    assert row.status == SubscriptionStatus.ACTIVE
    assert row.stripe_subscription_id == "sub_1"
    assert row.plan.code == "clinic"
    assert row.currency == "USD"
    # when: Stripe has since said it is past due, and the old event is delivered again
    stripe_state["sub_1"]["status"] = "past_due"
    Subscription.objects.filter(pk=row.pk).update(status=SubscriptionStatus.ACTIVE)
    before = _row(tenant).updated_at
    assert _post(public_client, event).status_code == 200
    # then: one row, and the replay touched nothing (not even a fetch)
    assert BillingEvent.objects.filter(stripe_event_id=event["id"]).count() == 1
    assert _row(tenant).updated_at == before
    assert sync.handle_event(*_signed(event)) is None


def test_an_unknown_event_type_is_stored_and_ignored(cast, db, public_client, stripe_state):
    event = _event("customer.created", {"id": "cus_9", "object": "customer"})
    assert _post(public_client, event).status_code == 200
    stored = BillingEvent.objects.get(stripe_event_id=event["id"])
    assert stored.outcome == "ignored type"
    assert stored.tenant is None


# --- any order ---------------------------------------------------------------------------------


def test_subscription_updated_before_created_ends_in_the_newer_state(
    cast, db, public_client, stripe_state
):
    # given: Stripe's subscription was created active, then its payment failed
    tenant = cast.tenant_a
    t0 = int(time.time()) - 120
    created = _event("customer.subscription.created", _subscription(tenant), created=t0)
    updated = _event(
        "customer.subscription.updated",
        _subscription(tenant, status="past_due"),
        created=t0 + 60,
    )
    stripe_state["sub_1"] = _subscription(tenant, status="past_due")
    # when: the update arrives first, then the (older) creation
    assert _post(public_client, updated).status_code == 200
    assert _row(tenant).status == SubscriptionStatus.PAST_DUE
    assert _post(public_client, created).status_code == 200
    # then: the older event did not bring "active" back
    row = _row(tenant)
    assert row.status == SubscriptionStatus.PAST_DUE
    assert row.past_due_since is not None
    assert BillingEvent.objects.filter(tenant=tenant).count() == 2


def test_invoice_paid_before_payment_failed_ends_active_from_stripes_state(
    cast, db, public_client, stripe_state
):
    # given: the payment failed, then a retry succeeded; Stripe holds the subscription active
    tenant = cast.tenant_a
    stripe_state["sub_1"] = _subscription(tenant, status="active")
    paid = _event("invoice.paid", _invoice(tenant))
    failed = _event("invoice.payment_failed", _invoice(tenant, status="open"))
    # when: they arrive the wrong way round
    assert _post(public_client, paid).status_code == 200
    assert _post(public_client, failed).status_code == 200
    # then: the handler asked Stripe each time and stays active
    row = _row(tenant)
    assert row.status == SubscriptionStatus.ACTIVE
    assert row.past_due_since is None
    assert stripe_state["_fetched"] == ["sub_1", "sub_1"]
    outcomes = list(BillingEvent.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes[0].startswith("status active")
    assert outcomes[1] == "status active unchanged"


def test_checkout_completed_links_the_business_by_client_reference_id(
    cast, db, public_client, stripe_state
):
    tenant = cast.tenant_a
    stripe_state["sub_7"] = _subscription(None, sub_id="sub_7", customer="cus_7")
    session = {
        "id": "cs_1",
        "object": "checkout.session",
        "mode": "subscription",
        "customer": "cus_7",
        "subscription": "sub_7",
        "client_reference_id": tenant.schema_name,
        "metadata": {},
        "status": "complete",
        "payment_status": "paid",
    }
    assert _post(public_client, _event("checkout.session.completed", session)).status_code == 200
    row = _row(tenant)
    assert (row.stripe_customer_id, row.stripe_subscription_id) == ("cus_7", "sub_7")
    assert row.status == SubscriptionStatus.ACTIVE
    assert row.current_period_end is not None
    # a later invoice names only the customer: still found
    invoice = _invoice(None, sub_id="sub_7", customer="cus_7")
    assert _post(public_client, _event("invoice.paid", invoice)).status_code == 200
    assert BillingEvent.objects.filter(tenant=tenant).count() == 2


def test_an_event_for_an_unknown_business_is_stored_and_changes_nothing(
    cast, db, public_client, stripe_state
):
    stripe_state["sub_9"] = _subscription(None, sub_id="sub_9", customer="cus_9")
    event = _event("invoice.paid", _invoice(None, sub_id="sub_9", customer="cus_9"))
    assert _post(public_client, event).status_code == 200
    assert BillingEvent.objects.get(stripe_event_id=event["id"]).outcome == "unknown tenant"
    assert not Subscription.objects.filter(stripe_subscription_id="sub_9").exists()


def test_an_event_naming_tenant_a_never_changes_tenant_b(cast, db, public_client, stripe_state):
    # given: B pays with sub_b; A's event claims B's subscription
    a, b = cast.tenant_a, cast.tenant_b
    subscription_for(a)
    stripe_state["sub_b"] = _subscription(b, sub_id="sub_b", customer="cus_b")
    assert (
        _post(
            public_client, _event("customer.subscription.created", stripe_state["sub_b"])
        ).status_code
        == 200
    )
    b_before = _row(b)
    a_before = _row(a)
    forged = _subscription(a, sub_id="sub_b", customer="cus_b", status="canceled")
    # when
    assert _post(public_client, _event("customer.subscription.updated", forged)).status_code == 200
    # then: neither row changed
    b_after, a_after = _row(b), _row(a)
    assert (b_after.status, b_after.stripe_subscription_id) == (
        SubscriptionStatus.ACTIVE,
        "sub_b",
    )
    assert b_after.updated_at == b_before.updated_at
    assert a_after.updated_at == a_before.updated_at
    assert a_after.stripe_subscription_id == ""


def test_a_deleted_subscription_closes_the_business_subscription(
    cast, db, public_client, stripe_state
):
    tenant = cast.tenant_a
    stripe_state["sub_1"] = _subscription(tenant)
    assert (
        _post(
            public_client, _event("customer.subscription.created", _subscription(tenant))
        ).status_code
        == 200
    )
    stripe_state["sub_1"]["status"] = "canceled"
    later = int(time.time()) + 5
    deleted = _event(
        "customer.subscription.deleted", _subscription(tenant, status="canceled"), created=later
    )
    assert _post(public_client, deleted, timestamp=int(time.time())).status_code == 200
    assert _row(tenant).status == SubscriptionStatus.CLOSED


# --- grace, suspension, payment -------------------------------------------------------------


@pytest.mark.clock(NOW)
def test_failure_grace_suspension_payment_active(cast, db, public_client, stripe_state):
    tenant = cast.tenant_a
    # given: an active subscription whose payment fails
    stripe_state["sub_1"] = _subscription(tenant)
    _post(public_client, _event("customer.subscription.created", _subscription(tenant)))
    stripe_state["sub_1"]["status"] = "past_due"
    _post(public_client, _event("invoice.payment_failed", _invoice(tenant, status="open")))
    row = _row(tenant)
    assert row.status == SubscriptionStatus.PAST_DUE
    assert row.past_due_since == NOW
    assert not is_billing_locked(tenant)
    # when: six days pass, the business still works
    with time_machine.travel(NOW + timedelta(days=6), tick=False):
        enforce_grace()
        assert _row(tenant).status == SubscriptionStatus.PAST_DUE
        # a second failure keeps the first date
        _post(public_client, _event("invoice.payment_failed", _invoice(tenant, status="open")))
        assert _row(tenant).past_due_since == NOW
    # when: the grace period is over
    later = NOW + timedelta(days=7, hours=1)
    with time_machine.travel(later, tick=False):
        enforce_grace()
        row = _row(tenant)
        assert row.status == SubscriptionStatus.SUSPENDED_UNPAID
        assert row.suspended_at == later
        assert is_billing_locked(tenant)
        assert not is_billing_locked(cast.tenant_b)
        # Stripe still saying past_due does not lift the suspension
        stripe_state["sub_1"]["status"] = "past_due"
        _post(public_client, _event("invoice.payment_failed", _invoice(tenant, status="open")))
        assert _row(tenant).status == SubscriptionStatus.SUSPENDED_UNPAID
    # when: the business pays
    with time_machine.travel(later + timedelta(days=1), tick=False):
        stripe_state["sub_1"]["status"] = "active"
        _post(public_client, _event("invoice.paid", _invoice(tenant)))
        row = _row(tenant)
        assert row.status == SubscriptionStatus.ACTIVE
        assert (row.past_due_since, row.suspended_at) == (None, None)
        assert not is_billing_locked(tenant)


@pytest.mark.clock(NOW)
def test_a_trial_that_ends_without_a_stripe_subscription_is_suspended(cast, db, billing_on):
    # given: A in its trial ending tomorrow, B in a trial but with a Stripe subscription
    a, b = cast.tenant_a, cast.tenant_b
    for tenant in (a, b):
        subscription_for(tenant)
    Subscription.objects.filter(tenant=a).update(
        status=SubscriptionStatus.TRIALING, trial_ends_at=NOW + timedelta(days=1)
    )
    Subscription.objects.filter(tenant=b).update(
        status=SubscriptionStatus.TRIALING,
        trial_ends_at=NOW + timedelta(days=1),
        stripe_subscription_id="sub_b",
    )
    enforce_grace()
    assert _row(a).status == SubscriptionStatus.TRIALING
    # when: the trial's end passes
    with time_machine.travel(NOW + timedelta(days=1, minutes=1), tick=False):
        enforce_grace()
    # then
    assert _row(a).status == SubscriptionStatus.SUSPENDED_UNPAID
    assert _row(a).suspended_at == NOW + timedelta(days=1, minutes=1)
    assert _row(b).status == SubscriptionStatus.TRIALING


def test_with_billing_off_nobody_is_suspended_or_locked(cast, db, settings):
    settings.BILLING_ENABLED = False
    subscription_for(cast.tenant_a)
    Subscription.objects.filter(tenant=cast.tenant_a).update(
        status=SubscriptionStatus.PAST_DUE, past_due_since=timezone.now() - timedelta(days=99)
    )
    enforce_grace()
    assert _row(cast.tenant_a).status == SubscriptionStatus.PAST_DUE
    Subscription.objects.filter(tenant=cast.tenant_a).update(
        status=SubscriptionStatus.SUSPENDED_UNPAID
    )
    assert not is_billing_locked(cast.tenant_a)


def test_the_grace_task_runs_in_the_public_schema_and_is_scheduled_hourly(cast, db, billing_on):
    from django_tenants.utils import schema_context

    from config.celery_app import app

    assert connection.schema_name == "public"
    assert enforce_grace.apply().successful()
    with schema_context(cast.tenant_a.schema_name), pytest.raises(RuntimeError):
        enforce_grace()
    entries = [e for e in app.conf.beat_schedule.values() if e["task"] == "billing.enforce_grace"]
    assert len(entries) == 1
    assert "billing.enforce_grace" in app.tasks


# --- refresh -------------------------------------------------------------------------------


def test_refresh_fetches_the_subscription_and_syncs_it(cast, db, stripe_state):
    tenant = cast.tenant_a
    row = subscription_for(tenant)
    assert sync.refresh(row) is row  # nothing at Stripe yet: unchanged
    Subscription.objects.filter(pk=row.pk).update(stripe_subscription_id="sub_1")
    stripe_state["sub_1"] = _subscription(tenant, status="past_due")
    row = sync.refresh(_row(tenant))
    assert row.status == SubscriptionStatus.PAST_DUE
    assert row.plan.code == "clinic"
    # an older state given to sync_subscription is ignored
    old = _subscription(tenant, status="active")
    sync.sync_subscription(old, at=timezone.now() - timedelta(hours=1))
    assert _row(tenant).status == SubscriptionStatus.PAST_DUE


# --- against the Stripe stand-in ---------------------------------------------------------------


def _deliver(client, standin, events):
    for event in events:
        payload, header = standin.signed(event)
        response = client.post(
            URL, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        assert response.status_code == 200, response.content


def test_checkout_failure_and_payment_through_the_stand_in_in_any_order(
    cast, db, public_client, stripe_standin
):
    from billing import stripe_api
    from billing.models import PlanPrice

    # given: tenant A checks out the clinic plan
    tenant = cast.tenant_a
    subscription_for(tenant)
    row_price = PlanPrice.objects.select_related("plan").filter(plan__code="clinic").first()
    price = f"price_clinic_{row_price.currency.lower()}_monthly"
    session = stripe_api.client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer_email": "owner@alpha.test",
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": "https://alpha.localhost/settings/billing/?s={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://alpha.localhost/settings/billing/",
            "client_reference_id": tenant.schema_name,
            "metadata": {"tenant": tenant.schema_name},
            "subscription_data": {"metadata": {"tenant": tenant.schema_name}},
        }
    )
    # when: the three events arrive last first
    events = stripe_standin.complete_checkout(session.id, deliver=False)
    _deliver(public_client, stripe_standin, reversed(events))
    # then
    row = _row(tenant)
    sub_id = events[1]["data"]["object"]["id"]
    assert row.status == SubscriptionStatus.ACTIVE
    assert row.stripe_subscription_id == sub_id
    assert row.stripe_customer_id == events[0]["data"]["object"]["customer"]
    assert (row.plan.code, row.currency, row.interval) == ("clinic", row_price.currency, "monthly")
    assert row.current_period_end is not None
    assert ("GET", f"/v1/subscriptions/{sub_id}", {}) in [
        (m, p, {}) for m, p, _params in stripe_standin.requests
    ]
    # when: a renewal fails (the update first), then is paid; the failure is redelivered
    failed = stripe_standin.fail_payment(sub_id, deliver=False)
    _deliver(public_client, stripe_standin, reversed(failed))
    assert _row(tenant).status == SubscriptionStatus.PAST_DUE
    paid = stripe_standin.pay(sub_id, deliver=False)
    _deliver(public_client, stripe_standin, paid)
    late_failure = dict(failed[0], id="evt_late_copy")
    _deliver(public_client, stripe_standin, [late_failure, failed[0]])
    # then: Stripe's state wins: active, dates cleared; six events and one late copy stored
    row = _row(tenant)
    assert row.status == SubscriptionStatus.ACTIVE
    assert row.past_due_since is None
    assert BillingEvent.objects.filter(tenant=tenant).count() == 8
    assert not BillingEvent.objects.filter(tenant=cast.tenant_b).exists()


def test_a_cancelled_subscription_through_the_stand_in_closes(
    cast, db, public_client, stripe_standin
):
    from billing import stripe_api
    from billing.models import PlanPrice

    tenant = cast.tenant_a
    row_price = PlanPrice.objects.select_related("plan").filter(plan__code="clinic").first()
    session = stripe_api.client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer_email": "owner@alpha.test",
            "line_items": [
                {"price": f"price_clinic_{row_price.currency.lower()}_monthly", "quantity": 1}
            ],
            "success_url": "https://alpha.localhost/ok",
            "cancel_url": "https://alpha.localhost/no",
            "client_reference_id": tenant.schema_name,
            "metadata": {"tenant": tenant.schema_name},
            "subscription_data": {"metadata": {"tenant": tenant.schema_name}},
        }
    )
    events = stripe_standin.complete_checkout(session.id, deliver=False)
    _deliver(public_client, stripe_standin, events)
    sub_id = events[1]["data"]["object"]["id"]
    _deliver(public_client, stripe_standin, stripe_standin.cancel(sub_id, deliver=False))
    assert _row(tenant).status == SubscriptionStatus.CLOSED
    # refresh agrees with Stripe
    assert sync.refresh(_row(tenant)).status == SubscriptionStatus.CLOSED


def test_two_deliveries_of_one_event_at_once_store_it_once(cast, db, stripe_state, monkeypatch):
    # given: the event was stored by a simultaneous delivery after this one's check
    tenant = cast.tenant_a
    stripe_state["sub_1"] = _subscription(tenant)
    event = _event("invoice.paid", _invoice(tenant))
    assert sync.handle_event(*_signed(event)) is not None
    monkeypatch.setattr(sync, "_stored", lambda event_id: False)
    # when: this delivery inserts too: the unique constraint refuses it
    assert sync.handle_event(*_signed(event)) is None
    # then: one row, and the handler can still use the connection
    assert BillingEvent.objects.filter(stripe_event_id=event["id"]).count() == 1
    assert _row(tenant).status == SubscriptionStatus.ACTIVE
