"""A bill's receipt by email: a RECEIPT message in the outbox, in the client's language,
with the receipt PDF attached when it is sent (notifications.channels.mail renders it
then, so the PDF is of the bill as it stands)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Capability
from finance import receipts
from finance.models import Bill


def _context(bill: Bill) -> dict:
    from notifications.context import client_context, format_date, local

    issued = bill.issued_at or bill.created_at
    return {
        **client_context(bill.client),
        "bill_number": str(bill.number),
        "total": receipts.money_text(bill.total, bill.currency),
        "date": format_date(local(issued).date(), weekday=False, year=True),
    }


@transaction.atomic
def receipt_email(*, bill: Bill, actor):
    """Write the receipt's email for ``bill`` (a numbered bill loaded by
    ``receipts.bill_for_receipt``) to its client's address. A second press within the
    same minute finds the message already written instead of sending it twice."""
    from notifications.models import Channel, Kind, Status
    from notifications.outbox import enqueue

    if not actor.can(Capability.TAKE_PAYMENTS):
        raise PermissionDenied
    client = bill.client
    if client is None or not client.email:
        raise ValidationError(_("The client has no email address."), code="no_email")
    minute = timezone.now().strftime("%Y%m%d%H%M")
    message = enqueue(
        kind=Kind.RECEIPT,
        key=f"receipt:bill:{bill.pk}:{client.email}:{minute}",
        context=lambda: _context(bill),
        client=client,
        channel=Channel.EMAIL,
        actor=actor,
        language=receipts.receipt_language(bill),
        meta={"attachments": [{"kind": "receipt", "bill": bill.pk}]},
    )
    if message.status == Status.CANCELLED:
        raise ValidationError(message.error, code="refused")
    return message
