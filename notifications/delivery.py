"""Delivery reports from the gateways, applied to the outbox's rows.

A report only ever moves a message forward (sending/held → sent → delivered, or → failed
from anything not yet final): gateways retry and reorder their callbacks, and a late
"sent" must not undo a "delivered". Reports run in the schema of the business whose host
(or, for Aliyun's global push, whose OutId) they came by, so one business's report cannot
touch another's row."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Message, MessageEvent, Status

# How far along a message is; a report may only raise it. Final states are never left.
_RANK = {
    Status.QUEUED: 0,
    Status.SENDING: 1,
    Status.HELD: 1,
    Status.SENT: 2,
    Status.DELIVERED: 3,
    Status.FAILED: 3,
    Status.CANCELLED: 3,
}
_REPORTED = {"sent": Status.SENT, "delivered": Status.DELIVERED, "failed": Status.FAILED}


@transaction.atomic
def record_status(
    *,
    provider: str,
    provider_id: str,
    status: str,
    at: dt.datetime | None = None,
    note: str = "",
    message_id: int | None = None,
    provider_status: str = "",
) -> Message | None:
    """Apply a gateway's report that message ``provider_id`` is ``status`` ("sent",
    "delivered" or "failed"). The row, or None when this business has no such message.
    ``message_id``: the row the gateway names itself (Aliyun's OutId), checked against the
    provider id when the row has one; ``provider_status``: the gateway's own word, kept.
    A report that would move the message backwards (or repeats its state) changes nothing."""
    target = _REPORTED.get(status)
    if target is None:
        raise ValueError(f"unknown delivery status {status!r}")
    rows = Message.objects.select_for_update()
    if message_id is not None:
        message = rows.filter(pk=message_id).first()
        if message is None or message.provider not in ("", provider):
            return None
        if message.provider_id and provider_id and message.provider_id != provider_id:
            return None
    else:
        if not provider_id:
            return None
        message = rows.filter(provider=provider, provider_id=provider_id).first()
        if message is None:
            return None
    if _RANK[target] <= _RANK[Status(message.status)]:
        return message
    now = at or timezone.now()
    fields = ["status", "provider_status"]
    message.status = target
    message.provider_status = (provider_status or status)[:60]
    if not message.provider:
        message.provider = provider
        fields.append("provider")
    if not message.provider_id and provider_id:
        message.provider_id = provider_id
        fields.append("provider_id")
    if target == Status.SENT or (target == Status.DELIVERED and not message.sent_at):
        message.sent_at = message.sent_at or now
        fields.append("sent_at")
    if target == Status.DELIVERED:
        message.delivered_at = now
        message.finished_at = now
        fields += ["delivered_at", "finished_at"]
    if target == Status.FAILED:
        message.error = note or _("The gateway reported that the message was not delivered.")
        message.finished_at = now
        fields += ["error", "finished_at"]
    message.save(update_fields=fields)
    MessageEvent.objects.create(
        message=message,
        at=now,
        status=target,
        note=note or _("Reported by %(gateway)s.") % {"gateway": provider},
    )
    return message
