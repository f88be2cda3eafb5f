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
    _connect_waitlist()
    _connect_calendar()
    _connect_feeds()
    _connect_recalls()
    _connect_client_file()


def _connect_calendar() -> None:
    """The staff calendar, right after the dashboard and the clients in the sidebar."""
    from accounts.roles import Capability
    from portal import navigation

    navigation.register(
        navigation.NavItem(
            "calendar",
            _("Calendar"),
            "scheduling:calendar",
            Capability.VIEW_SCHEDULE,
            "calendar",
            15,
        )
    )


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


def _connect_client_file() -> None:
    """The client file's Appointments tab and timeline entries, the client's export,
    erasure and merge, and the dashboard's today and recalls blocks."""
    from accounts.roles import Capability
    from clients import profile, related
    from portal import dashboard
    from scheduling import client_file as cf

    profile.register_tab(
        profile.ProfileTab(
            "appointments",
            _("Appointments"),
            25,
            Capability.VIEW_SCHEDULE,
            "scheduling/client_file/tab.html",
            cf.appointments_tab_context,
        )
    )
    profile.register_timeline(
        profile.TimelineSource("appointments", Capability.VIEW_SCHEDULE, cf.timeline_entries)
    )
    related.register(
        related.ClientData(
            "appointments", _("Appointments"), cf.appointments_export, cf.appointments_erase
        )
    )
    related.register(
        related.ClientData(
            "recalls", _("Recalls"), cf.recalls_export, cf.recalls_erase, cf.recalls_merge
        )
    )
    related.register(
        related.ClientData("waitlist", _("Waitlist"), cf.waitlist_export, cf.waitlist_erase)
    )
    # Today's appointments open the dashboard (before follow-ups at 10 and visits at 20).
    dashboard.register(
        dashboard.DashboardWidget(
            "appointments_today",
            5,
            Capability.VIEW_SCHEDULE,
            "scheduling/client_file/dashboard_today.html",
            cf.today_widget_context,
        )
    )
    dashboard.register(
        dashboard.DashboardWidget(
            "recalls_due",
            15,
            Capability.VIEW_SCHEDULE,
            "scheduling/client_file/dashboard_recalls.html",
            cf.recalls_widget_context,
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


def _connect_feeds() -> None:
    """Each staff member's iCalendar feed: audit names and the menu entry of the page."""
    from accounts.roles import Capability
    from audit import display
    from portal import navigation
    from scheduling.models import CalendarFeed

    display.register(display.ObjectType("calendar_feed", _("calendar feed"), CalendarFeed))
    navigation.register(
        navigation.NavItem(
            "calendar_feeds",
            _("Calendar feeds"),
            "scheduling:feeds",
            Capability.VIEW_SCHEDULE,
            "link",
            24,
        )
    )


def _connect_waitlist() -> None:
    """The waitlist page, its audit name and menu entry."""
    from accounts.roles import Capability
    from audit import display
    from portal import navigation
    from scheduling.models import WaitlistEntry

    display.register(display.ObjectType("waitlist_entry", _("waitlist entry"), WaitlistEntry))
    navigation.register(
        navigation.NavItem(
            "waitlist",
            _("Waitlist"),
            "scheduling:waitlist",
            Capability.VIEW_SCHEDULE,
            "list",
            23,
        )
    )
