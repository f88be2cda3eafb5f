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

from django.dispatch import Signal

from core.signals import muted, send

__all__ = ["appointment_changed", "muted", "send_changed"]

appointment_changed = Signal()


def send_changed(appointment, change: str, *, previous=None, actor=None) -> None:
    send(
        appointment_changed,
        type(appointment),
        appointment=appointment,
        change=change,
        previous=previous,
        actor=actor,
    )
