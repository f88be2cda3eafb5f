"""Where appointments plug into the rest of the portal: audit names, the client file's
tab and timeline, merge/export/erasure, navigation and the dashboard."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from audit import display
    from scheduling.models import Appointment, Service

    display.register(display.ObjectType("appointment", _("appointment"), Appointment))
    display.register(display.ObjectType("service", _("service"), Service))
    _connect_setup()
    _connect_recalls()


def _connect_setup() -> None:
    """The set-up pages (services, hours, rooms, online booking rules)."""
    from accounts.roles import Capability
    from audit import display
    from portal import navigation
    from scheduling import models as m

    for key, label, model in (
        ("service_category", _("service category"), m.ServiceCategory),
        ("resource", _("room, chair or device"), m.Resource),
        ("business_hours", _("business hours"), m.BusinessHours),
        ("working_hours", _("working hours"), m.WorkingHours),
        ("time_off", _("time off"), m.TimeOff),
        ("holiday", _("public holiday"), m.Holiday),
        ("booking_settings", _("online booking rules"), m.BookingSettings),
    ):
        display.register(display.ObjectType(key, label, model))
    # Weekly hours are recorded as one value per weekday ("09:00–12:00, 13:00–18:00").
    display.EXTRA_LABELS.update({f"weekday_{day.value}": day.label for day in m.Weekday})
    navigation.register(
        navigation.NavItem(
            "schedule_setup",
            _("Services and hours"),
            "scheduling:setup",
            Capability.SETUP_SCHEDULE,
            "clock",
            905,
            section="admin",
        )
    )


def _connect_recalls() -> None:
    """The recall list (who is due back) and its menu entry."""
    from accounts.roles import Capability
    from audit import display
    from portal import navigation
    from scheduling.models import Recall

    display.register(display.ObjectType("recall", _("recall"), Recall))
    navigation.register(
        navigation.NavItem(
            "recalls",
            _("Recalls"),
            "scheduling:recalls",
            Capability.VIEW_SCHEDULE,
            "bell",
            22,
        )
    )
