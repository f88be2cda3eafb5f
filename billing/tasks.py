"""Billing's periodic job: the grace period's time-based steps (billing.services)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import connection


@shared_task(name="billing.enforce_grace", ignore_result=True)
def enforce_grace() -> dict:
    """Hourly, once, in the public schema (beat sends it without a tenant): suspend the
    businesses whose grace period or trial has run out."""
    from billing.services import subscription_enforce_grace

    if connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
        raise RuntimeError("billing.enforce_grace runs in the public schema.")
    result = subscription_enforce_grace()
    return {"suspended_unpaid": result.suspended_unpaid, "trial_expired": result.trial_expired}
