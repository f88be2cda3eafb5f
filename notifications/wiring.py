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
    """Audit names, navigation, the Messages tab and timeline."""


def _connect_links() -> None:
    """The causes that write messages: bookings, visits, glasses ready, staff mail."""
    from notifications import causes
    from scheduling.signals import appointment_changed
    from verticals.optical.signals import lab_order_ready

    appointment_changed.connect(causes.appointment_changed, dispatch_uid="notifications")
    lab_order_ready.connect(causes.lab_order_ready, dispatch_uid="notifications")
