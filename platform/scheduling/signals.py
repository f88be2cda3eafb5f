"""What the scheduling services tell the rest of the product, inside their own
transaction (a receiver's writes commit or roll back with the change):

``appointment_changed(sender=Appointment, appointment, change, previous=None, actor=None)``
with ``change`` one of:

- "booked": a booking made (``appointment`` is its first leg; a request awaiting the
  business's approval is not "booked" until approved),
- "approved": a requested booking accepted by the business,
- "rescheduled": ``appointment`` is the new row, ``previous`` the row it replaced,
- "cancelled", "completed".

The outbox listens (notifications.wiring) to write confirmations, notices and follow-ups."""

import contextlib
import contextvars

from django.dispatch import Signal

appointment_changed = Signal()

_muted = contextvars.ContextVar("scheduling_signals_muted", default=False)


@contextlib.contextmanager
def muted():
    """Change appointments without telling anyone (the demo week: its made-up clients
    get no confirmations)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def send_changed(appointment, change: str, *, previous=None, actor=None) -> None:
    if _muted.get():
        return
    appointment_changed.send(
        sender=type(appointment),
        appointment=appointment,
        change=change,
        previous=previous,
        actor=actor,
    )
