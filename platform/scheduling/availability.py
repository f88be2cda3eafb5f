"""When a service can be booked. Free time is worked out from the staff member's working
hours (wall-clock times in the tenant's zone, so a daylight-saving day is as long as it
really is), the business hours, public holidays, time off, the appointments that hold
time (their buffers included) and, for services that need one, a free room, chair or
device.

The rule: the service itself (start to end) lies inside a working period of its staff
member and inside the business hours; its buffers may reach past the end of a period
(tidying up after the last client), but the whole blocked range, buffers included, may
not overlap another appointment of the staff member or of the resource, nor the staff
member's time off.

Reads are bounded: five queries for any number of staff and days, whatever the number
of appointments in the business (they are read by an indexed range on ``blocked_from``;
an appointment is never longer than a day, so nothing that starts earlier can reach in).
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from scheduling.models import (
    HOLDING,
    Appointment,
    BusinessHours,
    Holiday,
    Service,
    TimeOff,
    WorkingHours,
)

Interval = tuple[dt.datetime, dt.datetime]
# The longest an appointment (with its buffers) may block: reads look back this far.
MAX_BLOCK = dt.timedelta(hours=24)


def tenant_zone() -> zoneinfo.ZoneInfo:
    name = getattr(getattr(connection, "tenant", None), "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_instant(day: dt.date, at: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant a wall-clock time of ``day`` names in ``zone``. A time that does not
    exist (skipped by a spring-forward change) moves on to the first one that does; a time
    that occurs twice is its first occurrence."""
    naive = dt.datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:  # in the gap: zoneinfo read it with the offset before the change
        aware = aware.astimezone(dt.UTC).astimezone(zone)
    return aware


def day_bounds(day: dt.date, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The instants a local ``day`` starts and ends (a daylight-saving day is 23 or 25
    hours long; a midnight the clocks skip starts the day at the first real instant)."""
    return local_instant(day, dt.time(0), zone), local_instant(
        day + dt.timedelta(days=1), dt.time(0), zone
    )


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for a0, a1 in a:
        for b0, b1 in b:
            lo, hi = max(a0, b0), min(a1, b1)
            if lo < hi:
                out.append((lo, hi))
    return sorted(out)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


class Busy:
    """Sorted, merged busy intervals with an overlap test in O(log n)."""

    def __init__(self, intervals: Iterable[Interval]):
        self.intervals = _merge(intervals)
        self.starts = [s for s, _e in self.intervals]

    def free(self, start: dt.datetime, end: dt.datetime) -> bool:
        i = bisect.bisect_left(self.starts, end)  # intervals starting before ``end``
        return i == 0 or self.intervals[i - 1][1] <= start


@dataclass
class Capacity:
    """Everything availability needs for some staff and resources over a window."""

    zone: zoneinfo.ZoneInfo
    working: dict[int, list[Interval]]  # staff id -> bookable periods
    staff_busy: dict[int, Busy]
    resource_busy: dict[int, Busy]
    booked_minutes: dict[tuple[int, dt.date], float]  # for spreading "anyone" bookings
    # staff id -> (period starts, the latest end among the periods up to each): a
    # containment test in O(log n) for "anyone" over many days.
    reach: dict[int, tuple[list[dt.datetime], list[dt.datetime]]] = field(init=False, repr=False)

    rankings: dict[tuple[tuple[int, ...], dt.date], list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rankings = {}
        self.reach = {}
        for staff_id, periods in self.working.items():
            ends: list[dt.datetime] = []
            for _a, b in periods:
                ends.append(max(ends[-1], b) if ends else b)
            self.reach[staff_id] = ([a for a, _b in periods], ends)

    def ranked(self, staff_ids: tuple[int, ...], day: dt.date) -> list[int]:
        """``staff_ids``, the least booked on ``day`` first."""
        key = (staff_ids, day)
        if key not in self.rankings:
            self.rankings[key] = sorted(
                staff_ids, key=lambda s: (self.booked_minutes.get((s, day), 0), s)
            )
        return self.rankings[key]

    def within(self, staff_id: int, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether one working period of ``staff_id`` holds ``start`` to ``end``."""
        starts, ends = self.reach.get(staff_id, ([], []))
        i = bisect.bisect_right(starts, start)  # periods starting at or before ``start``
        return i > 0 and ends[i - 1] >= end


def _days(start: dt.datetime, end: dt.datetime, zone) -> list[dt.date]:
    first = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def load_capacity(
    *,
    staff_ids: Sequence[int],
    resource_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
    ignore_appointments: Iterable[int] = (),
    respect_hours: bool = True,
) -> Capacity:
    """Read working periods and busy times of ``staff_ids`` and ``resource_ids`` between
    ``start`` and ``end``. ``ignore_appointments`` are left out of the busy times (an
    appointment being moved does not stand in its own way). Without ``respect_hours``
    every staff member counts as working all the time (the front desk booking outside
    hours on purpose)."""
    zone = tenant_zone()
    days = _days(start, end, zone)
    staff_ids = list(staff_ids)
    working: dict[int, list[Interval]] = {}
    if respect_hours:
        closed = set(Holiday.objects.filter(day__in=days).values_list("day", flat=True))
        business: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
        for row in BusinessHours.objects.all():
            business[row.weekday].append((row.opens, row.closes))
        shifts: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
        for row in WorkingHours.objects.filter(staff_id__in=staff_ids):
            shifts[(row.staff_id, row.weekday)].append((row.starts, row.ends))
        instants: dict[tuple[dt.date, dt.time], dt.datetime] = {}

        def instant(day: dt.date, at: dt.time) -> dt.datetime:
            # Shared by staff with the same hours; in UTC, as the busy times are, for
            # fast comparisons.
            if (day, at) not in instants:
                instants[(day, at)] = local_instant(day, at, zone).astimezone(dt.UTC)
            return instants[(day, at)]

        for staff_id in staff_ids:
            periods: list[Interval] = []
            for day in days:
                if day in closed:
                    continue
                own = [
                    (instant(day, a), instant(day, b))
                    for a, b in shifts.get((staff_id, day.weekday()), [])
                ]
                if business:  # no business hours set: staff hours alone decide
                    opening = [
                        (instant(day, a), instant(day, b))
                        for a, b in business.get(day.weekday(), [])
                    ]
                    own = _intersect(own, opening)
                periods.extend(own)
            working[staff_id] = [
                (max(a, start), min(b, end)) for a, b in periods if a < end and b > start
            ]
    else:
        working = {staff_id: [(start, end)] for staff_id in staff_ids}

    staff_intervals: dict[int, list[Interval]] = defaultdict(list)
    resource_intervals: dict[int, list[Interval]] = defaultdict(list)
    booked: dict[tuple[int, dt.date], float] = defaultdict(float)
    for off in TimeOff.objects.filter(
        staff_id__in=staff_ids, starts_at__lt=end, ends_at__gt=start
    ).values_list("staff_id", "starts_at", "ends_at"):
        staff_intervals[off[0]].append((off[1], off[2]))
    window = Q(blocked_from__lt=end, blocked_from__gt=start - MAX_BLOCK, blocked_until__gt=start)
    held = (
        Appointment.objects.filter(window, status__in=HOLDING)
        .exclude(pk__in=list(ignore_appointments))
        .order_by()  # no sort: the busy times are merged in Python anyway
    )
    who = Q(staff_id__in=staff_ids)
    if resource_ids:
        who |= Q(resource_id__in=list(resource_ids))
    for staff_id, resource_id, b0, b1, s0, s1 in held.filter(who).values_list(
        "staff_id", "resource_id", "blocked_from", "blocked_until", "starts_at", "ends_at"
    ):
        staff_intervals[staff_id].append((b0, b1))
        if resource_id is not None:
            resource_intervals[resource_id].append((b0, b1))
        booked[(staff_id, s0.astimezone(zone).date())] += (s1 - s0).total_seconds() / 60
    return Capacity(
        zone=zone,
        working={k: sorted(v) for k, v in working.items()},
        staff_busy={s: Busy(staff_intervals.get(s, [])) for s in staff_ids},
        resource_busy={r: Busy(resource_intervals.get(r, [])) for r in resource_ids},
        booked_minutes=booked,
    )


@dataclass(frozen=True)
class Leg:
    """One service of a booking: who, where and when."""

    service: Service
    staff_id: int
    resource_id: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime

    @property
    def blocked_from(self) -> dt.datetime:
        return self.starts_at - dt.timedelta(minutes=self.service.buffer_before_minutes)

    @property
    def blocked_until(self) -> dt.datetime:
        return self.ends_at + dt.timedelta(minutes=self.service.buffer_after_minutes)


@dataclass(frozen=True)
class Option:
    """A bookable time for a sequence of services."""

    starts_at: dt.datetime
    legs: tuple[Leg, ...]

    @property
    def ends_at(self) -> dt.datetime:
        return self.legs[-1].ends_at


@dataclass(frozen=True)
class Request:
    """What is to be booked: services in sequence, each with the staff who may do it (the
    chosen one, or every performer for "anyone") and the resources it may use."""

    services: tuple[Service, ...]
    staff_choices: tuple[tuple[int, ...], ...]
    resource_choices: tuple[tuple[int, ...], ...]
    # A service linked to resources needs one of them, even when all are out of use.
    needs_resource: tuple[bool, ...] = ()

    @property
    def bookable(self) -> bool:
        return (
            bool(self.services)
            and all(self.staff_choices)
            and all(
                choice or not need
                for choice, need in zip(self.resource_choices, self.needs_resource, strict=True)
            )
        )

    @property
    def span_minutes(self) -> int:
        """The longest the booking can block, all buffers counted."""
        return sum(
            s.duration_minutes + s.buffer_before_minutes + s.buffer_after_minutes
            for s in self.services
        )

    @property
    def all_staff(self) -> list[int]:
        return sorted({s for choice in self.staff_choices for s in choice})

    @property
    def all_resources(self) -> list[int]:
        return sorted({r for choice in self.resource_choices for r in choice})


def build_request(services: Sequence[Service], staff_id: int | None) -> Request:
    """Who may do each service (``staff_id`` if given and a performer, else all performers)
    and which resources it may take. Two queries for any number of services."""
    ids = [s.pk for s in services]
    performers: dict[int, list[int]] = defaultdict(list)
    for service_id, user_id in Service.staff.through.objects.filter(
        service_id__in=ids, user__is_active=True
    ).values_list("service_id", "user_id"):
        performers[service_id].append(user_id)
    resources: dict[int, list[int]] = defaultdict(list)
    linked: set[int] = set()
    for service_id, resource_id, active in Service.resources.through.objects.filter(
        service_id__in=ids
    ).values_list("service_id", "resource_id", "resource__active"):
        linked.add(service_id)
        if active:
            resources[service_id].append(resource_id)
    staff_choices = []
    for service in services:
        who = sorted(performers.get(service.pk, []))
        if staff_id is not None:
            who = [staff_id] if staff_id in who else []
        staff_choices.append(tuple(who))
    return Request(
        services=tuple(services),
        staff_choices=tuple(staff_choices),
        resource_choices=tuple(tuple(sorted(resources.get(s.pk, []))) for s in services),
        needs_resource=tuple(s.pk in linked for s in services),
    )


def _place(
    request: Request,
    capacity: Capacity,
    starts_at: dt.datetime,
) -> Option | None:
    """The legs of a booking starting at ``starts_at``, or None if it does not fit. Legs
    follow one another; the same staff member doing the next service keeps its buffers
    apart. Among several free staff the least booked that day is chosen."""
    legs: list[Leg] = []
    at = starts_at
    # Tentative holds of the earlier legs of this booking.
    taken_staff: dict[int, list[Interval]] = defaultdict(list)
    taken_resource: dict[int, list[Interval]] = defaultdict(list)
    for index, service in enumerate(request.services):
        before = dt.timedelta(minutes=service.buffer_before_minutes)
        after = dt.timedelta(minutes=service.buffer_after_minutes)
        length = dt.timedelta(minutes=service.duration_minutes)
        chosen = None
        day = at.astimezone(capacity.zone).date()
        for staff_id in capacity.ranked(request.staff_choices[index], day):
            start = at
            own = taken_staff.get(staff_id)
            if own:  # the same person's previous leg: leave its buffer after
                start = max(start, max(e for _s, e in own) + before)
            end = start + length
            if not capacity.within(staff_id, start, end):
                continue
            busy = capacity.staff_busy.get(staff_id)
            if busy is not None and not busy.free(start - before, end + after):
                continue
            if any(s < end + after and start - before < e for s, e in own or []):
                continue
            resource_id = None
            if request.needs_resource[index]:
                for candidate in request.resource_choices[index]:
                    rbusy = capacity.resource_busy.get(candidate)
                    if (rbusy is None or rbusy.free(start - before, end + after)) and not any(
                        s < end + after and start - before < e
                        for s, e in taken_resource.get(candidate, [])
                    ):
                        resource_id = candidate
                        break
                if resource_id is None:
                    continue
            chosen = Leg(service, staff_id, resource_id, start, end)
            break
        if chosen is None:
            return None
        legs.append(chosen)
        taken_staff[chosen.staff_id].append((chosen.blocked_from, chosen.blocked_until))
        if chosen.resource_id is not None:
            taken_resource[chosen.resource_id].append((chosen.blocked_from, chosen.blocked_until))
        at = chosen.ends_at
    return Option(starts_at=legs[0].starts_at, legs=tuple(legs))


def _grid(periods: list[Interval], step: int, zone) -> list[dt.datetime]:
    """Start times on the local clock's ``step``-minute marks inside ``periods``."""
    starts: set[dt.datetime] = set()
    for a, b in set(periods):  # staff sharing hours share their periods
        local = a.astimezone(zone)
        minute = local.hour * 60 + local.minute
        skip = (-minute) % step
        at = (local + dt.timedelta(minutes=skip)).replace(second=0, microsecond=0)
        if at < local:
            at += dt.timedelta(minutes=step)
        while at < b:
            starts.add(at.astimezone(dt.UTC))
            at += dt.timedelta(minutes=step)
    return sorted(starts)


def options(
    *,
    request: Request,
    start: dt.datetime,
    end: dt.datetime,
    step: int = 15,
    not_before: dt.datetime | None = None,
    limit: int | None = None,
    ignore_appointments: Iterable[int] = (),
) -> list[Option]:
    """Every bookable start between ``start`` and ``end`` on ``step``-minute marks of the
    local clock, earliest first, each with its staff and resources."""
    if not request.bookable:
        return []
    capacity = load_capacity(
        staff_ids=request.all_staff,
        resource_ids=request.all_resources,
        start=start,
        end=end + dt.timedelta(minutes=request.span_minutes),
        ignore_appointments=ignore_appointments,
    )
    first_staff = request.staff_choices[0]
    periods = [p for s in first_staff for p in capacity.working.get(s, [])]
    found: list[Option] = []
    for at in _grid(periods, step, capacity.zone):
        if at < start or at >= end or (not_before is not None and at < not_before):
            continue
        option = _place(request, capacity, at)
        if option is not None:
            found.append(option)
            if limit is not None and len(found) >= limit:
                break
    return found


def option_at(
    *,
    request: Request,
    starts_at: dt.datetime,
    respect_hours: bool = True,
    ignore_appointments: Iterable[int] = (),
) -> Option | None:
    """The booking at exactly ``starts_at`` if it fits (on any minute, not only on the
    grid), else None."""
    if not request.bookable:
        return None
    capacity = load_capacity(
        staff_ids=request.all_staff,
        resource_ids=request.all_resources,
        start=starts_at - dt.timedelta(hours=2),
        end=starts_at + dt.timedelta(minutes=request.span_minutes) + dt.timedelta(hours=2),
        ignore_appointments=ignore_appointments,
        respect_hours=respect_hours,
    )
    return _place(request, capacity, starts_at)


def nearest(
    *, request: Request, around: dt.datetime, count: int = 3, step: int = 15, days: int = 7
) -> list[Option]:
    """The free starts closest to ``around`` (before or after it, not in the past), for
    the answer to a booking that lost its slot."""
    now = timezone.now()
    start = max(around - dt.timedelta(days=days), now)
    found = options(request=request, start=start, end=around + dt.timedelta(days=days), step=step)
    found.sort(key=lambda o: abs((o.starts_at - around).total_seconds()))
    return sorted(found[:count], key=lambda o: o.starts_at)
