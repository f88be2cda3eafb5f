"""Consent (seeds 002, 003: 保护客户隐私, 遵守相关法律法规): what the client agreed to, for
each purpose separately, and how it was recorded. Records are only appended: a withdrawal
is a new record, and the current state of a purpose is its newest record."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    DATA_PROCESSING = "data_processing", _("Processing of personal data")
    HEALTH_DATA = "health_data", _("Processing of health data")
    MARKETING_SMS = "marketing_sms", _("Marketing by SMS")
    MARKETING_EMAIL = "marketing_email", _("Marketing by email")


class Method(models.TextChoices):
    WRITTEN = "written", _("Written form")
    VERBAL = "verbal", _("Verbal")
    ONLINE = "online", _("Online")
    IMPORTED = "imported", _("Imported")


class ConsentRecord(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("client"),
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    method = models.CharField(_("how it was given"), max_length=20, choices=Method.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-id"]
        indexes = [
            # The current state per purpose: DISTINCT ON (client, purpose), newest first.
            models.Index(
                fields=["client", "purpose", "-recorded_at", "-id"], name="consent_current"
            )
        ]

    def __str__(self) -> str:
        state = "granted" if self.granted else "withdrawn"
        return f"{self.purpose} {state} for client {self.client_id}"
