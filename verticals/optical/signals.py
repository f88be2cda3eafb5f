"""What the optical services tell the rest of the product, inside their transaction.

``lab_order_ready(sender=Dispensing, dispensing, actor)``: a lab order has come back and
waits for the client (the outbox tells them)."""

from django.dispatch import Signal

lab_order_ready = Signal()
