"""Whether a business is locked out for non-payment (the tenant middleware asks)."""

from __future__ import annotations

from django.conf import settings

from billing.models import Subscription, SubscriptionStatus


def billing_status(tenant) -> str | None:
    """The business's subscription status in one query; None with billing off (no query)
    or without a subscription."""
    if not settings.BILLING_ENABLED or tenant is None or getattr(tenant, "pk", None) is None:
        return None
    return Subscription.objects.filter(tenant_id=tenant.pk).values_list("status", flat=True).first()


def locks_out(status: str | None) -> bool:
    """A business suspended for non-payment reaches only its billing page. Its data is
    kept; the operator's own switch (Tenant.status) is apart."""
    return status == SubscriptionStatus.SUSPENDED_UNPAID


def is_billing_locked(tenant) -> bool:
    return locks_out(billing_status(tenant))
