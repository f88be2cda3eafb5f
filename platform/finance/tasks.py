"""The till's Celery tasks. Tenant tasks (tenant-schemas-celery): each runs in the schema
it was sent to; beat sends them once in the public schema to ``tenants.fan_out``, which
sends one per active business (``config.celery_app``)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import connection


@shared_task(name="finance.expire_cards", ignore_result=True)
def expire_cards() -> dict:
    """What is left on cards past their last day expires (``finance.expiry``)."""
    from finance import expiry

    if connection.schema_name == settings.PUBLIC_SCHEMA_NAME:
        return {"schema": connection.schema_name, "skipped": True}
    return {"schema": connection.schema_name, "expired": expiry.expire_due()}
