"""Files of a client's record (photos, X-rays, signed consents) kept on the default
storage (the filesystem, or a private S3 bucket in production) under the tenant's prefix.

The storage names live in the row, prefixed with ``tenants/<schema>/files/``, so a file is
only ever reached through the row of the tenant that owns it, and only through the
permission-checked views (``filestore:open`` / ``filestore:thumb``)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The longest side of a thumbnail, in pixels.
THUMB_PX = 400


class Kind(models.TextChoices):
    IMAGE = "image", _("Image")
    PDF = "pdf", _("PDF document")


class StoredFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="stored_files",
        verbose_name=_("client"),
    )
    # What the file is for ("aesthetic.photo", "dental.xray", "aesthetic.consent").
    purpose = models.CharField(_("file purpose"), max_length=60)
    # The code of the capability a user needs to open the file (Capability.VIEW_HEALTH's).
    capability = models.CharField(_("needed permission"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    taken_on = models.DateField(_("taken on"), null=True, blank=True)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    path = models.CharField(_("storage name"), max_length=500, blank=True)
    thumb_path = models.CharField(_("thumbnail storage name"), max_length=500, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    # Set when the client's data was erased: the stored bytes are gone, the row stays so
    # the records that point at it keep their shape.
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")
        ordering = ["-uploaded_at"]
        indexes = [
            models.Index(fields=["client", "purpose", "-uploaded_at"], name="filestore_by_client"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.pk}"

    @property
    def url(self) -> str:
        return reverse("filestore:open", args=[self.pk])

    @property
    def thumb_url(self) -> str:
        return reverse("filestore:thumb", args=[self.pk])

    def _thumb_size(self) -> tuple[int, int] | None:
        if not (self.width and self.height):
            return None
        scale = min(1.0, THUMB_PX / max(self.width, self.height))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    @property
    def thumb_width(self) -> int | None:
        size = self._thumb_size()
        return size[0] if size else None

    @property
    def thumb_height(self) -> int | None:
        size = self._thumb_size()
        return size[1] if size else None

    @property
    def is_image(self) -> bool:
        return self.kind == Kind.IMAGE

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None
