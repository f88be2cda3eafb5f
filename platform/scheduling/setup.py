"""Writes of the scheduling set-up: the service menu and its categories, rooms, chairs and
devices, business hours, staff working hours and time off, public holidays and the online
booking rules; and the starting menu signup seeds for the business type.

Every write is atomic, validated (``full_clean`` and the rules below, refused with a
translated ValidationError naming the field) and recorded in the audit trail. Weekly
hours are wall-clock times in the business's zone; a break is the gap between two
ranges of one day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from audit import services as audit
from audit.models import Action
from scheduling.models import (
    Appointment,
    BookingSettings,
    BusinessHours,
    Holiday,
    Recall,
    Resource,
    Service,
    ServiceCategory,
    TimeOff,
    WaitlistEntry,
    Weekday,
    WorkingHours,
)

Ranges = Sequence[tuple[dt.time, dt.time]]
WeekHours = Mapping[int, Ranges]


class SetupError(models.TextChoices):
    """Why a set-up change was refused (``ValidationError.code``)."""

    NAME_TAKEN = "name_taken", _("An offered service already has this name.")
    RESOURCE_NAME_TAKEN = "resource_name_taken", _("A room, chair or device has this name.")
    CATEGORY_NAME_TAKEN = "category_name_taken", _("A category has this name.")
    CATEGORY_IN_USE = (
        "category_in_use",
        _("Services are filed under this category; move them first."),
    )
    BOOKED_BEFORE = (
        "booked_before",
        _("This service has been booked; retire it instead, so its history stays."),
    )
    STAFF_INACTIVE = "staff_inactive", _("%(staff)s no longer works here.")
    RESOURCE_RETIRED = "resource_retired", _("%(resource)s is no longer in use.")
    START_AFTER_END = "start_after_end", _("The end must be after the start.")
    OVERLAP = "overlap", _("%(day)s: the times overlap. Leave a gap for a break.")
    DAY_TAKEN = "day_taken", _("This date is already a holiday.")
    TIME_OFF_OVERLAP = "time_off_overlap", _("This overlaps time off already recorded.")


def _refuse(code: SetupError, field: str | None = None, **params) -> ValidationError:
    error = ValidationError(code.label, code=code.value, params=params or None)
    return ValidationError({field: error}) if field else error


def _fields(obj: models.Model, names: Iterable[str]) -> dict:
    out = {}
    for name in names:
        model_field = obj._meta.get_field(name)
        out[name] = getattr(obj, model_field.attname)
    return out


def _record(action: str, object_type: str, obj_id, before: dict, after: dict, actor) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=obj_id,
        client_id=None,
        before=before,
        after=after,
    )


def _apply(obj: models.Model, values: Mapping, allowed: Iterable[str]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"Unknown fields for {type(obj).__name__}: {sorted(unknown)}")
    for name, value in values.items():
        setattr(obj, name, value)


# ---------- categories ----------

CATEGORY_FIELDS = ("name", "order")


@transaction.atomic
def category_save(
    *, category: ServiceCategory | None, values: Mapping, actor: User | None = None
) -> ServiceCategory:
    creating = category is None
    category = category or ServiceCategory()
    before = {} if creating else _fields(category, CATEGORY_FIELDS)
    _apply(category, values, CATEGORY_FIELDS)
    category.name = (category.name or "").strip()
    taken = ServiceCategory.objects.filter(name=category.name).exclude(pk=category.pk)
    if category.name and taken.exists():
        raise _refuse(SetupError.CATEGORY_NAME_TAKEN, "name")
    category.full_clean(validate_unique=False)
    category.save()
    action = Action.CREATE if creating else Action.UPDATE
    _record(
        action, "service_category", category.pk, before, _fields(category, CATEGORY_FIELDS), actor
    )
    return category


@transaction.atomic
def category_delete(*, category: ServiceCategory, actor: User | None = None) -> None:
    """Only an empty category goes; services (retired ones too) keep theirs."""
    if category.services.exists():
        raise _refuse(SetupError.CATEGORY_IN_USE)
    before, pk = _fields(category, CATEGORY_FIELDS), category.pk
    category.delete()
    _record(Action.DELETE, "service_category", pk, before, {}, actor)


# ---------- services ----------

SERVICE_FIELDS = (
    "category",
    "name",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "price",
    "online_bookable",
    "colour",
    "recall_days",
    "vertical",
    "order",
)


def _service_snapshot(service: Service) -> dict:
    snapshot = _fields(service, (*SERVICE_FIELDS, "active"))
    snapshot["staff"] = sorted(service.staff.values_list("pk", flat=True))
    snapshot["resources"] = sorted(service.resources.values_list("pk", flat=True))
    return snapshot


def _refuse_name_taken(service: Service) -> None:
    if not service.active:
        return
    taken = Service.objects.filter(active=True, name=service.name).exclude(pk=service.pk)
    if taken.exists():
        raise _refuse(SetupError.NAME_TAKEN, "name")


@transaction.atomic
def service_save(
    *,
    service: Service | None,
    values: Mapping,
    staff: Iterable[User],
    resources: Iterable[Resource] = (),
    actor: User | None = None,
) -> Service:
    """Create or change a service with the staff who perform it and the rooms, chairs or
    devices it needs one of. Staff who have left and resources no longer in use cannot
    be added (those already on a service stay until removed)."""
    creating = service is None
    service = service or Service()
    before = {} if creating else _service_snapshot(service)
    _apply(service, values, SERVICE_FIELDS)
    service.name = (service.name or "").strip()
    staff, resources = list(staff), list(resources)
    kept_staff = set() if creating else set(service.staff.values_list("pk", flat=True))
    kept_resources = set() if creating else set(service.resources.values_list("pk", flat=True))
    for person in staff:
        if not person.is_active and person.pk not in kept_staff:
            raise _refuse(SetupError.STAFF_INACTIVE, "staff", staff=person.full_name)
    for resource in resources:
        if not resource.active and resource.pk not in kept_resources:
            raise _refuse(SetupError.RESOURCE_RETIRED, "resources", resource=resource.name)
    if service.name:
        _refuse_name_taken(service)
    service.full_clean(validate_constraints=False)
    service.save()
    service.staff.set(staff)
    service.resources.set(resources)
    action = Action.CREATE if creating else Action.UPDATE
    _record(action, "service", service.pk, before, _service_snapshot(service), actor)
    return service


def _set_active(service: Service, active: bool, actor) -> Service:
    service = Service.objects.select_for_update().get(pk=service.pk)
    if service.active == active:
        return service
    service.active = active
    _refuse_name_taken(service)
    service.save(update_fields=["active"])
    _record(Action.UPDATE, "service", service.pk, {"active": not active}, {"active": active}, actor)
    return service


@transaction.atomic
def service_retire(*, service: Service, actor: User | None = None) -> Service:
    """No longer offered: it leaves the booking pages, while its appointments, recalls
    and reports keep pointing at it."""
    return _set_active(service, False, actor)


@transaction.atomic
def service_reoffer(*, service: Service, actor: User | None = None) -> Service:
    return _set_active(service, True, actor)


def service_was_used(service: Service) -> bool:
    return (
        Appointment.objects.filter(service=service).exists()
        or Recall.objects.filter(service=service).exists()
        or WaitlistEntry.objects.filter(service=service).exists()
    )


@transaction.atomic
def service_delete(*, service: Service, actor: User | None = None) -> None:
    """Only a service never booked (nor recalled nor waited for) can be deleted."""
    if service_was_used(service):
        raise _refuse(SetupError.BOOKED_BEFORE)
    before, pk = _service_snapshot(service), service.pk
    service.delete()
    _record(Action.DELETE, "service", pk, before, {}, actor)


# ---------- rooms, chairs and devices ----------

RESOURCE_FIELDS = ("name", "kind", "active")


@transaction.atomic
def resource_save(
    *, resource: Resource | None, values: Mapping, actor: User | None = None
) -> Resource:
    creating = resource is None
    resource = resource or Resource()
    before = {} if creating else _fields(resource, RESOURCE_FIELDS)
    _apply(resource, values, RESOURCE_FIELDS)
    resource.name = (resource.name or "").strip()
    if (
        resource.name
        and Resource.objects.filter(name=resource.name).exclude(pk=resource.pk).exists()
    ):
        raise _refuse(SetupError.RESOURCE_NAME_TAKEN, "name")
    resource.full_clean(validate_unique=False)
    resource.save()
    action = Action.CREATE if creating else Action.UPDATE
    _record(action, "resource", resource.pk, before, _fields(resource, RESOURCE_FIELDS), actor)
    return resource


@transaction.atomic
def resource_retire(*, resource: Resource, actor: User | None = None) -> Resource:
    """Out of use: no new booking takes it; booked appointments keep it."""
    return resource_save(resource=resource, values={"active": False}, actor=actor)


@transaction.atomic
def resource_reactivate(*, resource: Resource, actor: User | None = None) -> Resource:
    return resource_save(resource=resource, values={"active": True}, actor=actor)


# ---------- weekly hours ----------


def _ranges_text(ranges: Ranges) -> str:
    return ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in ranges)


def _week_snapshot(rows: Iterable[tuple[int, dt.time, dt.time]]) -> dict:
    days: dict[int, list] = {}
    for weekday, a, b in rows:
        days.setdefault(weekday, []).append((a, b))
    return {f"weekday_{day}": _ranges_text(sorted(r)) for day, r in sorted(days.items())}


def clean_week(hours: WeekHours) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """Each day's ranges sorted, every one starting before it ends, none overlapping
    another (one may start as the previous one ends). Errors name the day
    (``day_<weekday>``)."""
    errors: dict[str, list[ValidationError]] = {}
    week: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, ranges in hours.items():
        day = Weekday(int(weekday))
        ordered = sorted((a, b) for a, b in ranges)
        key = f"day_{day.value}"
        if any(a >= b for a, b in ordered):
            errors.setdefault(key, []).append(
                ValidationError(SetupError.START_AFTER_END.label, code=SetupError.START_AFTER_END)
            )
        elif any(nxt[0] < cur[1] for cur, nxt in zip(ordered, ordered[1:], strict=False)):
            errors.setdefault(key, []).append(
                ValidationError(
                    SetupError.OVERLAP.label, code=SetupError.OVERLAP, params={"day": day.label}
                )
            )
        week[day.value] = ordered
    if errors:
        raise ValidationError(errors)
    return week


@transaction.atomic
def business_hours_set(*, hours: WeekHours, actor: User | None = None) -> None:
    """Replace the business's weekly opening hours; a weekday left out (or with no
    ranges) is closed."""
    week = clean_week(hours)
    before = _week_snapshot(BusinessHours.objects.values_list("weekday", "opens", "closes"))
    BusinessHours.objects.all().delete()
    BusinessHours.objects.bulk_create(
        BusinessHours(weekday=day, opens=a, closes=b)
        for day, ranges in week.items()
        for a, b in ranges
    )
    after = _week_snapshot((day, a, b) for day, ranges in week.items() for a, b in ranges)
    before_keys = {f"weekday_{d}": "" for d in range(7)}
    _record(Action.UPDATE, "business_hours", "", before_keys | before, before_keys | after, actor)


def week_of(rows: Iterable[tuple[int, dt.time, dt.time]]) -> dict[int, list]:
    week: dict[int, list] = {day: [] for day in range(7)}
    for weekday, a, b in rows:
        week[weekday].append((a, b))
    return week


def business_week() -> dict[int, list[tuple[dt.time, dt.time]]]:
    return week_of(BusinessHours.objects.values_list("weekday", "opens", "closes"))


def staff_week(staff: User) -> dict[int, list[tuple[dt.time, dt.time]]]:
    return week_of(staff.working_hours.values_list("weekday", "starts", "ends"))


@transaction.atomic
def working_hours_set(*, staff: User, hours: WeekHours, actor: User | None = None) -> None:
    """Replace a staff member's weekly working hours; a day left out is a day off."""
    if not staff.is_active:
        raise _refuse(SetupError.STAFF_INACTIVE, staff=staff.full_name)
    week = clean_week(hours)
    # One staff member's hours are replaced by one writer at a time.
    User.objects.select_for_update().filter(pk=staff.pk).exists()
    rows = WorkingHours.objects.filter(staff=staff)
    before = _week_snapshot(rows.values_list("weekday", "starts", "ends"))
    rows.delete()
    WorkingHours.objects.bulk_create(
        WorkingHours(staff=staff, weekday=day, starts=a, ends=b)
        for day, ranges in week.items()
        for a, b in ranges
    )
    after = _week_snapshot((day, a, b) for day, ranges in week.items() for a, b in ranges)
    blank = {f"weekday_{d}": "" for d in range(7)}
    _record(Action.UPDATE, "working_hours", staff.pk, blank | before, blank | after, actor)


# ---------- time off and holidays ----------

TIME_OFF_FIELDS = ("staff", "starts_at", "ends_at", "reason")


@transaction.atomic
def time_off_add(
    *,
    staff: User,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    reason: str = "",
    actor: User | None = None,
) -> TimeOff:
    if starts_at >= ends_at:
        raise _refuse(SetupError.START_AFTER_END, "ends_at")
    User.objects.select_for_update().filter(pk=staff.pk).exists()
    if TimeOff.objects.filter(staff=staff, starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise _refuse(SetupError.TIME_OFF_OVERLAP, "starts_at")
    time_off = TimeOff(staff=staff, starts_at=starts_at, ends_at=ends_at, reason=reason.strip())
    time_off.full_clean()
    time_off.save()
    # The reason may say something about the person's health: named, never copied.
    audit.record_change(
        action=Action.CREATE,
        actor=actor,
        object_type="time_off",
        object_id=time_off.pk,
        client_id=None,
        before={},
        after=_fields(time_off, TIME_OFF_FIELDS),
        sensitive=("reason",),
    )
    return time_off


@transaction.atomic
def time_off_delete(*, time_off: TimeOff, actor: User | None = None) -> None:
    before, pk = _fields(time_off, TIME_OFF_FIELDS), time_off.pk
    time_off.delete()
    audit.record_change(
        action=Action.DELETE,
        actor=actor,
        object_type="time_off",
        object_id=pk,
        client_id=None,
        before=before,
        after={},
        sensitive=("reason",),
    )


HOLIDAY_FIELDS = ("day", "name")


@transaction.atomic
def holiday_save(*, holiday: Holiday | None, values: Mapping, actor: User | None = None) -> Holiday:
    creating = holiday is None
    holiday = holiday or Holiday()
    before = {} if creating else _fields(holiday, HOLIDAY_FIELDS)
    _apply(holiday, values, HOLIDAY_FIELDS)
    holiday.name = (holiday.name or "").strip()
    if holiday.day and Holiday.objects.filter(day=holiday.day).exclude(pk=holiday.pk).exists():
        raise _refuse(SetupError.DAY_TAKEN, "day")
    holiday.full_clean(validate_unique=False)
    holiday.save()
    action = Action.CREATE if creating else Action.UPDATE
    _record(action, "holiday", holiday.pk, before, _fields(holiday, HOLIDAY_FIELDS), actor)
    return holiday


@transaction.atomic
def holiday_delete(*, holiday: Holiday, actor: User | None = None) -> None:
    before, pk = _fields(holiday, HOLIDAY_FIELDS), holiday.pk
    holiday.delete()
    _record(Action.DELETE, "holiday", pk, before, {}, actor)


# ---------- online booking rules ----------

BOOKING_SETTINGS_FIELDS = (
    "online_enabled",
    "approval_required",
    "new_clients_online",
    "min_notice_minutes",
    "max_days_ahead",
    "slot_minutes",
    "late_cancel_hours",
    "client_can_reschedule",
    "verify_phone",
)


@transaction.atomic
def booking_settings_update(*, values: Mapping, actor: User | None = None) -> BookingSettings:
    rules = BookingSettings.load()
    rules = BookingSettings.objects.select_for_update().get(pk=rules.pk)
    before = _fields(rules, BOOKING_SETTINGS_FIELDS)
    _apply(rules, values, BOOKING_SETTINGS_FIELDS)
    rules.full_clean(validate_unique=False)
    rules.save(update_fields=list(values))
    _record(
        Action.UPDATE,
        "booking_settings",
        rules.pk,
        before,
        _fields(rules, BOOKING_SETTINGS_FIELDS),
        actor,
    )
    return rules


# ---------- the starting menu ----------

DEFAULT_OPENING = (dt.time(9), dt.time(18))
DEFAULT_OPEN_DAYS = range(6)  # Monday to Saturday


@transaction.atomic
def starting_menu_seed(*, business_type: str, owner: User) -> None:
    """The starting menu of the business type's vertical (categories, rooms, chairs and
    devices, services performed by the owner), business hours Monday to Saturday
    09:00–18:00 and the owner's working hours equal to them. Run in the new business's
    schema at signup; the owner edits it from there. Writes through the services above,
    so the trail shows where the menu came from."""
    from verticals.registry import for_business_type

    vertical = for_business_type(business_type)
    week = {day: [DEFAULT_OPENING] for day in DEFAULT_OPEN_DAYS}
    business_hours_set(hours=week, actor=None)
    working_hours_set(staff=owner, hours=week, actor=None)
    if vertical is None:
        return
    resources = {
        declared.name: resource_save(
            resource=None, values={"name": declared.name, "kind": declared.kind}
        )
        for declared in vertical.starting_resources
    }
    categories: dict[str, ServiceCategory] = {}
    for order, line in enumerate(vertical.starting_menu, start=1):
        if line.category and line.category not in categories:
            categories[line.category] = category_save(
                category=None, values={"name": line.category, "order": len(categories) + 1}
            )
        needs = [
            resource
            for resource in resources.values()
            if resource.name == line.resource
            or (line.resource_kind and resource.kind == line.resource_kind)
        ]
        service_save(
            service=None,
            values={
                "category": categories.get(line.category),
                "name": line.name,
                "duration_minutes": line.duration_minutes,
                "buffer_before_minutes": line.buffer_before_minutes,
                "buffer_after_minutes": line.buffer_after_minutes,
                "price": Decimal(line.price),
                "online_bookable": line.online_bookable,
                "colour": line.colour,
                "recall_days": line.recall_days,
                "order": order,
            },
            staff=[owner],
            resources=needs,
        )
