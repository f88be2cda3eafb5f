"""Nothing personal left behind: a job's uploaded file, first rows and parsed rows are
deleted once it is committed, discarded by the user or left for
``IMPORT_ABANDONED_AFTER_HOURS`` (a periodic task per tenant), and a client's erasure
reaches whatever a job still holds about them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from imports.models import FINISHED, ImportJob, JobStatus

DEFAULT_ABANDONED_AFTER_HOURS = 24


def job_forget(job: ImportJob) -> None:
    """Delete the job's personal data, keeping its counts (inside the caller's
    transaction; the file goes once it commits)."""
    job.rows.all().delete()
    _drop_file(job)


def _drop_file(job: ImportJob) -> None:
    """Delete the job's first rows and, once the caller's transaction commits, its file."""
    ImportJob.objects.filter(pk=job.pk).update(samples=[], file="")
    path = job.file
    if path:
        transaction.on_commit(lambda: default_storage.delete(path))


@transaction.atomic
def job_discard(*, job: ImportJob, user) -> ImportJob:
    """The user gives up on an import: its file and rows are deleted at once."""
    from imports.services.jobs import may_act

    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if not may_act(job, user):
        raise ValidationError(_("This import is not yours."), code="not_yours")
    if job.status in (*FINISHED, JobStatus.COMMITTING):
        raise ValidationError(_("This import is finished."), code="finished")
    job_forget(job)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DISCARDED, finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def jobs_clear_abandoned() -> int:
    """Discard the jobs of this schema left unfinished for longer than the setting;
    returns how many."""
    hours = getattr(settings, "IMPORT_ABANDONED_AFTER_HOURS", DEFAULT_ABANDONED_AFTER_HOURS)
    before = timezone.now() - dt.timedelta(hours=hours)
    done = 0
    for pk in (
        ImportJob.objects.filter(created_at__lt=before)
        .exclude(status__in=FINISHED)
        .values_list("pk", flat=True)
    ):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update(skip_locked=True).filter(pk=pk).first()
            if job is None or job.finished:
                continue
            job_forget(job)
            ImportJob.objects.filter(pk=pk).update(
                status=JobStatus.DISCARDED,
                finished_at=timezone.now(),
                error=_("Discarded: left unfinished for more than %(hours)s hours.")
                % {"hours": hours},
            )
            done += 1
    return done


def _holds(values: dict, client) -> bool:
    from core.crypto import blind_index

    mobile = values.get("client.mobile")
    if mobile and (mobile == client.mobile or mobile in client.other_phones):
        return True
    national = values.get("client.national_id")
    if national and client.national_id_index == blind_index(national, purpose="national_id"):
        return True
    born = values.get("client.date_of_birth")
    return bool(
        born
        and client.date_of_birth
        and values.get("client.name") == client.name
        and born == client.date_of_birth.isoformat()
    )


def _rows_about(client):
    """(job, row) for each row of an unfinished job that holds this client."""
    for job in ImportJob.objects.exclude(status__in=FINISHED):
        for row in job.rows.only("pk", "row_number", "values", "duplicate_of"):
            if row.duplicate_of == client.pk or _holds(row.values, client):
                yield job, row


def client_erase(client) -> None:
    """``clients.related`` erase: every unfinished job's rows about this client go, and
    with them the job's first rows and uploaded file, which hold the client too (the
    job can still be committed without them, but not checked again)."""
    touched: dict[int, tuple[ImportJob, list[int]]] = {}
    for job, row in _rows_about(client):
        touched.setdefault(job.pk, (job, []))[1].append(row.pk)
    for job, rows in touched.values():
        job.rows.filter(pk__in=rows).delete()
        _drop_file(job)


def client_export(client, *, user) -> list:
    """``clients.related`` export: which unfinished imports hold a row about the client
    (the rows' contents are the file's, exported by its own handler)."""
    return [{"import": job.pk, "row": row.row_number} for job, row in _rows_about(client)]
