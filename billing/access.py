"""Whether a business is locked out for non-payment (the tenant middleware asks)."""

from __future__ import annotations

from django.conf import settings

from billing.models import Subscription, SubscriptionStatus


def is_billing_locked(tenant) -> bool:
    """Billing is on and the business is suspended for non-payment: it reaches only its
    billing page. Its data is kept; the operator's own switch (Tenant.status) is apart."""
    if not settings.BILLING_ENABLED or tenant is None or getattr(tenant, "pk", None) is None:
        return False
    return Subscription.objects.filter(
        tenant_id=tenant.pk, status=SubscriptionStatus.SUSPENDED_UNPAID
    ).exists()
