"""The one place the product talks to Stripe from.

``client()`` is a ``stripe.StripeClient`` built from the settings (key, and the API's
address when it is not Stripe's own: the tests' loopback stand-in). Price ids come from
``STRIPE_PRICE_IDS`` in the environment, else from the plan's price row in the console.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from billing.models import Interval, Plan, PlanPrice


def client() -> stripe.StripeClient:
    if not settings.STRIPE_SECRET_KEY:
        raise ImproperlyConfigured("Billing is off: STRIPE_SECRET_KEY is not set.")
    kwargs = {"max_network_retries": 1}
    if settings.STRIPE_API_BASE:
        kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE.rstrip("/")}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, **kwargs)


@dataclass(frozen=True)
class PriceKey:
    plan_code: str
    currency: str
    interval: str  # Interval value


def _env_price_ids() -> dict[PriceKey, str]:
    """``code.CUR.interval=price_id`` items of ``STRIPE_PRICE_IDS``; a malformed item is a
    configuration error named in full."""
    found: dict[PriceKey, str] = {}
    for item in settings.STRIPE_PRICE_IDS:
        key, sep, price_id = item.partition("=")
        parts = key.strip().split(".")
        if not sep or len(parts) != 3 or parts[2] not in Interval.values or not price_id.strip():
            raise ImproperlyConfigured(
                f"STRIPE_PRICE_IDS item {item!r} is not plan.CURRENCY.monthly|yearly=price_id."
            )
        found[PriceKey(parts[0], parts[1].upper(), parts[2])] = price_id.strip()
    return found


def env_price_keys() -> set[PriceKey]:
    """The plan prices whose Stripe ids the environment gives."""
    return set(_env_price_ids())


def price_id(plan: Plan, currency: str, interval: str) -> str:
    """The Stripe price a business pays for ``plan`` in ``currency`` each ``interval``;
    empty when none is configured (the plan cannot be bought in that currency)."""
    configured = _env_price_ids().get(PriceKey(plan.code, currency.upper(), interval))
    if configured:
        return configured
    row = PlanPrice.objects.filter(plan=plan, currency=currency.upper()).first()
    if row is None:
        return ""
    if interval == Interval.YEARLY:
        return row.stripe_yearly_price_id
    return row.stripe_monthly_price_id


def price_key(stripe_price_id: str) -> PriceKey | None:
    """Which plan, currency and interval a Stripe price id stands for (webhooks name the
    price, not the plan); None for a price the product does not know."""
    if not stripe_price_id:
        return None
    for key, value in _env_price_ids().items():
        if value == stripe_price_id:
            return key
    for row in PlanPrice.objects.select_related("plan").filter(
        stripe_monthly_price_id=stripe_price_id
    ) | PlanPrice.objects.select_related("plan").filter(stripe_yearly_price_id=stripe_price_id):
        interval = (
            Interval.MONTHLY if row.stripe_monthly_price_id == stripe_price_id else Interval.YEARLY
        )
        return PriceKey(row.plan.code, row.currency, interval)
    return None
