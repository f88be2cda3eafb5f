"""An import of a clinic's own spreadsheet: the uploaded file, the column mapping the user
confirmed, and every row as parsed, with its problems and duplicate decision. Nothing is
written to client files until the user commits (imports.services.job_commit).

A job holds a clinic's personal and health data only while it is being worked on: the
cells are encrypted at rest like the client file's, and the file, the first rows and the
parsed rows are deleted once the job is committed, discarded or left too long
(imports.services.cleanup)."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField, decrypt_text, encrypt_text


class EncryptedJSONField(EncryptedTextField):
    """JSON kept as one Fernet token; an ``EncryptedTextField`` so that key rotation
    (``rotate_field_keys``) re-encrypts it with the others."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return self.get_default()
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return ""
        return encrypt_text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


class JobStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    CHECKING = "checking", _("Checking rows")
    CHECKED = "checked", _("Ready to import")
    COMMITTING = "committing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")
    DISCARDED = "discarded", _("Discarded")


# A job in one of these states holds nothing personal any more.
FINISHED = (JobStatus.DONE, JobStatus.DISCARDED)


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
    samples = EncryptedJSONField(default=list)  # first rows, as text, for the mapping page
    mapping = models.JSONField(default=dict)  # column index (str) -> target key
    # How the user settled a group of rows sharing a problem: "<target key>|<cause>" ->
    # "skip", "drop" (import without that value) or "notes" (keep it in special notes).
    settled = models.JSONField(default=dict)
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

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class ImportRow(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    row_number = models.PositiveIntegerField()  # as the spreadsheet numbers it
    values = EncryptedJSONField(default=dict)  # target key -> cleaned value (JSON form)
    # [[column header, message], ...]; messages of sensitive columns carry no value.
    errors = models.JSONField(default=list)
    causes = models.JSONField(default=list)  # [[target key, cause], ...], as errors
    rejected = EncryptedJSONField(default=dict)  # target key -> the cell that failed
    # Every problem of the row was settled as "skip" by the user (ImportJob.settled).
    settled = models.BooleanField(default=False)
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
