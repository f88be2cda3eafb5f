"""An import of a clinic's own spreadsheet: the uploaded file, the column mapping the user
confirmed, and every row as parsed, with its problems and duplicate decision. Nothing is
written to client files until the user commits (imports.services.job_commit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking rows")
    CHECKED = "checked", _("Ready to import")
    COMMITTING = "committing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class RowAction(models.TextChoices):
    CREATE = "create", _("Create a new file")
    MERGE = "merge", _("Merge into the existing file")
    SKIP = "skip", _("Skip")


class ImportJob(models.Model):
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.UPLOADED)
    original_name = models.CharField(max_length=200)
    # Path in the default storage, under tenants/<schema>/imports/.
    file = models.CharField(max_length=300)
    headers = models.JSONField(default=list)
    samples = models.JSONField(default=list)  # first rows, as text, for the mapping page
    mapping = models.JSONField(default=dict)  # column index (str) -> target key
    total_rows = models.PositiveIntegerField(default=0)
    done_rows = models.PositiveIntegerField(default=0)
    good_rows = models.PositiveIntegerField(default=0)
    bad_rows = models.PositiveIntegerField(default=0)
    duplicate_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    merged_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.original_name})"

    @property
    def running(self) -> bool:
        return self.status in (JobStatus.CHECKING, JobStatus.COMMITTING)


class ImportRow(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()  # as the spreadsheet numbers it
    values = models.JSONField(default=dict)  # target key -> cleaned value (JSON form)
    errors = models.JSONField(default=list)  # [[column header, message], ...]
    duplicate_of = models.IntegerField(null=True, blank=True)  # existing client id
    duplicate_row = models.PositiveIntegerField(null=True, blank=True)  # earlier file row
    duplicate_reason = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=10, choices=RowAction.choices, default=RowAction.CREATE)

    class Meta:
        ordering = ["row_number"]
        indexes = [models.Index(fields=["job", "row_number"], name="importrow_job_row")]

    def __str__(self) -> str:
        return f"row {self.row_number} of import {self.job_id}"

    @property
    def name(self) -> str:
        return self.values.get("client.name", "")
