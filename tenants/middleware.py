from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.shortcuts import render

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
        return self.get_response(request)
