"""Large imports run in a worker (tenant-schemas-celery runs each in the schema it was
sent from)."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User
from imports import services


@shared_task(name="imports.check", ignore_result=True)
def check(job_id: int) -> None:
    services.job_check_in_worker(job_id)


@shared_task(name="imports.commit", ignore_result=True)
def commit(job_id: int, actor_id: int | None) -> None:
    """Commit a job that ``services.job_commit_start`` claimed for the worker."""
    actor = User.objects.filter(pk=actor_id).first()
    services.job_commit_claimed(job_id, actor=actor)
