from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class BookingError(models.TextChoices):
    """Why a booking or a change to one was refused (``ValidationError.code``)."""

    SLOT_TAKEN = "slot_taken", _("That time has just been taken. Choose another time.")
    NOT_AVAILABLE = (
        "not_available",
        _("That time is not free: outside working hours, on time off, or booked already."),
    )
    NO_SERVICE = "no_service", _("Choose at least one service.")
    SERVICE_RETIRED = "service_retired", _("%(service)s is no longer offered.")
    NOT_PERFORMER = "not_performer", _("%(staff)s does not perform %(service)s.")
    NOBODY_PERFORMS = "nobody_performs", _("Nobody performs %(service)s yet.")
    IN_PAST = "in_past", _("That time has passed.")
    TRANSITION = "transition", _("This appointment is “%(status)s”: that change is not possible.")
    REASON_REQUIRED = "reason_required", _("Give a reason.")
    CLIENT_ERASED = "client_erased", _("This client's file has been erased.")
    ONLINE_OFF = "online_off", _("This business does not take bookings online.")
    TOO_SOON = "too_soon", _("Bookings online need at least %(notice)s notice.")
    TOO_FAR = "too_far", _("Bookings online open at most %(days)s days ahead.")
    NEW_CLIENTS_OFF = (
        "new_clients_off",
        _("Online booking is for existing clients. Please call us to book."),
    )
    NOT_ONLINE = "not_online", _("This service cannot be booked online.")
    CHANGE_CLOSED = (
        "change_closed",
        _("This booking can no longer be changed online. Please call us."),
    )


def refusal(code: BookingError, field: str | None = None, **params) -> ValidationError:
    error = ValidationError(code.label, code=code.value, params=params or None)
    return ValidationError({field: error}) if field else error


class SlotTaken(ValidationError):
    """The time is not free (or was taken a moment ago). ``alternatives`` holds the
    nearest free options, for the answer."""

    def __init__(self, *, alternatives=(), code: BookingError = BookingError.SLOT_TAKEN):
        super().__init__(code.label, code=code.value)
        self.alternatives = list(alternatives)
