"""Platform-level Celery tasks: the spare-schema pool and the per-tenant fan-out."""

from __future__ import annotations

import random

from celery import current_app, shared_task
from django.conf import settings
from django.db import connection

from tenants.models import Tenant, TenantStatus

FAN_OUT_JITTER_SECONDS = 30


@shared_task(name="tenants.refill_spare_pool", ignore_result=True)
def refill_spare_pool() -> int:
    from tenants.services import spare_pool_refill

    return spare_pool_refill()


@shared_task(name="tenants.fan_out")
def fan_out(task_name: str, jitter: int = FAN_OUT_JITTER_SECONDS) -> list[str]:
    """Run ``task_name`` once in each active tenant's schema. Beat calls this once, in
    the public schema; a jittered countdown keeps hundreds of tenants from starting at
    the same second. Suspended and spare tenants are skipped."""
    if connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
        raise RuntimeError("fan_out runs in the public schema.")
    task = current_app.tasks[task_name]
    ids = []
    schemas = Tenant.objects.filter(status=TenantStatus.ACTIVE).values_list(
        "schema_name", flat=True
    )
    for schema in schemas:
        result = task.apply_async(
            headers={"_schema_name": schema},
            countdown=random.uniform(0, jitter) if jitter else None,  # noqa: S311
        )
        ids.append(result.id)
    return ids
