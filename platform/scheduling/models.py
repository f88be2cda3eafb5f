"""Appointments and what they are booked against (seeds 001 and 004: booking by phone
and online, confirmation, rescheduling, cancellation reasons, recalls).

Times are stored in UTC. An appointment holds its staff member (and its room, chair or
device) from ``blocked_from`` (start minus the service's buffer before) to
``blocked_until`` (end plus the buffer after); two exclusion constraints refuse any
overlap of those ranges for one staff member or one resource among the appointments
that still hold their time, so a double booking is impossible whichever process writes.
Working hours, breaks and business hours are wall-clock times in the tenant's zone,
turned into instants per day by ``scheduling.availability`` (so a daylight-saving day
is as long as it really is)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import TagColour


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()  # only used inside the constraint


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


# Services are coloured from the portal's palette, the one tags use.
ServiceColour = TagColour


class ServiceCategory(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ResourceKind(models.TextChoices):
    ROOM = "room", _("Room")
    CHAIR = "chair", _("Chair")
    DEVICE = "device", _("Device")


class Resource(models.Model):
    """A room, chair or device that an appointment occupies."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ResourceKind.choices)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("room, chair or device")
        verbose_name_plural = _("rooms, chairs and devices")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


def vertical_choices() -> list[tuple[str, str]]:
    """Every registered trade (verticals.registry), for ``Service.vertical``."""
    from verticals import registry

    return [(v.key, v.label) for v in registry.all_verticals()]


class Service(models.Model):
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("category"),
    )
    name = models.CharField(_("name"), max_length=100)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(600)]
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        _("buffer before (minutes)"), default=0, validators=[MaxValueValidator(120)]
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        _("buffer after (minutes)"), default=0, validators=[MaxValueValidator(120)]
    )
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="services_performed",
        verbose_name=_("staff who perform it"),
    )
    # The appointment takes one of these (any free one); none: it needs no resource.
    resources = models.ManyToManyField(
        Resource,
        blank=True,
        related_name="services",
        verbose_name=_("needs one of these rooms, chairs or devices"),
    )
    online_bookable = models.BooleanField(_("clients can book it online"), default=True)
    colour = models.CharField(
        _("colour"), max_length=10, choices=ServiceColour.choices, default=ServiceColour.TEAL
    )
    recall_days = models.PositiveSmallIntegerField(
        _("recall after (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_(
            "When the client should come back after this service; empty: the trade's "
            "usual interval (six months at a dentist), if it has one."
        ),
    )
    # The trade whose visit-record form and recall default the service follows; blank:
    # the business type's own (a salon with medical aesthetics on marks its injections).
    vertical = models.CharField(
        _("clinical module"),
        max_length=30,
        blank=True,
        default="",
        choices=vertical_choices,
        help_text=_("Empty: the business's own trade."),
    )
    # Retired services stay on their appointments and reports but can no longer be booked.
    active = models.BooleanField(_("offered"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=Q(active=True), name="service_active_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def vertical_key(self) -> str:
        """The trade this service belongs to: its own mark, else the business type's."""
        if self.vertical:
            return self.vertical
        from verticals import registry

        primary = registry.current()
        return primary.key if primary else ""


class BookingSettings(models.Model):
    """One row per business: online booking rules and how late a cancellation is late."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    online_enabled = models.BooleanField(_("clients can book online"), default=True)
    approval_required = models.BooleanField(_("online bookings wait for approval"), default=False)
    new_clients_online = models.BooleanField(_("new clients can book online"), default=True)
    min_notice_minutes = models.PositiveIntegerField(
        _("minimum notice (minutes)"), default=120, validators=[MaxValueValidator(60 * 24 * 30)]
    )
    max_days_ahead = models.PositiveSmallIntegerField(
        _("bookable how many days ahead"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot granularity (minutes)"),
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
    )
    late_cancel_hours = models.PositiveSmallIntegerField(
        _("a cancellation is late within (hours)"),
        default=24,
        validators=[MaxValueValidator(24 * 14)],
    )
    client_can_reschedule = models.BooleanField(
        _("clients can move and cancel their booking online"), default=True
    )
    verify_phone = models.BooleanField(
        _("verify phone numbers by SMS code"),
        default=True,
        help_text=_(
            "A client booking online types a code texted to their mobile before the "
            "booking is made (once per visit to the booking pages)."
        ),
    )

    class Meta:
        verbose_name = _("booking settings")

    def __str__(self) -> str:
        return "booking settings"

    @classmethod
    def load(cls) -> BookingSettings:
        return cls.objects.get_or_create(singleton=True)[0]


class PhoneCode(models.Model):
    """A one-time code texted to a phone that books online (scheduling.phone_codes); only
    its keyed hash is kept. It is spent by the right code, by too many wrong ones, by a
    newer code for the same phone, or by time."""

    phone = models.CharField(max_length=30)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    spent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["phone", "-created_at"],
                name="phone_code_open",
                condition=Q(spent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"code for {self.phone}"


class BusinessHours(models.Model):
    """When the business is open on a weekday (several rows: closed over lunch)."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes")), name="hours_open_before_close"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class WorkingHours(models.Model):
    """A staff member's working time on a weekday; a break is the gap between two rows."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="working_hours",
        verbose_name=_("staff member"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    starts = models.TimeField(_("from"))
    ends = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["staff", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(starts__lt=F("ends")), name="work_start_before_end")
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class TimeOff(models.Model):
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="time_off",
        verbose_name=_("staff member"),
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="time_off_start_before_end"
            )
        ]

    def __str__(self) -> str:
        return f"time off of {self.staff_id} from {self.starts_at:%Y-%m-%d %H:%M}"


class Holiday(models.Model):
    """A day the whole business is closed (public holidays, 春节)."""

    day = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        verbose_name = _("public holiday")
        verbose_name_plural = _("public holidays")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class Status(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    BOOKED = "booked", _("Booked")
    CONFIRMED = "confirmed", _("Confirmed")
    ARRIVED = "arrived", _("Arrived")
    IN_SERVICE = "in_service", _("In service")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")
    RESCHEDULED = "rescheduled", _("Rescheduled")


# Appointments in these states hold their staff member's and resource's time.
HOLDING = (
    Status.REQUESTED,
    Status.BOOKED,
    Status.CONFIRMED,
    Status.ARRIVED,
    Status.IN_SERVICE,
    Status.COMPLETED,
)


class Channel(models.TextChoices):
    PHONE = "phone", _("By phone")
    WALK_IN = "walk_in", _("Walk-in")
    IN_PERSON = "in_person", _("At the desk")
    ONLINE = "online", _("Online")


class CancelledBy(models.TextChoices):
    CLIENT = "client", _("The client")
    BUSINESS = "business", _("The business")


def _token() -> str:
    return secrets.token_urlsafe(16)


def _feed_secret() -> str:
    return secrets.token_urlsafe(32)


class Appointment(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        related_name="appointments",
        verbose_name=_("client"),
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("service")
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("staff member"),
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("room, chair or device"),
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    # starts_at - buffer before, ends_at + buffer after: what the constraints keep apart.
    blocked_from = models.DateTimeField(editable=False)
    blocked_until = models.DateTimeField(editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.BOOKED
    )
    channel = models.CharField(
        _("booked"), max_length=10, choices=Channel.choices, default=Channel.PHONE
    )
    # Services booked together in sequence share a group (the first one's id).
    group = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    note = models.CharField(_("booking note"), max_length=300, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=0)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    cancelled_by = models.CharField(
        _("cancelled by"), max_length=10, choices=CancelledBy.choices, blank=True
    )
    cancelled_late = models.BooleanField(_("cancelled late"), default=False)
    rescheduled_to = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rescheduled_from",
        verbose_name=_("moved to"),
    )
    visit = models.OneToOneField(
        "visits.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
        verbose_name=_("visit"),
    )
    # The secret in the client's manage link (with a signature and an expiry); a new
    # one makes older links dead.
    manage_token = models.CharField(max_length=32, default=_token, editable=False, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["staff", "blocked_from"], name="appt_staff_from"),
            models.Index(fields=["starts_at"], name="appt_starts"),
            models.Index(fields=["client", "-starts_at"], name="appt_client_starts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at"))
                & Q(blocked_from__lte=F("starts_at"))
                & Q(blocked_until__gte=F("ends_at")),
                name="appt_times_in_order",
            ),
            ExclusionConstraint(
                name="appt_no_staff_overlap",
                expressions=[
                    ("staff", RangeOperators.EQUAL),
                    (TsTzRange("blocked_from", "blocked_until"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=HOLDING),
                violation_error_code="staff_overlap",
            ),
            ExclusionConstraint(
                name="appt_no_resource_overlap",
                expressions=[
                    ("resource", RangeOperators.EQUAL),
                    (TsTzRange("blocked_from", "blocked_until"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=HOLDING) & Q(resource__isnull=False),
                violation_error_code="resource_overlap",
            ),
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def holds_time(self) -> bool:
        return self.status in HOLDING


class AppointmentEvent(models.Model):
    """The appointment's history: every status change and move, who made it and when."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # "client" for changes the client made through the booking link or page.
    actor_label = models.CharField(max_length=160, blank=True)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    reason = models.CharField(max_length=200, blank=True)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"


class RecallStatus(models.TextChoices):
    DUE = "due", _("Due")
    BOOKED = "booked", _("Booked")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")


class Recall(models.Model):
    """When a client should come back for a service (复诊, 复查), set by completing an
    appointment of a service with a recall interval."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="recalls", verbose_name=_("client")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="recalls", verbose_name=_("service")
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=RecallStatus.choices, default=RecallStatus.DUE
    )
    source = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booked = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="recalls_booked"
    )
    dismiss_reason = models.CharField(_("reason"), max_length=200, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="recall_status_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "service"],
                condition=Q(status__in=["due", "booked"]),
                name="recall_one_open_per_service",
            )
        ]

    def __str__(self) -> str:
        return f"recall of client {self.client_id} due {self.due_on}"


class TimeOfDay(models.TextChoices):
    ANY = "", _("Any time")
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    BOOKED = "booked", _("Booked")
    REMOVED = "removed", _("Removed")


class WaitlistEntry(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.CASCADE,
        related_name="waitlist",
        verbose_name=_("client"),
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    earliest = models.DateField(_("from"))
    latest = models.DateField(_("until"))
    time_of_day = models.CharField(
        _("time of day"), max_length=10, choices=TimeOfDay.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist")
        ordering = ["earliest", "id"]
        indexes = [models.Index(fields=["status", "latest"], name="wait_status_latest")]
        constraints = [
            models.CheckConstraint(
                condition=Q(earliest__lte=F("latest")), name="wait_dates_in_order"
            )
        ]

    def __str__(self) -> str:
        return f"waitlist entry {self.pk} of client {self.client_id}"


class CalendarFeed(models.Model):
    """A staff member's read-only iCalendar feed behind a secret URL; revoking it deletes
    the row, and a new one has a new secret."""

    staff = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    secret = models.CharField(max_length=64, unique=True, default=_feed_secret)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of {self.staff_id}"
