"""Large imports run in a worker (tenant-schemas-celery runs each in the schema it was
sent from)."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User
from imports import services
from imports.models import ImportJob, JobStatus


@shared_task(name="imports.check", ignore_result=True)
def check(job_id: int) -> None:
    job = ImportJob.objects.get(pk=job_id)
    try:
        services.job_check(job)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, error=str(exc)[:2000])
        raise


@shared_task(name="imports.commit", ignore_result=True)
def commit(job_id: int, actor_id: int | None) -> None:
    actor = User.objects.filter(pk=actor_id).first()
    services.job_commit(ImportJob.objects.get(pk=job_id), actor=actor)
