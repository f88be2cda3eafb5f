"""Absolute addresses of this business's callback endpoints, given to gateways with each
text (the business's own host, so a report lands in its own schema)."""

from __future__ import annotations

from django.db import connection
from django.urls import reverse

from tenants.services import tenant_portal_url


def tenant_callback_url(name: str) -> str:
    """The absolute URL of ``msghooks:<name>`` on the current business's host, or "" when
    there is no business (the public schema)."""
    tenant = getattr(connection, "tenant", None)
    domain = getattr(tenant, "primary_domain_name", "") if tenant is not None else ""
    if not domain:
        return ""
    return tenant_portal_url(domain, reverse(f"msghooks:{name}", urlconf="config.urls_tenant"))
