"""The owner's side of paying: Stripe Checkout to subscribe, the customer portal for
cards and invoices, and a plan change (prorated, previewed first) for a business that
already pays. Only the business's owner pays; each action is audited like other
settings changes."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from billing import stripe_api
from billing.models import Interval, Plan, Subscription
from billing.services import subscription_for
from tenants.models import Tenant


def _refuse(field: str, message, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _require_owner(actor) -> None:
    if not (actor is not None and getattr(actor, "is_authenticated", False) and actor.is_owner):
        raise PermissionDenied("Only the business's owner pays for its subscription.")


def _require_billing() -> None:
    if not settings.BILLING_ENABLED:
        raise _refuse("plan", _("Billing is off."), "billing_off")


def _audit(actor, tenant: Tenant, before: dict, after: dict) -> None:
    from audit import services as audit
    from audit.models import Action

    audit.record_change(
        action=Action.UPDATE,
        actor=actor,
        object_type="subscription",
        object_id=tenant.pk,
        client_id=None,
        before=before,
        after=after,
    )


def _price(plan: Plan, tenant: Tenant, interval: str) -> str:
    if interval not in Interval.values:
        raise _refuse("interval", _("Choose monthly or yearly."), "interval")
    plan = Plan.objects.get(pk=plan.pk)
    if not plan.active:
        raise _refuse("plan", _("This plan is no longer offered."), "plan_inactive")
    price = stripe_api.price_id(plan, tenant.currency, interval)
    if not price:
        raise _refuse("plan", _("This plan is not sold in your business's currency."), "no_price")
    return price


def _customer(tenant: Tenant, actor, subscription: Subscription) -> str:
    if subscription.stripe_customer_id:
        return subscription.stripe_customer_id
    customer = stripe_api.client().v1.customers.create(
        params={
            "email": actor.email,
            "name": tenant.name,
            "metadata": {"tenant": tenant.schema_name},
        }
    )
    Subscription.objects.filter(pk=subscription.pk).update(stripe_customer_id=customer.id)
    subscription.stripe_customer_id = customer.id
    return customer.id


@transaction.atomic
def checkout_start(*, tenant: Tenant, actor, plan: Plan, interval: str, base_url: str) -> str:
    """A Stripe Checkout session for ``plan`` billed each ``interval`` in the business's
    currency; the address to send the owner to."""
    _require_owner(actor)
    _require_billing()
    price = _price(plan, tenant, interval)
    subscription_for(tenant)
    subscription = Subscription.objects.select_for_update().get(tenant=tenant)
    customer = _customer(tenant, actor, subscription)
    back = base_url
    session = stripe_api.client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer,
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": f"{back}?checkout={{CHECKOUT_SESSION_ID}}",
            "cancel_url": back,
            "client_reference_id": tenant.schema_name,
            "metadata": {"tenant": tenant.schema_name},
            "subscription_data": {"metadata": {"tenant": tenant.schema_name}},
        }
    )
    _audit(actor, tenant, {"checkout": ""}, {"checkout": f"{plan.code} {interval}"})
    return session.url


def portal_start(*, tenant: Tenant, actor, base_url: str) -> str:
    """Stripe's customer portal (cards, invoices), back to the billing page."""
    _require_owner(actor)
    _require_billing()
    subscription = subscription_for(tenant)
    if not subscription.stripe_customer_id:
        raise _refuse("plan", _("There is no payment account yet; subscribe first."), "no_customer")
    session = stripe_api.client().v1.billing_portal.sessions.create(
        params={
            "customer": subscription.stripe_customer_id,
            "return_url": base_url,
        }
    )
    return session.url


def _paying(subscription: Subscription) -> None:
    if not subscription.stripe_subscription_id:
        raise _refuse("plan", _("Subscribe first; then you can change plan."), "not_paying")


def _item(subscription: Subscription) -> str:
    remote = stripe_api.client().v1.subscriptions.retrieve(subscription.stripe_subscription_id)
    return remote["items"]["data"][0]["id"]


@dataclass(frozen=True)
class Preview:
    amount_due: Decimal
    currency: str


def plan_change_preview(*, tenant: Tenant, actor, plan: Plan, interval: str) -> Preview:
    """What the owner pays now (prorated) to move to ``plan`` each ``interval``."""
    _require_owner(actor)
    _require_billing()
    price = _price(plan, tenant, interval)
    subscription = subscription_for(tenant)
    _paying(subscription)
    if subscription.stripe_price_id == price:
        raise _refuse("plan", _("The business is already on this plan."), "same_plan")
    invoice = stripe_api.client().v1.invoices.create_preview(
        params={
            "customer": subscription.stripe_customer_id,
            "subscription": subscription.stripe_subscription_id,
            "subscription_details": {
                "items": [{"id": _item(subscription), "price": price}],
                "proration_behavior": "create_prorations",
            },
        }
    )
    return Preview(
        amount_due=Decimal(invoice["amount_due"]) / 100,
        currency=(invoice["currency"] or tenant.currency).upper(),
    )


@transaction.atomic
def plan_change(*, tenant: Tenant, actor, plan: Plan, interval: str) -> Subscription:
    """Move a paying business to ``plan`` each ``interval``, prorated; our row follows
    Stripe's answer at once (the webhook confirms it later)."""
    _require_owner(actor)
    _require_billing()
    price = _price(plan, tenant, interval)
    subscription_for(tenant)
    subscription = (
        Subscription.objects.select_for_update().select_related("plan").get(tenant=tenant)
    )
    _paying(subscription)
    if subscription.stripe_price_id == price:
        raise _refuse("plan", _("The business is already on this plan."), "same_plan")
    before = {"plan": subscription.plan.code, "interval": subscription.interval}
    stripe_api.client().v1.subscriptions.update(
        subscription.stripe_subscription_id,
        params={
            "items": [{"id": _item(subscription), "price": price}],
            "proration_behavior": "create_prorations",
        },
    )
    from billing import sync

    sync.refresh(subscription)
    subscription.refresh_from_db()
    _audit(actor, tenant, before, {"plan": plan.code, "interval": interval})
    return subscription
