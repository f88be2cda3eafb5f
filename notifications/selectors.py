"""What the outbox has sent: the month's counts (plan limits, the log page, the operator
console) and the log's rows."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from notifications.models import Channel, Message, Status

# Rows that count as sent for a plan: they left or are leaving.
COUNTED = (Status.SENDING, Status.SENT, Status.DELIVERED)


def _zone():
    from scheduling.availability import tenant_zone

    return tenant_zone()


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """The month in the business's time zone, as UTC instants [start, end)."""
    zone = _zone()
    start = dt.datetime(year, month, 1, tzinfo=zone)
    following = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return start.astimezone(dt.UTC), following.astimezone(dt.UTC)


def monthly_counts(year: int, month: int) -> dict[str, int]:
    start, end = month_bounds(year, month)
    rows = Message.objects.filter(
        status__in=COUNTED, created_at__gte=start, created_at__lt=end
    ).aggregate(
        sms=Count("pk", filter=Q(channel=Channel.SMS)),
        sms_segments=Sum("segments", filter=Q(channel=Channel.SMS)),
        emails=Count("pk", filter=Q(channel=Channel.EMAIL)),
    )
    return {
        "sms": rows["sms"] or 0,
        "sms_segments": rows["sms_segments"] or 0,
        "emails": rows["emails"] or 0,
    }


def this_month() -> tuple[int, int]:
    today = timezone.now().astimezone(_zone())
    return today.year, today.month


def sms_segments_this_month() -> int:
    return monthly_counts(*this_month())["sms_segments"]


def message_log(*, client=None, status: str = "", kind: str = "", channel: str = "") -> QuerySet:
    rows = Message.objects.select_related("client")
    if client is not None:
        rows = rows.filter(client=client)
    if status:
        rows = rows.filter(status=status)
    if kind:
        rows = rows.filter(kind=kind)
    if channel:
        rows = rows.filter(channel=channel)
    return rows.order_by("-created_at", "-pk")


def messages_export(client, *, user) -> list[dict]:
    """The messages sent (or meant) to the client, for their export (times ISO 8601, UTC)."""
    rows = Message.objects.filter(client=client).order_by("created_at", "pk")
    return [
        {
            "created_at": m.created_at.isoformat(),
            "kind": m.kind,
            "channel": m.channel,
            "status": m.status,
            "to": m.recipient,
            "subject": m.subject,
            "text": m.body,
            "sent_at": m.sent_at.isoformat() if m.sent_at else None,
            "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None,
            "error": m.error,
        }
        for m in rows
    ]
