"""Each staff member's read-only iCalendar feed, for the calendar app on their phone.

The feed lives behind a secret URL (``/appointments/feed/<secret>.ics``) that needs no
sign-in, so it carries as little as a lock screen may show: the service and the client's
first name or initials — no phone, no notes, nothing of the health record. Times are in
UTC (every calendar app converts them); the tenant's zone is named for display.

Revoking deletes the row, so the old URL answers 404; a new link has a new secret
(``secrets.token_urlsafe``). Creating, regenerating and revoking are audited."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from audit import services as audit
from audit.models import Action
from scheduling.availability import tenant_zone
from scheduling.models import HOLDING, Appointment, CalendarFeed, Status

DAYS_BACK = 30
DAYS_AHEAD = 180


def feed_for_secret(secret: str) -> CalendarFeed | None:
    """The feed of ``secret`` in this business, or None (looked up through the unique
    index)."""
    if not secret or len(secret) > 64:
        return None
    feed = CalendarFeed.objects.select_related("staff").filter(secret=secret).first()
    if feed is None:
        return None
    if not feed.staff.is_active:
        return None
    return feed


def _audit(action: str, feed: CalendarFeed, actor) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type="calendar_feed",
        object_id=feed.pk,
        client_id=None,
        before={} if action == Action.CREATE else {"staff": feed.staff_id},
        after={} if action == Action.DELETE else {"staff": feed.staff_id},
    )


@transaction.atomic
def feed_create(*, staff, actor) -> CalendarFeed:
    """The staff member's feed; made (with a new secret) if there is none."""
    feed = CalendarFeed.objects.filter(staff=staff).first()
    if feed is not None:
        return feed
    feed = CalendarFeed(staff=staff)
    feed.full_clean(exclude=["staff"])
    feed.save()
    _audit(Action.CREATE, feed, actor)
    return feed


@transaction.atomic
def feed_revoke(*, staff, actor) -> None:
    """The old link stops working at once."""
    feed = CalendarFeed.objects.select_for_update().filter(staff=staff).first()
    if feed is None:
        return
    _audit(Action.DELETE, feed, actor)
    feed.delete()


@transaction.atomic
def feed_regenerate(*, staff, actor) -> CalendarFeed:
    """A new secret; the old link stops working."""
    feed_revoke(staff=staff, actor=actor)
    return feed_create(staff=staff, actor=actor)


def client_label(name: str) -> str:
    """What a calendar on a lock screen may say about the client: "Anna L." for
    "Anna Li", "张**" for "张三丰" (the family name and one mark per other character)."""
    name = (name or "").strip()
    if not name:
        return ""
    parts = name.split()
    if len(parts) > 1:
        return f"{parts[0]} {parts[-1][0]}."
    if name.isascii():
        return name
    return name[0] + "*" * (len(name) - 1)


def feed_appointments(feed: CalendarFeed, *, now: dt.datetime | None = None):
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            staff_id=feed.staff_id,
            status__in=HOLDING,
            starts_at__gte=now - dt.timedelta(days=DAYS_BACK),
            starts_at__lt=now + dt.timedelta(days=DAYS_AHEAD),
        )
        .select_related("service", "client")
        .only("id", "starts_at", "ends_at", "status", "service__name", "client__name")
        .order_by("starts_at", "id")
    )


def feed_ics(feed: CalendarFeed) -> bytes:
    """The feed as an iCalendar document (RFC 5545)."""
    import icalendar

    zone = tenant_zone()
    tenant = connection.tenant
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//ClinicDesk//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{tenant.name} · {feed.staff}")
    calendar.add("x-wr-timezone", zone.key)
    stamp = timezone.now().astimezone(dt.UTC)
    for appointment in feed_appointments(feed):
        event = icalendar.Event()
        event.add("uid", f"appointment-{appointment.pk}@{tenant.schema_name}.clinicdesk")
        event.add("dtstamp", stamp)
        event.add("dtstart", appointment.starts_at.astimezone(dt.UTC))
        event.add("dtend", appointment.ends_at.astimezone(dt.UTC))
        label = client_label(appointment.client.name)
        summary = appointment.service.name + (f" · {label}" if label else "")
        event.add("summary", summary)
        event.add("status", "TENTATIVE" if appointment.status == Status.REQUESTED else "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()
