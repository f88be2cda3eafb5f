"""The outbox: every message the business sends is a row here before it leaves.

A row is written in the same transaction as its cause (an appointment booked, a lab order
ready...) under a unique idempotency key, so a cause replayed never makes a second row. A
Celery task claims a due row atomically (queued → sending, with a claim token), sends it
through its channel and records the provider's id; a row found ``sending`` whose worker
died is resent only when its channel honours an idempotency key, otherwise it is ``held``
for a person to decide (notifications.outbox)."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", pgettext_lazy("message channel", "Email")


class Kind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Booking confirmation")
    REMINDER = "reminder", _("Appointment reminder")
    RESCHEDULE = "reschedule", _("Reschedule notice")
    CANCELLATION = "cancellation", _("Cancellation notice")
    RECALL = "recall", _("Recall due")
    BIRTHDAY = "birthday", _("Birthday greeting")
    FOLLOW_UP = "follow_up", _("Post-visit follow-up")
    LAB_READY = "lab_ready", _("Glasses ready for collection")
    WAITLIST = "waitlist", _("Waitlist slot free")
    PHONE_CODE = "phone_code", _("Phone verification code")
    RECEIPT = "receipt", _("Receipt")
    INVITATION = "invitation", _("Staff invitation")
    PASSWORD_RESET = "password_reset", _("Password reset")


# Kinds that are marketing: sent only to clients who opted in (privacy consents).
MARKETING_KINDS = frozenset({Kind.BIRTHDAY})
# Kinds to staff or to a phone being verified: not about a client's preferences.
STAFF_KINDS = frozenset({Kind.INVITATION, Kind.PASSWORD_RESET})


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    HELD = "held", _("Held for a decision")


OPEN_STATUSES = (Status.QUEUED, Status.SENDING, Status.HELD)


class Message(models.Model):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    # Unique per cause, e.g. "reminder:appt:42:2026-12-03T08:00Z:sms".
    idempotency_key = models.CharField(max_length=200, unique=True)
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("client"),
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    recipient = models.CharField(_("to"), max_length=254)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    segments = models.PositiveSmallIntegerField(_("SMS parts"), default=0)
    marketing = models.BooleanField(default=False)
    # Not before this moment (quiet hours move it to the morning).
    send_after = models.DateTimeField(_("due"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claim_token = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    provider = models.CharField(_("gateway"), max_length=30, blank=True)
    provider_id = models.CharField(_("gateway's message id"), max_length=120, blank=True)
    provider_status = models.CharField(max_length=60, blank=True)
    error = models.TextField(_("error"), blank=True)
    # Anything the kind needs later (link expiry, the time the reminder is about...).
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A resend is a new row pointing at the one it repeats.
    resend_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="resends"
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["send_after"],
                name="message_due",
                condition=models.Q(status="queued"),
            ),
            models.Index(fields=["client", "-created_at"], name="message_client"),
            models.Index(fields=["-created_at"], name="message_created"),
            models.Index(fields=["provider", "provider_id"], name="message_provider_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=["sms", "email"]), name="message_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class MessageEvent(models.Model):
    """A message's life, one row per change: queued, claimed, sent, a gateway's status
    callback, a failure, a retry, held, cancelled, resent."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class MessageTemplate(models.Model):
    """The business's own wording of one kind on one channel in one language; without a
    row the built-in wording is used (notifications.templates)."""

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("message template")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "language"], name="message_template_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel}/{self.language}"


_settings_cache: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "notification_settings_cache", default=None
)


def _default_reminder_hours() -> list[int]:
    return [24, 2]


def _default_kinds() -> list[str]:
    return [
        Kind.CONFIRMATION,
        Kind.REMINDER,
        Kind.RESCHEDULE,
        Kind.CANCELLATION,
        Kind.RECALL,
        Kind.BIRTHDAY,
        Kind.FOLLOW_UP,
        Kind.LAB_READY,
        Kind.WAITLIST,
    ]


class NotificationSettings(models.Model):
    """One row per tenant: which messages go out, when, and how they are signed."""

    enabled_kinds = ArrayField(
        models.CharField(max_length=20, choices=Kind.choices),
        default=_default_kinds,
        blank=True,
        verbose_name=_("messages sent"),
    )
    reminder_hours = ArrayField(
        models.PositiveSmallIntegerField(),
        default=_default_reminder_hours,
        blank=True,
        verbose_name=_("reminders, hours before the appointment"),
    )
    quiet_start = models.TimeField(_("quiet hours start"), default=dt.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=dt.time(8, 0))
    # Birthday greetings and recalls go out at this local time.
    morning_at = models.TimeField(_("greetings and recalls go out at"), default=dt.time(10, 0))
    follow_up_after_hours = models.PositiveSmallIntegerField(
        _("follow-up, hours after the visit"), default=24
    )
    sms_signature = models.CharField(
        _("SMS signature"),
        max_length=20,
        blank=True,
        help_text=_("The name in 【】 a Chinese gateway puts before each text (短信签名)."),
    )
    reply_email = models.EmailField(_("reply-to address"), blank=True)

    class Meta:
        verbose_name = _("message settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def load(cls) -> NotificationSettings:
        cache = _settings_cache.get()
        key = connection.schema_name
        if cache is not None and key in cache:
            return cache[key]
        row = cls.objects.order_by("pk").first() or cls.objects.create()
        if cache is not None:
            cache[key] = row
        return row

    @classmethod
    @contextlib.contextmanager
    def cached(cls):
        """Within the block, :meth:`load` reads each business's row once (the per-minute
        round reads it for every reminder it writes); outside it, every call reads."""
        token = _settings_cache.set({})
        try:
            yield
        finally:
            _settings_cache.reset(token)


class InboundReply(models.Model):
    """A text a client sent back through a gateway that supports replies; a stop word
    (退订, STOP...) opts them out."""

    provider = models.CharField(max_length=30)
    sender = models.CharField(max_length=40)
    body = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opted_out = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.sender}: {self.body[:20]}"
