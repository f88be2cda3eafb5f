"""Large imports run in a worker (tenant-schemas-celery runs each in the schema it was
sent from); abandoned jobs are cleared per tenant (``tenants.fan_out``)."""

from __future__ import annotations

from celery import shared_task
from django.db import connection
from django.utils import translation

from accounts.models import User
from imports import services


@shared_task(name="imports.check", ignore_result=True)
def check(job_id: int) -> None:
    services.job_check_in_worker(job_id)


@shared_task(name="imports.commit", ignore_result=True)
def commit(job_id: int, actor_id: int | None) -> None:
    """Commit a job that ``services.job_commit_start`` claimed for the worker; a failure
    is recorded in the language of the user who started it."""
    actor = User.objects.filter(pk=actor_id).first()
    language = (actor.language if actor else "") or getattr(connection.tenant, "language", "")
    with translation.override(language or None):
        services.job_commit_claimed(job_id, actor=actor)


@shared_task(name="imports.clear_abandoned")
def clear_abandoned() -> dict:
    """Housekeeping in the schema the task was sent for (see tenants.fan_out)."""
    return {"schema": connection.schema_name, "discarded": services.jobs_clear_abandoned()}
