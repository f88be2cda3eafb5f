from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.shortcuts import redirect, render
from django.urls import reverse

from tenants.models import TenantStatus


class TenantStatusMiddleware:
    """A suspended or closed business's portal shows one clear page and accepts no logins;
    its data stays untouched until an operator reactivates it (or, once a closed
    business's retention period is over, purges it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(connection, "tenant", None)
        if (
            tenant is not None
            and connection.schema_name != settings.PUBLIC_SCHEMA_NAME
            and tenant.status != TenantStatus.ACTIVE
            and not request.path.startswith(settings.STATIC_URL)
        ):
            template = (
                "tenants/closed.html"
                if tenant.status == TenantStatus.CLOSED
                else "tenants/suspended.html"
            )
            return render(request, template, {"suspended_tenant": tenant}, status=403)
        if (
            tenant is not None
            and connection.schema_name != settings.PUBLIC_SCHEMA_NAME
            and not request.path.startswith(settings.STATIC_URL)
        ):
            locked = _billing_lock(request, tenant)
            if locked is not None:
                return locked
        return self.get_response(request)


def _billing_lock(request, tenant):
    """A business suspended for non-payment (``billing.access.is_billing_locked``) reaches
    only its billing page, signing in and out, the language switch and two-factor setup:
    the owner is sent to the billing page, other staff see why and who can pay."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    from billing.access import billing_status, locks_out

    # Read once: the portal's past-due banner uses it too (no query with billing off).
    status = billing_status(tenant)
    request.billing_status = status
    if not locks_out(status):
        return None
    billing = reverse("portal:billing")
    open_prefixes = (
        billing,
        reverse("accounts:login"),
        reverse("accounts:logout"),
        reverse("accounts:language"),
        reverse("accounts:security"),
        reverse("accounts:password_reset"),
    )
    if request.path.startswith(open_prefixes):
        return None
    if user.is_owner:
        return redirect(billing)
    context = {"locked_tenant": tenant, "billing_url": request.build_absolute_uri(billing)}
    return render(request, "tenants/billing_locked.html", context, status=403)
