"""Appointments in the rest of the portal: the client profile's tab and timeline, the
client's export, erasure and merge (``clients.related``) and the dashboard's blocks.
Each function runs a fixed number of queries, whatever the number of appointments."""

from __future__ import annotations

import calendar
import datetime as dt

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Capability
from clients.profile import TimelineEntry
from scheduling.availability import day_bounds, tenant_zone
from scheduling.calendar import ARRIVING
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    CancelledBy,
    Recall,
    RecallStatus,
    Status,
    WaitlistEntry,
    WaitlistStatus,
)
from scheduling.services import statuses_allowing

S = Status
# Booked and not yet over: what "upcoming" lists and erasure cancels.
OPEN = (S.REQUESTED, S.BOOKED, S.CONFIRMED, S.ARRIVED, S.IN_SERVICE)
CANCELLABLE = statuses_allowing(S.CANCELLED)
PAGE_SIZE = 20
UPCOMING_LIMIT = 20
TODAY_LIMIT = 60
RECALLS_LIMIT = 10
KIND_LABEL = gettext_lazy("Appointment")


def may_read_notes(user) -> bool:
    """Booking notes and cancellation reasons are free text about the person (named, not
    copied, in the audit trail): shown to those who book and cancel, not to everyone who
    may look at the calendar."""
    return user.can(Capability.MANAGE_SCHEDULE)


def _local(when: dt.datetime) -> dt.datetime:
    return timezone.localtime(when, tenant_zone())


def _when_text(when: dt.datetime) -> str:
    return formats.date_format(_local(when), "SHORT_DATETIME_FORMAT")


# ---------- the profile tab ----------


def client_appointments(client):
    return Appointment.objects.filter(client=client).select_related("service", "staff", "resource")


def appointments_tab_context(request, client) -> dict:
    now = timezone.now()
    rows = client_appointments(client)
    upcoming = list(
        rows.filter(starts_at__gte=now, status__in=OPEN).order_by("starts_at", "id")[
            :UPCOMING_LIMIT
        ]
    )
    # Moved bookings live on as their new row; the old one is only history.
    past = (
        rows.exclude(status=S.RESCHEDULED)
        .filter(Q(starts_at__lt=now) | ~Q(status__in=OPEN))
        .order_by("-starts_at", "-id")
    )
    counts = Appointment.objects.filter(client=client).aggregate(
        no_shows=Count("id", filter=Q(status=S.NO_SHOW)),
        late_cancels=Count(
            "id",
            filter=Q(status=S.CANCELLED, cancelled_by=CancelledBy.CLIENT, cancelled_late=True),
        ),
        cancels=Count("id", filter=Q(status=S.CANCELLED, cancelled_by=CancelledBy.CLIENT)),
    )
    recalls = list(
        Recall.objects.filter(client=client, status__in=[RecallStatus.DUE, RecallStatus.BOOKED])
        .select_related("service")
        .order_by("due_on", "id")
    )
    waiting = list(
        WaitlistEntry.objects.filter(client=client, status=WaitlistStatus.WAITING)
        .select_related("service", "staff")
        .order_by("earliest", "id")
    )
    return {
        "upcoming": upcoming,
        "recalls": recalls,
        "waiting": waiting,
        "today": timezone.localdate(timezone=tenant_zone()),
        "past_page": Paginator(past, PAGE_SIZE).get_page(request.GET.get("page")),
        "counts": counts,
        "show_notes": may_read_notes(request.user),
        "can_book": request.user.can(Capability.MANAGE_SCHEDULE) and not client.erased_at,
    }


# ---------- the timeline ----------

_SHOWN = Q(from_status="", old_starts_at__isnull=True) | Q(
    to_status__in=[S.RESCHEDULED, S.CANCELLED, S.NO_SHOW, S.COMPLETED]
)


def _event_text(event: AppointmentEvent, notes: bool) -> tuple[str, str]:
    appointment = event.appointment
    values = {"service": appointment.service.name}
    details = []
    if event.to_status == S.RESCHEDULED:
        values["old"] = _when_text(event.old_starts_at or appointment.starts_at)
        values["new"] = _when_text(event.new_starts_at or appointment.starts_at)
        title = _("Moved: %(service)s from %(old)s to %(new)s") % values
    else:
        values["when"] = _when_text(appointment.starts_at)
        if event.to_status == S.CANCELLED:
            title = _("Cancelled: %(service)s on %(when)s") % values
            if appointment.cancelled_by:
                details.append(
                    _("Cancelled by: %(party)s") % {"party": appointment.get_cancelled_by_display()}
                )
            if appointment.cancelled_late:
                details.append(_("Cancelled late"))
        elif event.to_status == S.NO_SHOW:
            title = _("No-show: %(service)s on %(when)s") % values
        elif event.to_status == S.COMPLETED:
            title = _("Completed: %(service)s on %(when)s") % values
        elif event.to_status == S.REQUESTED:
            title = _("Requested: %(service)s on %(when)s") % values
        else:
            title = _("Booked: %(service)s on %(when)s") % values
    if notes and event.reason and event.to_status in (S.CANCELLED, S.RESCHEDULED, S.NO_SHOW):
        details.append(_("Reason: %(reason)s") % {"reason": event.reason})
    return title, "\n".join(details)


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    """Booked, moved, cancelled, no-show and completed, from the appointments' history:
    one query."""
    notes = may_read_notes(user)
    events = (
        AppointmentEvent.objects.filter(appointment__client=client)
        .filter(_SHOWN)
        .select_related("appointment__service")
        .order_by("-at", "-id")[:limit]
    )
    entries = []
    for event in events:
        title, detail = _event_text(event, notes)
        entries.append(
            TimelineEntry(
                when=event.at,
                kind="appointment",
                kind_label=KIND_LABEL,
                title=title,
                detail=detail,
                url=reverse("scheduling:appointment", args=[event.appointment_id]),
                actor=event.actor_label.split(" <")[0] if event.actor_label else "",
            )
        )
    return entries


# ---------- export, erasure and merge (clients.related) ----------


def _iso(when: dt.datetime | None) -> str | None:
    return _local(when).isoformat() if when else None


def appointments_export(client, *, user) -> list[dict]:
    """The client's appointments, times in the business's time zone; the booking note and
    cancellation reason only for users who may read them (as on the timeline)."""
    notes = may_read_notes(user)
    rows = []
    for a in client_appointments(client).order_by("starts_at", "id"):
        row = {
            "starts_at": _iso(a.starts_at),
            "ends_at": _iso(a.ends_at),
            "service": a.service.name,
            "staff": str(a.staff),
            "room_chair_or_device": a.resource.name if a.resource else None,
            "status": a.status,
            "channel": a.channel,
            "price": str(a.price),
            "cancelled_by": a.cancelled_by or None,
            "cancelled_late": a.cancelled_late,
            "booked_at": _iso(a.created_at),
        }
        if notes:
            row.update({"note": a.note, "cancel_reason": a.cancel_reason})
        rows.append(row)
    return rows


def appointments_erase(client) -> None:
    """Cancel the client's future bookings (by the business: the client was erased), and
    blank every note and reason; the rows stay, so the schedule's history and the staff's
    figures still add up."""
    from scheduling.services import appointment_cancel

    Appointment.objects.filter(client=client).update(note="", cancel_reason="")
    AppointmentEvent.objects.filter(appointment__client=client).update(reason="")
    reason = _("client erased")
    future = Appointment.objects.filter(
        client=client, status__in=CANCELLABLE, starts_at__gte=timezone.now()
    )
    for appointment in future:
        appointment_cancel(appointment=appointment, by=CancelledBy.BUSINESS, reason=reason)


def recalls_export(client, *, user) -> list[dict]:
    return [
        {"service": r.service.name, "due_on": r.due_on.isoformat(), "status": r.status}
        for r in Recall.objects.filter(client=client).select_related("service")
    ]


def recalls_erase(client) -> None:
    """An erased client is not called back: open recalls are dismissed, and the reasons
    earlier ones were dismissed for (free text) are blanked."""
    Recall.objects.filter(client=client).update(dismiss_reason="")
    Recall.objects.filter(client=client, status__in=[RecallStatus.DUE, RecallStatus.BOOKED]).update(
        status=RecallStatus.DISMISSED,
        dismiss_reason=_("client erased"),
        dismissed_at=timezone.now(),
    )


def recalls_merge(kept, merged) -> None:
    """A client has one open recall per service: where both files have one, the one due
    first stays open (a booked one before a due one) and the other is dismissed, so
    moving the merged file's recalls keeps the rule."""
    open_recalls = Recall.objects.filter(
        client__in=[kept, merged], status__in=[RecallStatus.DUE, RecallStatus.BOOKED]
    ).order_by("service_id", "due_on", "id")
    by_service: dict[int, list[Recall]] = {}
    for recall in open_recalls:
        by_service.setdefault(recall.service_id, []).append(recall)
    dismissed = []
    for recalls in by_service.values():
        if len(recalls) < 2:
            continue
        recalls.sort(key=lambda r: (r.status != RecallStatus.BOOKED, r.due_on, r.id))
        dismissed.extend(r.pk for r in recalls[1:])
    if dismissed:
        Recall.objects.filter(pk__in=dismissed).update(
            status=RecallStatus.DISMISSED,
            dismiss_reason=_("files merged: the other file's recall is kept"),
            dismissed_at=timezone.now(),
        )


def waitlist_export(client, *, user) -> list[dict]:
    notes = may_read_notes(user)
    rows = []
    for w in WaitlistEntry.objects.filter(client=client).select_related("service", "staff"):
        row = {
            "service": w.service.name,
            "staff": str(w.staff) if w.staff else None,
            "earliest": w.earliest.isoformat(),
            "latest": w.latest.isoformat(),
            "time_of_day": w.time_of_day,
            "status": w.status,
        }
        if notes:
            row["note"] = w.note
        rows.append(row)
    return rows


def waitlist_erase(client) -> None:
    WaitlistEntry.objects.filter(client=client, status=WaitlistStatus.WAITING).update(
        status=WaitlistStatus.REMOVED, closed_at=timezone.now()
    )
    WaitlistEntry.objects.filter(client=client).update(note="")


# ---------- the dashboard ----------


def _own_only(user) -> bool:
    """A practitioner sees their own day; the front desk, managers and owners everyone's
    (the rule of the visits block)."""
    return user.can(Capability.RECORD_TREATMENT) and not user.can(Capability.MANAGE_STAFF)


def today_widget_context(request) -> dict:
    user = request.user
    own = _own_only(user)
    zone = tenant_zone()
    today = timezone.localdate(timezone=zone)
    start, end = day_bounds(today, zone)
    rows = (
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(status__in=[S.CANCELLED, S.RESCHEDULED])
        .select_related("client", "service", "staff")
        .order_by("starts_at", "id")
    )
    if own:
        rows = rows.filter(staff=user)
    appointments = list(rows[: TODAY_LIMIT + 1])
    return {
        "appointments": appointments[:TODAY_LIMIT],
        "more": len(appointments) > TODAY_LIMIT,
        "own": own,
        "check_in": ARRIVING,
    }


def recalls_widget_context(request) -> dict:
    """The recall list's figures (``scheduling.recalls``) and the first rows due: the
    overdue ones, then the rest of this month's."""
    from scheduling.recalls import recall_counts

    today = timezone.localdate(timezone=tenant_zone())
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    recalls = (
        Recall.objects.filter(
            status=RecallStatus.DUE, due_on__lte=month_end, client__erased_at__isnull=True
        )
        .select_related("client", "service")
        .order_by("due_on", "id")[:RECALLS_LIMIT]
    )
    return {
        "recalls": list(recalls),
        "counts": recall_counts(today=today),
        "today": today,
        "can_book": request.user.can(Capability.MANAGE_SCHEDULE),
    }
