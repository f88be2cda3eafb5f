"""Stripe's webhook events, converged onto each business's one ``Subscription`` row.

Why a small sync of our own rather than dj-stripe: a business has exactly one
subscription, kept in the public schema beside its tenant row. dj-stripe would mirror
dozens of Stripe object tables (customers, prices, invoices, payment methods, ...) into
the public schema, and its webhook processing assumes one database schema layout, not
django-tenants' public/tenant split. What we need is six event types converging on one
row, which is this module.

The rules:

- ``handle_event`` verifies Stripe's signature (``STRIPE_WEBHOOK_SECRET``, Stripe's
  default tolerance of five minutes); a bad, missing or stale one is refused
  (``WebhookRefused``; the view answers 400).
- Each event id is stored once (``BillingEvent.stripe_event_id`` is unique); a replay
  finds it and does nothing. Two deliveries racing each other meet at the unique
  constraint: the loser's transaction is rolled back and it, too, does nothing.
- Events may arrive in any order. For checkout and invoice events the subscription is
  fetched from Stripe rather than read from the event; a subscription event's object is
  used only when the event is newer than what we last synced (``stripe_synced_at``),
  otherwise (older, or the same second: in doubt) the subscription is fetched.
- The business is found from ``metadata.tenant`` (its schema name, which checkout puts
  on the session and the subscription), the session's ``client_reference_id``, the
  subscription's metadata, or the Stripe customer id recorded on its row. An event whose
  Stripe subscription or customer is already recorded on another business changes
  nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import stripe_api
from billing.models import BillingEvent, Interval, Plan, Subscription, SubscriptionStatus
from tenants.models import Tenant

SUBSCRIPTION_EVENTS = frozenset(
    {
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
    }
)
INVOICE_EVENTS = frozenset({"invoice.paid", "invoice.payment_failed"})
CHECKOUT_EVENTS = frozenset({"checkout.session.completed"})
HANDLED_EVENTS = SUBSCRIPTION_EVENTS | INVOICE_EVENTS | CHECKOUT_EVENTS

# Stripe's subscription status -> ours; a status not named here (incomplete, paused)
# leaves ours as it is.
STATUS_MAP = {
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.PAST_DUE,
    "canceled": SubscriptionStatus.CLOSED,
    "incomplete_expired": SubscriptionStatus.CLOSED,
}
_TERMINAL_STRIPE = frozenset({"canceled", "incomplete_expired"})
_INTERVALS = {"month": Interval.MONTHLY, "year": Interval.YEARLY}


class WebhookRefused(Exception):
    """The call is not a genuine, well-formed Stripe event; ``reason`` is one of REASONS,
    fixed words the webhook answers with (never anything from the request)."""

    REASONS = frozenset(
        {"webhooks are not configured", "bad signature", "malformed payload", "malformed event"}
    )

    def __init__(self, reason: str):
        if reason not in self.REASONS:
            raise ValueError(f"not a fixed webhook refusal: {reason!r}")
        super().__init__(reason)
        self.reason = reason


def _ts(value) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def _as_dict(obj) -> dict:
    """A plain dict of a Stripe object (the client's) or a dict (an event's)."""
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return dict(obj)


def _metadata_tenant(obj: dict) -> str:
    metadata = obj.get("metadata") or {}
    return str(metadata.get("tenant") or "") if isinstance(metadata, dict) else ""


def _invoice_subscription(invoice: dict) -> tuple[str, str]:
    """(subscription id, tenant named in the subscription's metadata) of an invoice: in
    this API version at ``parent.subscription_details``."""
    details = ((invoice.get("parent") or {}).get("subscription_details")) or {}
    sub_id = details.get("subscription") or invoice.get("subscription") or ""
    if isinstance(sub_id, dict):
        sub_id = sub_id.get("id") or ""
    return str(sub_id), _metadata_tenant(details)


# --- fetching from Stripe ------------------------------------------------------------------


def fetch_subscription(stripe_subscription_id: str) -> dict:
    return _as_dict(stripe_api.client().v1.subscriptions.retrieve(stripe_subscription_id))


def _latest_for_customer(customer_id: str) -> dict | None:
    """The customer's live subscription (else its newest) from Stripe, or None."""
    found = stripe_api.client().v1.subscriptions.list({"customer": customer_id, "status": "all"})
    subs = [_as_dict(s) for s in (found.data or [])]
    if not subs:
        return None
    live = [s for s in subs if s.get("status") not in _TERMINAL_STRIPE]
    return max(live or subs, key=lambda s: int(s.get("created") or 0))


# --- finding the business ------------------------------------------------------------------


def _tenant_by_schema(schema: str) -> Tenant | None:
    if not schema or schema == settings.PUBLIC_SCHEMA_NAME:
        return None
    return Tenant.objects.filter(schema_name=schema).first()


def _tenant_for(*, schema_hints: list[str], customer: str, sub_id: str) -> Tenant | None:
    for schema in schema_hints:
        tenant = _tenant_by_schema(schema)
        if tenant is not None:
            return tenant
    for field, value in (("stripe_subscription_id", sub_id), ("stripe_customer_id", customer)):
        if value:
            row = Subscription.objects.filter(**{field: value}).select_related("tenant").first()
            if row is not None:
                return row.tenant
    return None


def _claimed_elsewhere(tenant: Tenant, *, customer: str, sub_id: str) -> bool:
    """Whether the Stripe subscription or customer is already another business's."""
    others = Subscription.objects.exclude(tenant_id=tenant.pk)
    if sub_id and others.filter(stripe_subscription_id=sub_id).exists():
        return True
    return bool(customer) and others.filter(stripe_customer_id=customer).exists()


# --- converging one row --------------------------------------------------------------------


def _status_change(row: Subscription, stripe_status: str, now: datetime) -> None:
    from billing import services

    target = STATUS_MAP.get(stripe_status)
    if target is None:
        return
    if target == SubscriptionStatus.ACTIVE:
        services.subscription_mark_paid(row, save=False)
    elif target == SubscriptionStatus.PAST_DUE:
        services.subscription_mark_past_due(row, at=now, save=False)
    elif target == SubscriptionStatus.TRIALING:
        row.status = SubscriptionStatus.TRIALING
        row.suspended_at = None
    else:
        row.status = target


def _apply(row: Subscription, obj: dict, at: datetime) -> str:
    """Put Stripe's state of the subscription ``obj`` on ``row`` (locked) and save; the
    change in a few words."""
    before = (row.status, row.plan_id, row.interval, row.currency)
    now = timezone.now()
    notes = []
    _status_change(row, str(obj.get("status") or ""), now)
    items = ((obj.get("items") or {}).get("data")) or []
    item = items[0] if items else {}
    price = item.get("price") or {}
    price_id = price.get("id") or "" if isinstance(price, dict) else str(price)
    if price_id:
        row.stripe_price_id = price_id
        key = stripe_api.price_key(price_id)
        plan = Plan.objects.filter(code=key.plan_code).first() if key else None
        if plan is not None:
            row.plan = plan
            row.currency = key.currency
            row.interval = key.interval
        else:
            notes.append(f"unknown price {price_id}")
            if isinstance(price, dict):
                row.currency = str(price.get("currency") or row.currency).upper()
                interval = (price.get("recurring") or {}).get("interval")
                row.interval = _INTERVALS.get(interval, row.interval)
    period_end = _ts(item.get("current_period_end"))
    if period_end is not None:
        row.current_period_end = period_end
    trial_end = _ts(obj.get("trial_end"))
    if trial_end is not None and row.status == SubscriptionStatus.TRIALING:
        row.trial_ends_at = trial_end
    row.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
    if obj.get("id"):
        row.stripe_subscription_id = str(obj["id"])
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if customer:
        row.stripe_customer_id = str(customer)
    row.stripe_synced_at = max(filter(None, [row.stripe_synced_at, at]))
    row.save()
    after = (row.status, row.plan_id, row.interval, row.currency)
    if before[0] != after[0]:
        text = f"status {before[0]} → {after[0]}"
    else:
        text = f"status {after[0]} unchanged"
    if before[1:] != after[1:]:
        text += f"; plan {row.plan.code} {row.currency} {row.interval}"
    return "; ".join([text, *notes])


def _sync(
    obj: dict, *, at: datetime, tenant: Tenant | None = None
) -> tuple[Subscription | None, str]:
    sub_id = str(obj.get("id") or "")
    customer = obj.get("customer") or ""
    if isinstance(customer, dict):
        customer = customer.get("id") or ""
    if tenant is None:
        tenant = _tenant_for(
            schema_hints=[_metadata_tenant(obj)], customer=str(customer), sub_id=sub_id
        )
    if tenant is None:
        return None, "unknown tenant"
    if _claimed_elsewhere(tenant, customer=str(customer), sub_id=sub_id):
        return None, "refused: the Stripe subscription or customer is another business's"
    from billing.services import subscription_for

    subscription_for(tenant)
    row = Subscription.objects.select_for_update().select_related("plan").get(tenant=tenant)
    if row.stripe_synced_at is not None and at < row.stripe_synced_at:
        return row, "older than the stored state, ignored"
    if (
        row.stripe_subscription_id
        and sub_id
        and row.stripe_subscription_id != sub_id
        and obj.get("status") in _TERMINAL_STRIPE
    ):
        return row, f"ended subscription {sub_id} is not the current one, ignored"
    return row, _apply(row, obj, at)


@transaction.atomic
def sync_subscription(obj: dict, *, at: datetime) -> Subscription | None:
    """Converge the business's row on the Stripe subscription ``obj`` (a dict as the API
    returns it) as it stood at ``at``; a state older than the last one synced is ignored.
    None when no business can be found for it."""
    row, _outcome = _sync(_as_dict(obj), at=at)
    return row


def refresh(subscription: Subscription) -> Subscription:
    """Fetch the business's subscription from Stripe and sync it (by its Stripe
    subscription id, else the customer's live subscription); unchanged when it has
    neither yet or Stripe has nothing."""
    if subscription.stripe_subscription_id:
        obj = fetch_subscription(subscription.stripe_subscription_id)
    elif subscription.stripe_customer_id:
        obj = _latest_for_customer(subscription.stripe_customer_id)
    else:
        obj = None
    if obj is None:
        return subscription
    with transaction.atomic():
        row, _outcome = _sync(obj, at=timezone.now(), tenant=subscription.tenant)
    return row or subscription


# --- events --------------------------------------------------------------------------------


def _verify(payload: bytes, signature: str) -> dict:
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRefused("webhooks are not configured")
    try:
        stripe.WebhookSignature.verify_header(
            payload, signature, secret, stripe.Webhook.DEFAULT_TOLERANCE
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookRefused("bad signature") from exc
    except UnicodeDecodeError as exc:
        raise WebhookRefused("malformed payload") from exc
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise WebhookRefused("malformed payload") from exc
    ok = (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and event["id"]
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance((event.get("data") or {}).get("object"), dict)
    )
    if not ok:
        raise WebhookRefused("malformed event")
    return event


def _fetch_or(obj: dict, sub_id: str, *, missing_ok: bool) -> dict:
    try:
        return fetch_subscription(sub_id)
    except stripe.InvalidRequestError:
        if missing_ok:
            return obj
        raise


def _dispatch(event: dict) -> tuple[Tenant | None, str]:
    kind = event["type"]
    at = _ts(event["created"])
    obj = event["data"]["object"]
    if kind not in HANDLED_EVENTS:
        return None, "ignored type"
    if kind in SUBSCRIPTION_EVENTS:
        sub_id = str(obj.get("id") or "")
        hints = [_metadata_tenant(obj)]
        customer = str(obj.get("customer") or "")
    elif kind in INVOICE_EVENTS:
        sub_id, named = _invoice_subscription(obj)
        hints = [named, _metadata_tenant(obj)]
        customer = str(obj.get("customer") or "")
    else:  # checkout.session.completed
        sub_id = obj.get("subscription") or ""
        sub_id = str(sub_id.get("id") if isinstance(sub_id, dict) else sub_id)
        hints = [_metadata_tenant(obj), str(obj.get("client_reference_id") or "")]
        customer = str(obj.get("customer") or "")
    tenant = _tenant_for(schema_hints=hints, customer=customer, sub_id=sub_id)
    if not sub_id:
        return tenant, "no subscription named, ignored"
    if kind in SUBSCRIPTION_EVENTS:
        row = Subscription.objects.filter(tenant=tenant).first() if tenant else None
        newer = row is None or row.stripe_synced_at is None or at > row.stripe_synced_at
        if newer:
            state, state_at = obj, at
        else:
            # Older than, or the same second as, what we have: ask Stripe.
            state = _fetch_or(obj, sub_id, missing_ok=kind.endswith(".deleted"))
            state_at = timezone.now() if state is not obj else at
    else:
        state, state_at = fetch_subscription(sub_id), timezone.now()
    if tenant is None:
        tenant = _tenant_by_schema(_metadata_tenant(state))
    if tenant is None:
        return None, "unknown tenant"
    if _claimed_elsewhere(tenant, customer=customer, sub_id=sub_id):
        return tenant, "refused: the Stripe subscription or customer is another business's"
    row, outcome = _sync(state, at=state_at, tenant=tenant)
    return tenant, outcome


def _stored(event_id: str) -> bool:
    return BillingEvent.objects.filter(stripe_event_id=event_id).exists()


def handle_event(payload: bytes, signature: str) -> BillingEvent | None:
    """Verify, store once and apply one webhook call. The stored event, or None for a
    replay (or the loser of two simultaneous deliveries). ``WebhookRefused`` for a bad
    signature or a malformed body; a Stripe API failure propagates (nothing is stored,
    so Stripe's retry handles it again)."""
    event = _verify(payload, signature)
    if _stored(event["id"]):
        return None
    try:
        with transaction.atomic():
            record = BillingEvent.objects.create(
                stripe_event_id=event["id"][:80],
                type=event["type"][:80],
                created=_ts(event["created"]),
                payload=event,
            )
            tenant, outcome = _dispatch(event)
            record.tenant = tenant
            record.outcome = outcome[:200]
            record.save(update_fields=["tenant", "outcome"])
    except IntegrityError:
        # The same event delivered twice at once: the other delivery's row won.
        if BillingEvent.objects.filter(stripe_event_id=event["id"]).exists():
            return None
        raise
    return record
