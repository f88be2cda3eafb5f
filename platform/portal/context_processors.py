from django.conf import settings
from django.db import connection

from accounts.roles import Capability
from portal import navigation


def portal(request):
    tenant = getattr(connection, "tenant", None)
    is_public = connection.schema_name == settings.PUBLIC_SCHEMA_NAME
    user = getattr(request, "user", None)
    return {
        "tenant": None if is_public else tenant,
        "is_public_site": is_public,
        "nav_items": [] if is_public else navigation.items_for(user),
        "languages": settings.LANGUAGES,
        # Templates name capabilities through the enum: ``user|can:Capability.EDIT_CLIENTS``.
        "Capability": Capability,
        # Set by tenants.middleware with billing on: the shell warns of an overdue payment.
        "billing_past_due": getattr(request, "billing_status", None) == "past_due",
    }
