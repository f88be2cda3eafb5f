"""A job's life before and around its rows: upload, who may see it, the column mapping,
the groups of problems the user settles, and running the check and the commit here or in
a worker."""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.roles import Capability
from clients import custom_fields
from core.storage import tenant_file_path
from imports import cleaning, mapping
from imports.models import ImportJob, JobStatus
from imports.reading import read_rows

SAMPLE_ROWS = 5
# Files larger than this are checked and committed by a Celery worker, with a progress bar.
BACKGROUND_BYTES = 200_000
SETTLE_CHOICES = ("skip", "drop", "notes")


def progress_key(job: ImportJob) -> str:
    return f"imports:{job.pk}:progress"


def set_progress(job: ImportJob, done: int) -> None:
    cache.set(progress_key(job), done, 3600)


def progress_of(job: ImportJob) -> int:
    """Rows done so far: the job row during the check (written in batches), the cache
    during the commit (its transaction hides the job row's updates until the end)."""
    if job.status == JobStatus.COMMITTING:
        return cache.get(progress_key(job), 0)
    return job.done_rows


def jobs_visible(user):
    """A job is its starter's (it holds the clinic's whole sheet); an owner sees all."""
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if user.is_owner else jobs.filter(created_by=user)


def job_for(*, user, pk: int) -> ImportJob | None:
    return jobs_visible(user).filter(pk=pk).first()


def may_act(job: ImportJob, user) -> bool:
    """``user=None`` is the system (a management command, the benchmark)."""
    return user is None or user.is_owner or job.created_by_id == user.pk


def may_merge(user) -> bool:
    return user is None or user.can(Capability.MERGE_CLIENTS)


def _clinical_ok(target: mapping.Target, user) -> bool:
    """Health columns need a role that may read health, visit notes one that writes them."""
    if not target.clinical or user is None:
        return True
    if target.key.startswith("health."):
        return user.can(Capability.VIEW_HEALTH)
    return user.can(Capability.RECORD_TREATMENT)


def job_create(*, upload, user) -> ImportJob:
    """Store the upload under the tenant's prefix and read its header and first rows."""
    name = upload.name or "import"
    if not name.lower().endswith((".xlsx", ".csv")):
        raise ValidationError({"file": _("Upload an .xlsx or .csv file.")})
    suffix = ".xlsx" if name.lower().endswith(".xlsx") else ".csv"
    path = default_storage.save(
        tenant_file_path(connection.tenant, "imports", f"{secrets.token_hex(12)}{suffix}"), upload
    )
    headers, samples = [], []
    try:
        with default_storage.open(path, "rb") as handle:
            for _number, cells in read_rows(handle, path):
                if not headers:
                    headers = [cleaning.text(c) or f"#{i + 1}" for i, c in enumerate(cells)]
                    continue
                samples.append([cleaning.text(c) for c in cells][: len(headers)])
                if len(samples) == SAMPLE_ROWS:
                    break
    except ValidationError as exc:
        default_storage.delete(path)
        raise ValidationError({"file": exc.messages}) from exc
    if not headers:
        default_storage.delete(path)
        raise ValidationError({"file": _("The file is empty.")})
    return ImportJob.objects.create(
        created_by=user, original_name=name[:200], file=path, headers=headers, samples=samples
    )


def all_targets(fields=None) -> list[mapping.Target]:
    """Every place a column can go (the columns of the trades the business has on among
    them). ``fields``: the active custom fields, when the caller has them already."""
    from verticals import registry

    if fields is None:
        fields = custom_fields.active_fields()
    return mapping.targets(custom_fields=fields, verticals=registry.enabled_verticals())


def available_targets(user=None, fields=None) -> list[mapping.Target]:
    """The places ``user`` may import into: clinical columns only for a clinical role."""
    return [t for t in all_targets(fields) if _clinical_ok(t, user)]


def withheld_columns(job: ImportJob, user) -> dict[str, mapping.Target]:
    """Columns recognised as clinical that ``user`` may not import (column → target)."""
    targets = {t.key: t for t in all_targets()}
    guessed = mapping.guess(job.headers, list(targets.values()))
    return {
        col: targets[key] for col, key in guessed.items() if not _clinical_ok(targets[key], user)
    }


def job_map(*, job: ImportJob, chosen: dict[str, str], user=None) -> ImportJob:
    if job.finished:
        raise ValidationError(_("This import is finished."), code="finished")
    if not job.file:
        raise ValidationError(
            _("The uploaded file was removed; upload it again."), code="file_gone"
        )
    keys = {t.key for t in available_targets(user)}
    clean = {col: key for col, key in chosen.items() if key in keys}
    seen: dict[str, str] = {}
    for col, key in clean.items():
        if key in seen:
            raise ValidationError(
                _("Columns “%(a)s” and “%(b)s” both go to the same field.")
                % {"a": job.headers[int(seen[key])], "b": job.headers[int(col)]}
            )
        seen[key] = col
    if "client.name" not in clean.values():
        raise ValidationError(_("Choose the column that holds the client's name."))
    job.mapping = clean
    job.settled = {}
    job.status = JobStatus.UPLOADED
    job.save(update_fields=["mapping", "settled", "status"])
    return job


def job_settle(*, job: ImportJob, key: str, cause: str, how: str, user) -> ImportJob:
    """Settle every row that shares one problem at once (``how``: skip the rows, import
    them without the value, or keep the value in the special notes), then check again."""
    if not may_act(job, user):
        raise ValidationError(_("This import is not yours."), code="not_yours")
    if job.status != JobStatus.CHECKED or how not in (*SETTLE_CHOICES, ""):
        raise ValidationError(_("This import is not ready to be committed."), code="not_ready")
    if key == "client.name" and how != "skip" and how != "":
        raise ValidationError(_("A name is required."), code="required")
    group = f"{key}|{cause}"
    if how:
        job.settled = {**job.settled, group: how}
    else:
        job.settled = {k: v for k, v in job.settled.items() if k != group}
    job.save(update_fields=["settled"])
    job_check_start(job)
    return job


def in_background(job: ImportJob) -> bool:
    """Large files are checked and committed by a worker, with a progress bar."""
    return bool(job.file) and default_storage.size(job.file) > BACKGROUND_BYTES


def job_failed(job_id: int, message: str) -> None:
    ImportJob.objects.filter(pk=job_id).update(status=JobStatus.FAILED, error=message[:2000])


def job_check_start(job: ImportJob) -> None:
    """Check a mapped job now, or hand a large one to a worker (``imports.check``)."""
    from imports import tasks
    from imports.services.check import job_check

    if not in_background(job):
        job_check(job)
        return
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.CHECKING)
    transaction.on_commit(lambda: tasks.check.delay(job.pk))


def job_check_in_worker(job_id: int) -> None:
    """The worker's side of ``job_check_start``: a failure is recorded on the job."""
    from imports.services.check import job_check

    try:
        job_check(ImportJob.objects.get(pk=job_id))
    except Exception as exc:
        job_failed(job_id, str(exc))
        raise


def claim_commit(job_id: int) -> None:
    """Move a checked job to COMMITTING, once: a second click, tab or worker finds it
    taken and is refused."""
    if not ImportJob.objects.filter(pk=job_id, status=JobStatus.CHECKED).update(
        status=JobStatus.COMMITTING
    ):
        raise ValidationError(_("This import is not ready to be committed."), code="not_ready")


def job_commit_start(job: ImportJob, *, actor) -> ImportJob | None:
    """Commit a checked job now (returns it, done), or claim it and hand it to a worker
    (``imports.commit``; returns None, the job page shows the progress)."""
    from imports import tasks
    from imports.services.commit import job_commit

    if not may_act(job, actor):
        raise ValidationError(_("This import is not yours."), code="not_yours")
    if not in_background(job):
        return job_commit(job, actor=actor)
    claim_commit(job.pk)
    actor_id = actor.pk if actor is not None else None
    transaction.on_commit(lambda: tasks.commit.delay(job.pk, actor_id))
    return None
