"""The loopback Stripe stand-in answers the real ``stripe`` library as Stripe would (the
shapes of API version 2026-10-28.endive), and its events verify with Stripe's own code."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe
from django.conf import settings

from billing import stripe_api
from billing.models import Interval, Plan, PlanPrice


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _post(url: str, data: dict | None = None) -> tuple[int, dict, str]:
    body = urllib.parse.urlencode(data or {}).encode()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=body, method="POST"), timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _checkout(client, customer_id: str, price: str, tenant: str = "alpha"):
    return client.v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer_id,
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": "http://alpha.localhost/settings/billing/?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://alpha.localhost/settings/billing/",
            "client_reference_id": tenant,
            "metadata": {"tenant": tenant},
            "subscription_data": {"metadata": {"tenant": tenant}},
        }
    )


def _subscribed(stripe_standin, price: str = "price_clinic_usd_monthly"):
    client = stripe_api.client()
    customer = client.v1.customers.create(params={"email": "owner@alpha.test"})
    session = _checkout(client, customer.id, price)
    stripe_standin.complete_checkout(session.id)
    session = client.v1.checkout.sessions.retrieve(session.id)
    return client, customer, client.v1.subscriptions.retrieve(session.subscription)


def test_the_fixture_registers_every_plan_price_and_points_the_settings_at_the_standin(
    stripe_standin,
):
    assert settings.BILLING_ENABLED is True
    assert stripe_standin.url == settings.STRIPE_API_BASE
    assert stripe_standin.url.startswith("http://127.0.0.1:")
    clinic = Plan.objects.get(code="clinic")
    row = PlanPrice.objects.get(plan=clinic, currency="USD")
    assert stripe_api.price_id(clinic, "USD", Interval.MONTHLY) == "price_clinic_usd_monthly"
    assert stripe_api.price_key("price_clinic_usd_yearly").interval == Interval.YEARLY
    price = stripe_api.client().v1.prices.retrieve("price_clinic_usd_monthly")
    assert price.unit_amount == int(row.monthly * 100)
    assert price.currency == "usd" and price.recurring.interval == "month"
    assert len(settings.STRIPE_PRICE_IDS) == 2 * PlanPrice.objects.count()


def test_checkout_through_the_hosted_page_makes_an_active_subscription(stripe_standin):
    client = stripe_api.client()
    customer = client.v1.customers.create(params={"email": "owner@alpha.test"})
    assert customer.id.startswith("cus_")
    assert client.v1.customers.retrieve(customer.id).email == "owner@alpha.test"
    session = _checkout(client, customer.id, "price_clinic_usd_monthly")
    assert session.id.startswith("cs_") and session.status == "open"
    assert session.url == f"{stripe_standin.url}/checkout/{session.id}"

    page = _get(session.url)
    assert "Pay" in page and "Decline card" in page and "USD" in page
    status, _, declined = _post(f"{session.url}/decline")
    assert status == 402 and "declined" in declined
    status, headers, _ = _post(f"{session.url}/pay")
    assert status == 303
    assert headers["Location"] == (f"http://alpha.localhost/settings/billing/?session={session.id}")

    session = client.v1.checkout.sessions.retrieve(session.id)
    assert session.status == "complete" and session.payment_status == "paid"
    assert session.client_reference_id == "alpha" and session.metadata["tenant"] == "alpha"
    sub = client.v1.subscriptions.retrieve(session.subscription)
    assert sub.status == "active" and sub.customer == customer.id
    assert sub.metadata["tenant"] == "alpha"
    item = sub["items"].data[0]
    assert item.price.id == "price_clinic_usd_monthly" and item.quantity == 1
    assert item.current_period_end > item.current_period_start
    invoice = client.v1.invoices.retrieve(sub.latest_invoice)
    assert invoice.status == "paid"
    assert invoice.parent.subscription_details.subscription == sub.id
    assert [e["type"] for e in stripe_standin.events] == [
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.paid",
    ]
    assert [s.id for s in client.v1.subscriptions.list(params={"customer": customer.id}).data] == [
        sub.id
    ]
    assert ("POST", "/v1/checkout/sessions") in [(m, p) for m, p, _ in stripe_standin.requests]


def test_a_new_price_is_previewed_prorated_and_then_applied(stripe_standin):
    client, customer, sub = _subscribed(stripe_standin)
    item = sub["items"].data[0]
    start, end = item.current_period_start, item.current_period_end
    stripe_standin.clock = lambda: start + (end - start) // 2  # half the period is left
    clinic = PlanPrice.objects.get(plan__code="clinic", currency="USD").monthly * 100
    group = PlanPrice.objects.get(plan__code="group", currency="USD").monthly * 100
    fraction = (end - (start + (end - start) // 2)) / (end - start)

    preview = client.v1.invoices.create_preview(
        params={
            "customer": customer.id,
            "subscription": sub.id,
            "subscription_details": {
                "items": [{"id": item.id, "price": "price_group_usd_monthly"}],
                "proration_behavior": "always_invoice",
            },
        }
    )
    assert preview.currency == "usd"
    assert preview.amount_due == round(int(group) * fraction) - round(int(clinic) * fraction)
    assert all(line.proration for line in preview.lines.data)

    updated = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item.id, "price": "price_group_usd_monthly"}],
            "proration_behavior": "always_invoice",
        },
    )
    new_item = updated["items"].data[0]
    assert new_item.price.id == "price_group_usd_monthly"
    assert new_item.current_period_end == end  # same interval: the period is kept
    invoice = client.v1.invoices.retrieve(updated.latest_invoice)
    assert invoice.amount_paid == preview.amount_due
    assert [e["type"] for e in stripe_standin.events[-2:]] == [
        "customer.subscription.updated",
        "invoice.paid",
    ]

    yearly = client.v1.subscriptions.update(
        sub.id,
        params={
            "items": [{"id": item.id, "price": "price_group_usd_yearly"}],
            "proration_behavior": "create_prorations",
        },
    )
    assert yearly["items"].data[0].current_period_end > end  # a new yearly period from now


def test_the_portal_cancels_at_the_period_end(stripe_standin):
    client, customer, sub = _subscribed(stripe_standin)
    portal = client.v1.billing_portal.sessions.create(
        params={"customer": customer.id, "return_url": "http://alpha.localhost/settings/billing/"}
    )
    assert portal.url.startswith(f"{stripe_standin.url}/portal/")
    page = _get(portal.url)
    assert "Cancel subscription" in page and "http://alpha.localhost/settings/billing/" in page
    status, headers, _ = _post(f"{portal.url}/cancel", {"subscription": sub.id})
    assert status == 303
    sub = client.v1.subscriptions.retrieve(sub.id)
    assert sub.cancel_at_period_end is True and sub.status == "active"
    assert stripe_standin.events[-1]["type"] == "customer.subscription.updated"


def test_failed_payment_pay_and_cancel_drive_the_subscription(stripe_standin):
    client, _, sub = _subscribed(stripe_standin)
    failed = stripe_standin.fail_payment(sub.id)
    assert [e["type"] for e in failed] == [
        "invoice.payment_failed",
        "customer.subscription.updated",
    ]
    assert failed[0]["data"]["object"]["status"] == "open"
    assert client.v1.subscriptions.retrieve(sub.id).status == "past_due"
    paid = stripe_standin.pay(sub.id)
    assert [e["type"] for e in paid] == ["invoice.paid", "customer.subscription.updated"]
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    cancelled = stripe_standin.cancel(sub.id)
    assert [e["type"] for e in cancelled] == ["customer.subscription.deleted"]
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    assert client.v1.subscriptions.list(params={"customer": sub.customer}).data == []


def test_a_bad_key_and_an_unknown_object_are_refused_as_stripe_refuses_them(stripe_standin):
    bad = stripe.StripeClient("sk_test_wrong", base_addresses={"api": stripe_standin.url})
    with pytest.raises(stripe.AuthenticationError):
        bad.v1.customers.create(params={"email": "x@y.test"})
    with pytest.raises(stripe.InvalidRequestError) as error:
        stripe_api.client().v1.subscriptions.retrieve("sub_missing")
    assert error.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as error:
        _checkout(stripe_api.client(), "cus_missing", "price_clinic_usd_monthly")
    assert error.value.param == "customer"


def test_signed_events_verify_with_stripes_own_code_and_a_tampered_one_does_not(stripe_standin):
    _subscribed(stripe_standin)
    event = stripe_standin.events[1]
    assert event["api_version"] == "2026-10-28.endive" and event["object"] == "event"
    payload, header = stripe_standin.signed(event)
    verified = stripe.Webhook.construct_event(payload, header, settings.STRIPE_WEBHOOK_SECRET)
    assert verified.type == "customer.subscription.created"
    assert verified.data.object["items"].data[0].current_period_end
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload.replace(b"active", b"paused"), header, settings.STRIPE_WEBHOOK_SECRET
        )
    other, other_header = stripe_standin.signed(event, secret="whsec_other")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(other, other_header, settings.STRIPE_WEBHOOK_SECRET)


def test_events_are_delivered_signed_in_order_to_the_webhook_url(stripe_standin):
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers["Host"], self.headers["Stripe-Signature"], body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        stripe_standin.webhook_url = f"http://127.0.0.1:{server.server_address[1]}/hook/"
        stripe_standin.webhook_host = "localhost"
        client, _, sub = _subscribed(stripe_standin)
        client.v1.subscriptions.update(sub.id, params={"cancel_at_period_end": True})
        stripe_standin.drain()
    finally:
        server.shutdown()
        server.server_close()
    types = [json.loads(body)["type"] for _, _, body in received]
    assert types == [
        "checkout.session.completed",
        "customer.subscription.created",
        "invoice.paid",
        "customer.subscription.updated",
    ]
    for host, signature, body in received:
        assert host == "localhost"
        stripe.Webhook.construct_event(body, signature, settings.STRIPE_WEBHOOK_SECRET)
    assert [status for _, status in stripe_standin.deliveries] == [200] * 4


@pytest.mark.clock(datetime(2026, 1, 31, 9, 0, tzinfo=UTC))
def test_periods_follow_the_frozen_clock_by_calendar_month(stripe_standin):
    _, _, sub = _subscribed(stripe_standin)
    item = sub["items"].data[0]
    assert item.current_period_start == int(datetime(2026, 1, 31, 9, 0, tzinfo=UTC).timestamp())
    assert item.current_period_end == int(datetime(2026, 2, 28, 9, 0, tzinfo=UTC).timestamp())
    payload, header = stripe_standin.signed(stripe_standin.events[0])
    stripe.Webhook.construct_event(payload, header, settings.STRIPE_WEBHOOK_SECRET)


def test_expand_turns_an_id_into_its_object(stripe_standin):
    client, _, sub = _subscribed(stripe_standin)
    expanded = client.v1.subscriptions.retrieve(sub.id, params={"expand": ["latest_invoice"]})
    assert expanded.latest_invoice.status == "paid"
    assert expanded.latest_invoice.parent.subscription_details.subscription == sub.id
