"""Where the outbox plugs into the rest of the product: audit names, navigation, the
client file's tab and timeline, merge/export/erasure, the causes that write messages
(scheduling, visits, optical, accounts) and the gateways' callbacks. Each part adds its
own ``_connect_*``."""

from __future__ import annotations


def connect() -> None:
    _connect_outbox()
    _connect_channels()
    _connect_portal()
    _connect_links()


def _connect_outbox() -> None:
    """Merge, export and erasure of a client's messages (a merge moves them with their
    foreign key; erasure blanks what was sent and keeps the rows for the counts)."""
    from django.utils.translation import gettext_lazy as _

    from clients import related
    from notifications import outbox, selectors

    related.register(
        related.ClientData(
            "messages", _("Messages sent"), selectors.messages_export, outbox.messages_erase
        )
    )


def _connect_channels() -> None:
    """The gateways' delivery reports and replies: the configured SMS backend must load
    (a typo fails at start-up, not at the first text), and the replies a client sent are
    part of their export and erasure (a merge moves them with their foreign key)."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.utils.module_loading import import_string
    from django.utils.translation import gettext_lazy as _

    from clients import related
    from notifications import replies

    try:
        import_string(settings.NOTIFICATIONS_SMS_BACKEND)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"NOTIFICATIONS_SMS_BACKEND {settings.NOTIFICATIONS_SMS_BACKEND!r}: {exc}"
        ) from exc
    related.register(
        related.ClientData(
            "message_replies",
            _("Text replies"),
            replies.replies_export,
            replies.replies_erase,
        )
    )


def _connect_portal() -> None:
    """Audit names, navigation, the Messages tab and timeline, and this month's counts in
    the operator console. The log opens with ``schedule.view``: front desk answers "did
    the reminder go?" at the counter, and a message's text is not clinical; the settings
    and wording need ``settings.manage``."""
    from django.utils.translation import gettext_lazy as _

    from accounts.roles import Capability
    from audit import display
    from clients import profile
    from notifications import log
    from notifications import models as m
    from portal import navigation
    from tenants import stats

    for key, label, model in (
        ("notification_settings", _("message settings"), m.NotificationSettings),
        ("message_template", _("message template"), m.MessageTemplate),
    ):
        display.register(display.ObjectType(key, label, model))
    navigation.register(
        navigation.NavItem(
            "messages", _("Messages"), "notifications:log", Capability.VIEW_SCHEDULE, "bell", 25
        )
    )
    navigation.register(
        navigation.NavItem(
            "message_settings",
            _("Message settings"),
            "notifications:settings",
            Capability.MANAGE_SETTINGS,
            "cog",
            930,
            section="admin",
        )
    )
    profile.register_tab(
        profile.ProfileTab(
            "messages",
            _("Messages"),
            45,
            Capability.VIEW_SCHEDULE,
            "notifications/client_file/tab.html",
            log.messages_tab_context,
        )
    )
    profile.register_timeline(
        profile.TimelineSource("messages", Capability.VIEW_SCHEDULE, log.timeline_entries)
    )
    for counter in console_counters():
        stats.register(counter)


def console_counters():
    """The operator console's columns: SMS parts and emails that left this month (in each
    business's time zone), counted as ``selectors.monthly_counts`` counts them."""
    from django.utils.translation import gettext_lazy as _

    from notifications.selectors import COUNTED
    from tenants import stats

    statuses = ", ".join(f"'{status}'" for status in COUNTED)
    return [
        stats.Counter(
            "sms_segments_month",
            _("SMS parts this month"),
            "notifications_message",
            f"channel = 'sms' AND status IN ({statuses})",
            value="coalesce(sum(segments), 0)",
            since_month_start="created_at",
        ),
        stats.Counter(
            "emails_month",
            _("Emails this month"),
            "notifications_message",
            f"channel = 'email' AND status IN ({statuses})",
            since_month_start="created_at",
        ),
    ]


def _connect_links() -> None:
    """The causes that write messages: bookings, visits, glasses ready, staff mail."""
    from notifications import causes
    from scheduling.signals import appointment_changed
    from verticals.optical.signals import lab_order_ready

    appointment_changed.connect(causes.appointment_changed, dispatch_uid="notifications")
    lab_order_ready.connect(causes.lab_order_ready, dispatch_uid="notifications")
