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
    """Merge, export and erasure of a client's messages."""


def _connect_channels() -> None:
    """The gateways' delivery reports and replies."""


def _connect_portal() -> None:
    """Audit names, navigation, the Messages tab and timeline."""


def _connect_links() -> None:
    """The causes that write messages: bookings, visits, glasses ready, staff mail."""
