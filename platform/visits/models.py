"""Visit and treatment history (seed 000 治疗历史及反馈). Scheduling and the vertical
records write visits later; the client's first and last visit dates, visit count and
total spend are derived from these rows by ``visits.services``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VisitOrigin(models.TextChoices):
    MANUAL = "manual", _("Entered by staff")
    IMPORT = "import", _("Imported")
    APPOINTMENT = "appointment", _("From an appointment")


class Visit(models.Model):
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="visits", verbose_name=_("client")
    )
    visited_on = models.DateField(_("date"))
    treatment_items = ArrayField(
        models.CharField(max_length=100),
        default=list,
        blank=True,
        verbose_name=_("treatment items"),
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("practitioner"),
    )
    efficacy = models.TextField(_("efficacy evaluation"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    suggestions = models.TextField(_("client's suggestions"), blank=True)
    amount = models.DecimalField(
        _("amount spent"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    origin = models.CharField(
        max_length=20, choices=VisitOrigin.choices, default=VisitOrigin.MANUAL
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["client", "-visited_on"], name="visit_client_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="visit_satisfaction_1_5",
            )
        ]

    def __str__(self) -> str:
        return f"visit {self.visited_on} of client {self.client_id}"
