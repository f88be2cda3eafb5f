"""The contact log (seed 000 联系记录): every call, message or meeting with a client, who
made it, why, through which channel, what was said and agreed, and when to follow up.
A planned follow-up date makes the entry a task of the staff member who made the
contact until someone marks it done."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    APPOINTMENT = "appointment", _("Appointment")
    CONSULTATION = "consultation", _("Consultation")
    FOLLOW_UP = "follow_up", _("Follow-up call")
    COMPLAINT = "complaint", _("Complaint")
    MARKETING = "marketing", _("Marketing")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    IN_PERSON = "in_person", _("In person")


class ContactEntry(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        related_name="contact_entries",
        verbose_name=_("client"),
    )
    contacted_at = models.DateTimeField(_("when"), default=timezone.now)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    summary = models.TextField(_("summary"))
    outcome = models.TextField(_("outcome"), blank=True)
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("follow-up done"), null=True, blank=True)
    follow_up_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follow-up done by"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("contact log entry")
        verbose_name_plural = _("contact log entries")
        ordering = ["-contacted_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-contacted_at"], name="contact_client_when"),
            # The open follow-up tasks, per staff member and due date.
            models.Index(
                fields=["staff", "next_follow_up"],
                name="contact_open_follow_ups",
                condition=models.Q(next_follow_up__isnull=False, follow_up_done_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(follow_up_done_at__isnull=True)
                | models.Q(next_follow_up__isnull=False),
                name="contact_done_needs_follow_up",
            )
        ]

    def __str__(self) -> str:
        return f"contact {self.contacted_at:%Y-%m-%d} with client {self.client_id}"

    @property
    def follow_up_done(self) -> bool:
        return self.follow_up_done_at is not None
