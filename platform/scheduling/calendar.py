"""Reads for the staff calendar (scheduling.calendar_views): a day grid with a column per
staff member or per room, a week grid, the agenda list and today's arrivals.

Every read is bounded: a fixed number of queries whatever the number of appointments,
staff or days (the appointments of the window by the indexed ``starts_at``, hours, time
off and holidays once each). Times are placed on the tenant's wall clock, so a
daylight-saving day has as many rows as it really has hours."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from scheduling import selectors
from scheduling.availability import MAX_BLOCK, day_bounds, local_instant, tenant_zone
from scheduling.models import (
    HOLDING,
    Appointment,
    BusinessHours,
    Holiday,
    Resource,
    Status,
    TimeOff,
    WorkingHours,
)

# One row of the grid is a quarter of an hour.
ROW_MINUTES = 15
# Hours shown when nothing is set up yet.
DEFAULT_OPEN, DEFAULT_CLOSE = dt.time(8), dt.time(20)
# Side by side at most this many overlapping appointments (a no-show under a new booking).
MAX_LANES = 4
# The grid shows what holds time and the no-shows; cancelled and moved rows are in the
# agenda and on the appointment's page.
ON_GRID = (*HOLDING, Status.NO_SHOW)
ARRIVING = (Status.BOOKED, Status.CONFIRMED)


@dataclass
class Placed:
    """An appointment on the grid: its row, how many rows it spans and its lane."""

    appointment: Appointment
    row: int
    span: int
    lane: int = 0
    lanes: int = 1

    @property
    def position(self) -> str:
        """CSS classes (calendar.css): start row, span and lane; no style attribute."""
        return f"cal-r{self.row} cal-s{self.span} lane-{self.lane}-{self.lanes}"


@dataclass(frozen=True)
class Row:
    """A quarter-hour row, with the text its cells print worked out once for the whole
    grid: a day view of fifty columns draws thousands of cells from a few dozen rows."""

    index: int
    starts_at: dt.datetime  # local
    value: str  # the start as the booking form reads it, "2026-12-04T10:15"
    label: str  # "Book at 10:15", for screen readers

    @classmethod
    def of(cls, index: int, at: dt.datetime) -> Row:
        return cls(
            index,
            at,
            at.strftime("%Y-%m-%dT%H:%M"),
            gettext("Book at %(time)s") % {"time": at.strftime("%H:%M")},
        )


@dataclass
class Slot:
    """One row of a column: a start that can be clicked to book, shaded when off work."""

    row: Row
    working: bool
    css: str  # calendar.css classes: its row, "off" outside working time, "hour" on the hour


@dataclass
class Column:
    key: str  # "staff-3", "room-2", "day-2026-11-23"
    label: str
    staff_id: int | None = None
    resource_id: int | None = None
    day: dt.date | None = None
    slots: list[Slot] = field(default_factory=list)
    placed: list[Placed] = field(default_factory=list)
    closed: bool = False  # holiday


@dataclass
class Grid:
    zone: object
    rows: list[dt.datetime]  # the local start of each row, first row is 1
    columns: list[Column]

    @property
    def hour_marks(self) -> list[tuple[int, dt.datetime]]:
        return [(i, at) for i, at in enumerate(self.rows, start=1) if at.minute == 0]


def _appointments(start: dt.datetime, end: dt.datetime, statuses) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(starts_at__lt=end, starts_at__gte=start - MAX_BLOCK)
        .filter(ends_at__gt=start, status__in=list(statuses))
        .select_related("client", "service", "staff", "resource")
        .order_by("starts_at", "id")
    )


def _hours_frame(days: list[dt.date], business, shifts, appointments, zone):
    """The first and last wall-clock times the grid shows: business hours and shifts of
    the days, widened to any appointment booked outside them."""
    opens, closes = [], []
    for day in days:
        for a, b in business.get(day.weekday(), []):
            opens.append(a)
            closes.append(b)
        for (_staff, weekday), pairs in shifts.items():
            if weekday == day.weekday():
                opens.extend(a for a, _b in pairs)
                closes.extend(b for _a, b in pairs)
    first = min(opens) if opens else DEFAULT_OPEN
    last = max(closes) if closes else DEFAULT_CLOSE
    first_minutes = first.hour * 60 + first.minute
    last_minutes = last.hour * 60 + last.minute
    for appointment in appointments:
        s = appointment.starts_at.astimezone(zone)
        e = appointment.ends_at.astimezone(zone)
        first_minutes = min(first_minutes, s.hour * 60 + s.minute)
        end_minutes = 24 * 60 if e.date() > s.date() else e.hour * 60 + e.minute
        last_minutes = max(last_minutes, end_minutes)
    first_minutes -= first_minutes % 60
    last_minutes = min(24 * 60, math.ceil(last_minutes / 60) * 60)
    if last_minutes <= first_minutes:
        last_minutes = min(24 * 60, first_minutes + 60)
    return first_minutes, last_minutes


def _rows(day: dt.date, first: int, last: int, zone) -> list[dt.datetime]:
    """Local start of each quarter-hour row of ``day`` between ``first`` and ``last``
    minutes of the wall clock; on a daylight-saving day the skipped hour has no rows and a
    repeated one appears twice."""
    start = local_instant(day, dt.time(first // 60, first % 60), zone)
    end = (
        local_instant(day + dt.timedelta(days=1), dt.time(0), zone)
        if last >= 24 * 60
        else local_instant(day, dt.time(last // 60, last % 60), zone)
    )
    rows, at = [], start.astimezone(dt.UTC)
    while at < end:
        rows.append(at.astimezone(zone))
        at += dt.timedelta(minutes=ROW_MINUTES)
    return rows


def _place(appointments: list[Appointment], rows: list[dt.datetime]) -> list[Placed]:
    """Row, span and lane of each appointment among ``rows`` (the column's day)."""
    if not rows:
        return []
    first = rows[0]
    last = rows[-1] + dt.timedelta(minutes=ROW_MINUTES)
    placed: list[Placed] = []
    for appointment in appointments:
        start = max(appointment.starts_at, first)
        end = min(appointment.ends_at, last)
        if end <= start:
            continue
        row = int((start - first).total_seconds() // (ROW_MINUTES * 60)) + 1
        span = max(1, math.ceil((end - start).total_seconds() / (ROW_MINUTES * 60)))
        span = min(span, len(rows) - row + 1)
        placed.append(Placed(appointment, row, span))
    # Lanes: overlapping appointments side by side.
    cluster: list[Placed] = []
    reach = 0
    for item in sorted(placed, key=lambda p: (p.row, -p.span)):
        if cluster and item.row >= reach:
            _lanes(cluster)
            cluster = []
        cluster.append(item)
        reach = max(reach, item.row + item.span)
    if cluster:
        _lanes(cluster)
    return placed


def _lanes(cluster: list[Placed]) -> None:
    ends: list[int] = []
    for item in cluster:
        for lane, lane_end in enumerate(ends):
            if lane_end <= item.row:
                item.lane, ends[lane] = lane, item.row + item.span
                break
        else:
            if len(ends) < MAX_LANES:
                item.lane = len(ends)
                ends.append(item.row + item.span)
            else:  # more than fit: the last lane, on top of each other
                item.lane = MAX_LANES - 1
    for item in cluster:
        item.lanes = len(ends)


def _working_intervals(staff_id, day, shifts, business, closed, off, zone):
    if day in closed:
        return []
    own = [
        (local_instant(day, a, zone), local_instant(day, b, zone))
        for a, b in shifts.get((staff_id, day.weekday()), [])
    ]
    if business:
        opening = [
            (local_instant(day, a, zone), local_instant(day, b, zone))
            for a, b in business.get(day.weekday(), [])
        ]
        own = [
            (max(a0, b0), min(a1, b1))
            for a0, a1 in own
            for b0, b1 in opening
            if max(a0, b0) < min(a1, b1)
        ]
    return [(a, b, off.get(staff_id, [])) for a, b in own]


def _is_working(at: dt.datetime, intervals) -> bool:
    end = at + dt.timedelta(minutes=ROW_MINUTES)
    for a, b, offs in intervals:
        if a <= at and end <= b:
            return not any(o0 < end and at < o1 for o0, o1 in offs)
    return False


@dataclass
class Capacity:
    business: dict
    shifts: dict
    closed: set
    off: dict


def _capacity(staff_ids: list[int], days: list[dt.date], zone) -> Capacity:
    business: dict[int, list] = defaultdict(list)
    for row in BusinessHours.objects.all():
        business[row.weekday].append((row.opens, row.closes))
    shifts: dict[tuple[int, int], list] = defaultdict(list)
    for row in WorkingHours.objects.filter(staff_id__in=staff_ids):
        shifts[(row.staff_id, row.weekday)].append((row.starts, row.ends))
    closed = set(Holiday.objects.filter(day__in=days).values_list("day", flat=True))
    start, _e = day_bounds(days[0], zone)
    _s, end = day_bounds(days[-1], zone)
    off: dict[int, list] = defaultdict(list)
    for staff_id, a, b in TimeOff.objects.filter(
        staff_id__in=staff_ids, starts_at__lt=end, ends_at__gt=start
    ).values_list("staff_id", "starts_at", "ends_at"):
        off[staff_id].append((a, b))
    return Capacity(business, shifts, closed, off)


def _row_cells(rows: list[dt.datetime]) -> list[Row]:
    return [Row.of(i, at) for i, at in enumerate(rows, start=1)]


def _slots(cells: list[Row], intervals) -> list[Slot]:
    slots = []
    for row in cells:
        working = _is_working(row.starts_at, intervals)
        css = f"cal-r{row.index}{'' if working else ' off'}"
        slots.append(Slot(row, working, css + (" hour" if row.starts_at.minute == 0 else "")))
    return slots


def day_grid(*, day: dt.date, by: str = "staff", staff_id: int | None = None) -> Grid:
    """The day view: a column per bookable staff member (``staff_id``: that one only) or,
    ``by="room"``, per room, chair or device in use. Seven queries at any size."""
    zone = tenant_zone()
    start, end = day_bounds(day, zone)
    appointments = list(_appointments(start, end, ON_GRID))
    if by == "room":
        resources = list(Resource.objects.filter(active=True))
        capacity = _capacity([], [day], zone)
        columns = [Column(f"room-{r.pk}", str(r), resource_id=r.pk) for r in resources]
        key = "resource_id"
    else:
        staff = list(selectors.bookable_staff())
        if staff_id is not None:
            staff = [s for s in staff if s.pk == staff_id]
        capacity = _capacity([s.pk for s in staff], [day], zone)
        columns = [Column(f"staff-{s.pk}", str(s), staff_id=s.pk) for s in staff]
        key = "staff_id"
    wanted = {getattr(c, key) for c in columns}
    shown = [a for a in appointments if getattr(a, key) in wanted]
    first, last = _hours_frame([day], capacity.business, capacity.shifts, shown, zone)
    rows = _rows(day, first, last, zone)
    cells = _row_cells(rows)
    by_column: dict[int, list[Appointment]] = defaultdict(list)
    for appointment in shown:
        by_column[getattr(appointment, key)].append(appointment)
    for column in columns:
        column.day = day
        column.closed = day in capacity.closed
        if column.staff_id is not None:
            intervals = _working_intervals(
                column.staff_id,
                day,
                capacity.shifts,
                capacity.business,
                capacity.closed,
                capacity.off,
                zone,
            )
        else:
            intervals = _business_intervals(day, capacity, zone)
        column.slots = _slots(cells, intervals)
        column.placed = _place(by_column.get(getattr(column, key), []), rows)
    return Grid(zone=zone, rows=rows, columns=columns)


def _business_intervals(day, capacity: Capacity, zone):
    if day in capacity.closed:
        return []
    pairs = capacity.business.get(day.weekday(), [])
    if not capacity.business:
        pairs = [(DEFAULT_OPEN, DEFAULT_CLOSE)]
    return [(local_instant(day, a, zone), local_instant(day, b, zone), []) for a, b in pairs]


def week_grid(*, day: dt.date, staff_id: int | None = None) -> Grid:
    """Seven day columns from the Monday of ``day``'s week, for one staff member or
    (``staff_id`` None) everyone; rows are the union of the week's hours."""
    zone = tenant_zone()
    monday = day - dt.timedelta(days=day.weekday())
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    start, _e = day_bounds(days[0], zone)
    _s, end = day_bounds(days[-1], zone)
    appointments = _appointments(start, end, ON_GRID)
    if staff_id is not None:
        appointments = appointments.filter(staff_id=staff_id)
        staff_ids = [staff_id]
    else:
        staff_ids = list(selectors.bookable_staff().values_list("pk", flat=True))
    appointments = list(appointments)
    capacity = _capacity(staff_ids, days, zone)
    first, last = _hours_frame(days, capacity.business, capacity.shifts, appointments, zone)
    by_day: dict[dt.date, list[Appointment]] = defaultdict(list)
    for appointment in appointments:
        by_day[appointment.starts_at.astimezone(zone).date()].append(appointment)
    columns = []
    for d in days:
        rows = _rows(d, first, last, zone)
        if staff_id is not None:
            intervals = _working_intervals(
                staff_id, d, capacity.shifts, capacity.business, capacity.closed, capacity.off, zone
            )
        else:
            intervals = _business_intervals(d, capacity, zone)
        column = Column(f"day-{d.isoformat()}", "", staff_id=staff_id, day=d)
        column.closed = d in capacity.closed
        column.slots = _slots(_row_cells(rows), intervals)
        column.placed = _place(by_day.get(d, []), rows)
        columns.append(column)
    # The rows of the first day label the axis (a daylight-saving week differs by an hour
    # on one day at most; its column is placed on its own rows).
    return Grid(zone=zone, rows=_rows(days[0], first, last, zone), columns=columns)


@dataclass
class AgendaDay:
    day: dt.date
    appointments: list[Appointment]


def agenda(*, day: dt.date, days: int = 7, staff_id: int | None = None) -> list[AgendaDay]:
    """Every appointment from ``day`` for ``days`` days, cancelled and no-shows included,
    grouped by local day; one query."""
    zone = tenant_zone()
    start, _e = day_bounds(day, zone)
    _s, end = day_bounds(day + dt.timedelta(days=days - 1), zone)
    rows = (
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Status.RESCHEDULED)
        .select_related("client", "service", "staff", "resource")
        .order_by("starts_at", "id")
    )
    if staff_id is not None:
        rows = rows.filter(staff_id=staff_id)
    grouped: dict[dt.date, list[Appointment]] = defaultdict(list)
    for appointment in rows:
        grouped[appointment.starts_at.astimezone(zone).date()].append(appointment)
    return [AgendaDay(d, grouped[d]) for d in sorted(grouped)]


def arrivals(*, day: dt.date, with_health: bool = False) -> list[Appointment]:
    """Today's appointments still to arrive (booked or confirmed) and those waiting
    (arrived), in time order; with the clients' health rows and the trades' allergies
    (``extra_allergies``) for clinical roles only."""
    zone = tenant_zone()
    start, end = day_bounds(day, zone)
    rows = (
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .filter(Q(status__in=ARRIVING) | Q(status=Status.ARRIVED))
        .select_related("client", "service", "staff")
        .order_by("starts_at", "id")
    )
    if not with_health:
        return list(rows)
    from clients.templatetags.client_tags import vertical_allergies

    rows = list(rows.select_related("client__health"))
    # The trades' own allergies (products, ingredients), read once for the whole list.
    extra = vertical_allergies([a.client for a in rows])
    for appointment in rows:
        appointment.extra_allergies = extra.get(appointment.client_id, [])
    return rows


def appointment_for_page(pk: int) -> Appointment:
    """The appointment a page is about, with what the page shows; DoesNotExist if none."""
    return Appointment.objects.select_related(
        "client", "service", "staff", "resource", "visit", "rescheduled_to", "created_by"
    ).get(pk=pk)


def group_of(appointment: Appointment) -> list[Appointment]:
    """The services booked together with ``appointment`` (itself included), in order."""
    if not appointment.group:
        return [appointment]
    return list(
        Appointment.objects.filter(group=appointment.group)
        .exclude(status=Status.RESCHEDULED)
        .select_related("service", "staff")
        .order_by("starts_at", "id")
    )
