"""The waitlist: clients waiting for a service (with a staff member or anyone) between two
days, at a time of day. Adding, and closing an entry as booked or removed, are audited.

``waitlist_matches(day)`` answers the front desk's question when a slot frees up (a
cancellation, a move): which waiting clients fit a free time of that day? Entries that
want the same service, staff member and time of day share one availability search, so
the reads grow with the kinds of wishes, not with the number of entries, and are capped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from audit import services as audit
from audit.models import Action
from clients.services import refuse_erased
from scheduling import availability
from scheduling.models import BookingSettings, TimeOfDay, WaitlistEntry, WaitlistStatus

AUDIT_SENSITIVE = ("note",)
# Local wall-clock windows of the times of day (the end is where a booking may start).
WINDOWS: dict[str, tuple[dt.time, dt.time | None]] = {
    TimeOfDay.ANY: (dt.time(0, 0), None),
    TimeOfDay.MORNING: (dt.time(0, 0), dt.time(12, 0)),
    TimeOfDay.AFTERNOON: (dt.time(12, 0), dt.time(17, 0)),
    TimeOfDay.EVENING: (dt.time(17, 0), None),
}
# At most this many distinct wishes are searched for one day; free starts shown per entry.
MAX_SEARCHES = 12
STARTS_SHOWN = 3


def _snapshot(entry: WaitlistEntry) -> dict:
    return {
        "service": entry.service_id,
        "staff": entry.staff_id,
        "earliest": entry.earliest,
        "latest": entry.latest,
        "time_of_day": entry.time_of_day,
        "note": entry.note,
        "status": entry.status,
    }


def _record(action: str, entry: WaitlistEntry, before: dict, actor) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type="waitlist_entry",
        object_id=entry.pk,
        client_id=entry.client_id,
        before=before,
        after=_snapshot(entry),
        sensitive=AUDIT_SENSITIVE,
    )


@transaction.atomic
def waitlist_add(
    *,
    client,
    service,
    earliest: dt.date,
    latest: dt.date,
    staff=None,
    time_of_day: str = TimeOfDay.ANY,
    note: str = "",
    actor=None,
) -> WaitlistEntry:
    refuse_erased(client)
    errors = {}
    if not service.active:
        errors["service"] = gettext("This service is retired.")
    if staff is not None and not service.staff.filter(pk=staff.pk).exists():
        errors["staff"] = gettext("%(staff)s does not perform %(service)s.") % {
            "staff": staff,
            "service": service.name,
        }
    if earliest and latest and latest < earliest:
        errors["latest"] = gettext("The last day cannot be before the first.")
    if latest and latest < timezone.localdate():
        errors["latest"] = gettext("The last day has passed.")
    if errors:
        raise ValidationError(errors)
    entry = WaitlistEntry(
        client=client,
        service=service,
        staff=staff,
        earliest=earliest,
        latest=latest,
        time_of_day=time_of_day or TimeOfDay.ANY,
        note=(note or "").strip(),
        created_by=actor,
    )
    entry.full_clean(exclude=["client", "service", "staff", "created_by"])
    entry.save()
    _record(Action.CREATE, entry, {}, actor)
    return entry


@transaction.atomic
def waitlist_close(*, entry: WaitlistEntry, status: str, actor=None) -> WaitlistEntry:
    """Take the entry off the waitlist: the client was booked, or no longer waits."""
    if status not in (WaitlistStatus.BOOKED, WaitlistStatus.REMOVED):
        raise ValueError(f"cannot close a waitlist entry as {status!r}")
    entry = WaitlistEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
    if entry.status != WaitlistStatus.WAITING:
        raise ValidationError(
            gettext("This client is no longer on the waitlist."), code="not_waiting"
        )
    before = _snapshot(entry)
    entry.status = status
    entry.closed_at = timezone.now()
    entry.save(update_fields=["status", "closed_at"])
    _record(Action.UPDATE, entry, before, actor)
    return entry


def waiting_entries() -> QuerySet[WaitlistEntry]:
    """Everyone still waiting whose last day has not passed, first wishes first."""
    return (
        WaitlistEntry.objects.filter(
            status=WaitlistStatus.WAITING,
            latest__gte=timezone.localdate(),
            client__erased_at__isnull=True,
        )
        .select_related("client", "service", "staff")
        .order_by("earliest", "id")
    )


@dataclass(frozen=True)
class Match:
    entry: WaitlistEntry
    starts: tuple[availability.Option, ...]

    @property
    def first(self) -> availability.Option:
        return self.starts[0]


def _window(day: dt.date, time_of_day: str, zone) -> tuple[dt.datetime, dt.datetime]:
    opens, closes = WINDOWS.get(time_of_day, WINDOWS[TimeOfDay.ANY])
    start = availability.local_instant(day, opens, zone)
    if closes is None:
        end = availability.local_instant(day + dt.timedelta(days=1), dt.time(0, 0), zone)
    else:
        end = availability.local_instant(day, closes, zone)
    return start, end


def waitlist_matches(day: dt.date) -> list[Match]:
    """The waiting entries that fit a free time on local ``day`` (their service, with
    their staff member or anyone, in their time of day), each with its first free starts."""
    entries = list(
        waiting_entries().filter(earliest__lte=day, latest__gte=day, service__active=True)
    )
    if not entries:
        return []
    zone = availability.tenant_zone()
    step = BookingSettings.load().slot_minutes
    now = timezone.now()
    found: dict[tuple, tuple[availability.Option, ...]] = {}
    matches: list[Match] = []
    for entry in entries:
        key = (entry.service_id, entry.staff_id, entry.time_of_day)
        if key not in found:
            if len(found) >= MAX_SEARCHES:
                continue
            start, end = _window(day, entry.time_of_day, zone)
            if end <= now:
                found[key] = ()
                continue
            request = availability.build_request([entry.service], entry.staff_id)
            found[key] = tuple(
                availability.options(
                    request=request,
                    start=start,
                    end=end,
                    step=step,
                    not_before=now,
                    limit=STARTS_SHOWN,
                )
            )
        if found[key]:
            matches.append(Match(entry=entry, starts=found[key]))
    return matches
