"""Every rule of the optical records. Views and the demo write through these functions.

Each write validates (``ValidationError`` keyed by the form field it is about, so the
message shows next to it), runs in one transaction and leaves an audit entry; clinical
free text is named, not copied, in the audit trail.

Refraction values arrive keyed ``<kind>_<eye>_<field>``: ``subj_od_sphere``,
``obj_os_axis`` (kind ``obj`` objective or ``subj`` subjective; eye ``od`` right or ``os``
left)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.services import refuse_erased
from verticals.optical.acuity import MAX_LOGMAR, MIN_LOGMAR
from verticals.optical.models import (
    LAB_ORDER,
    Coating,
    Dispensing,
    IOPMethod,
    LabStatus,
    LensType,
    Notation,
    OpticalSettings,
    PrismBase,
    Refraction,
    RefractionKind,
    VisionExam,
)
from verticals.records import audit_change, snapshot

KINDS = {"obj": RefractionKind.OBJECTIVE, "subj": RefractionKind.SUBJECTIVE}
EYES = ("od", "os")
REFRACTION_FIELDS = ("sphere", "cylinder", "axis", "add", "prism", "prism_base", "pd")
ACUITY_FIELDS = ("ua_od", "ua_os", "ca_od", "ca_os")
EXAM_TEXT = ("diagnosis", "advice")
EXAM_FIELDS = (
    "examined_on",
    *ACUITY_FIELDS,
    "pd_binocular",
    "iop_od",
    "iop_os",
    "iop_method",
    "iop_time",
    "k1_od",
    "k1_axis_od",
    "k2_od",
    "k2_axis_od",
    "k1_os",
    "k1_axis_os",
    "k2_os",
    "k2_axis_os",
    "axial_od",
    "axial_os",
    *EXAM_TEXT,
    "next_recheck",
)
DISPENSING_FIELDS = (
    "dispensed_on",
    "frame",
    "lens_type",
    "lens_product",
    "coatings",
    "cl_base_curve",
    "cl_diameter",
    "cl_power_od",
    "cl_power_os",
    "price",
    "note",
)
QUARTER = Decimal("0.25")
MAX_POWER = Decimal("30")
MAX_PRICE = Decimal("9999999999.99")


def refraction_key(kind: str, eye: str, name: str) -> str:
    return f"{kind}_{eye}_{name}"


def _today() -> dt.date:
    return timezone.localdate()


class _Errors:
    """Collects every message of one form, so all of them show at once."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _dec(value):
    if value in (None, ""):
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _signed(value: Decimal) -> str:
    return f"{value:+.2f}"


def check_power(errors: _Errors, field: str, value, label: str) -> None:
    """Sphere and cylinder: −30.00 to +30.00 in steps of 0.25 D."""
    if value is None:
        return
    if not -MAX_POWER <= value <= MAX_POWER:
        errors.add(
            field,
            _("%(label)s must be between −30.00 and +30.00 D (you entered %(value)s).")
            % {"label": label, "value": _signed(value)},
        )
    elif value % QUARTER:
        errors.add(
            field,
            _("%(label)s goes in steps of 0.25 D (for example %(low)s or %(high)s).")
            % {
                "label": label,
                "low": _signed(
                    (value / QUARTER).to_integral_value(rounding="ROUND_FLOOR") * QUARTER
                ),
                "high": _signed(
                    (value / QUARTER).to_integral_value(rounding="ROUND_CEILING") * QUARTER
                ),
            },
        )


def _check_axis(errors: _Errors, field: str, value) -> None:
    if value is not None and not 1 <= value <= 180:
        errors.add(field, _("The axis is a whole number of degrees from 1 to 180."))


def _check_range(errors, field, value, low, high, message) -> None:
    if value is not None and not Decimal(low) <= value <= Decimal(high):
        errors.add(field, message)


def _clean_refractions(values: dict, errors: _Errors) -> dict:
    """{(kind, eye): {field: value}} of the eyes that have a sphere or cylinder."""
    out = {}
    labels = {"sphere": _("Sphere"), "cylinder": _("Cylinder")}
    for prefix, kind in KINDS.items():
        for eye in EYES:
            raw = {n: values.get(refraction_key(prefix, eye, n)) for n in REFRACTION_FIELDS}
            key = lambda n, p=prefix, e=eye: refraction_key(p, e, n)  # noqa: E731
            sphere, cylinder = _dec(raw["sphere"]), _dec(raw["cylinder"])
            add, prism, pd = _dec(raw["add"]), _dec(raw["prism"]), _dec(raw["pd"])
            axis = raw["axis"] if raw["axis"] not in ("", None) else None
            base = raw["prism_base"] or ""
            given = [v for v in (sphere, cylinder, axis, add, prism, pd) if v is not None]
            if not given and not base:
                continue
            check_power(errors, key("sphere"), sphere, labels["sphere"])
            check_power(errors, key("cylinder"), cylinder, labels["cylinder"])
            _check_axis(errors, key("axis"), axis)
            if sphere is None:
                errors.add(key("sphere"), _("Enter the sphere (0.00 for plano)."))
            if cylinder and axis is None:
                errors.add(key("axis"), _("A cylinder needs its axis (1 to 180)."))
            if not cylinder:
                axis = None
            if add is not None:
                if not Decimal("0.25") <= add <= Decimal("4.00"):
                    errors.add(key("add"), _("The add is from +0.25 to +4.00 D."))
                elif add % QUARTER:
                    errors.add(key("add"), _("The add goes in steps of 0.25 D."))
            if prism is not None:
                if not Decimal("0.25") <= prism <= Decimal("20"):
                    errors.add(key("prism"), _("Prism is from 0.25 to 20 prism dioptres."))
                elif prism % QUARTER:
                    errors.add(key("prism"), _("Prism goes in steps of 0.25 Δ."))
                if base not in PrismBase.values:
                    errors.add(key("prism_base"), _("Choose the base of the prism."))
            elif base:
                errors.add(key("prism"), _("Enter the prism for this base."))
            _check_range(errors, key("pd"), pd, 20, 45, _("A monocular PD is from 20 to 45 mm."))
            out[(kind, eye)] = {
                "sphere": sphere,
                "cylinder": cylinder or Decimal(0),
                "axis": axis,
                "add": add,
                "prism": prism,
                "prism_base": base if prism is not None else "",
                "pd": pd,
            }
    return out


def _clean_exam(values: dict, errors: _Errors) -> dict:
    data = {name: values.get(name) for name in EXAM_FIELDS}
    for name in EXAM_TEXT:
        data[name] = data[name] or ""
    data["iop_method"] = data["iop_method"] or ""
    examined_on = data["examined_on"]
    if not isinstance(examined_on, dt.date):
        errors.add("examined_on", _("Enter the date of the exam."))
    elif examined_on > _today():
        errors.add("examined_on", _("This date is in the future."))
    for name in ACUITY_FIELDS:
        value = _dec(data[name])
        data[name] = value
        if value is not None and not MIN_LOGMAR <= value <= MAX_LOGMAR:
            errors.add(name, _("This acuity is outside the range a chart measures."))
    for name in ("iop_od", "iop_os"):
        data[name] = _dec(data[name])
        _check_range(errors, name, data[name], 1, 80, _("IOP is from 1 to 80 mmHg."))
    if data["iop_method"] and data["iop_method"] not in IOPMethod.values:
        errors.add("iop_method", _("Choose how the pressure was measured."))
    if (data["iop_od"] is not None or data["iop_os"] is not None) and not data["iop_method"]:
        errors.add("iop_method", _("Say how the pressure was measured."))
    data["pd_binocular"] = _dec(data["pd_binocular"])
    _check_range(
        errors,
        "pd_binocular",
        data["pd_binocular"],
        40,
        85,
        _("A binocular PD is from 40 to 85 mm."),
    )
    for eye in EYES:
        for k in ("k1", "k2"):
            power, axis = f"{k}_{eye}", f"{k}_axis_{eye}"
            data[power] = _dec(data[power])
            _check_range(
                errors, power, data[power], 30, 60, _("Keratometry is from 30.00 to 60.00 D.")
            )
            _check_axis(errors, axis, data[axis])
            if data[power] is not None and data[axis] is None:
                errors.add(axis, _("Enter the axis of this meridian (1 to 180)."))
        axial = f"axial_{eye}"
        data[axial] = _dec(data[axial])
        _check_range(
            errors, axial, data[axial], 14, 40, _("Axial length is from 14.00 to 40.00 mm.")
        )
    recheck = data["next_recheck"]
    if recheck is not None and isinstance(examined_on, dt.date) and recheck <= examined_on:
        errors.add("next_recheck", _("The recheck is after the exam."))
    return data


def exam_errors(values: dict) -> dict[str, list[str]]:
    """The messages ``exam_save`` would give for ``values``, without saving (a form shows
    them together with its own)."""
    errors = _Errors()
    _clean_exam(values, errors)
    _clean_refractions(values, errors)
    return errors.errors


@transaction.atomic
def exam_save(*, client, actor, values: dict, exam: VisionExam | None = None, visit=None):
    """Create or update an exam with its refractions (an eye left empty has none)."""
    refuse_erased(client)
    if visit is not None and visit.client_id != client.pk:
        raise ValidationError({"visit": [_("This visit belongs to another client.")]})
    errors = _Errors()
    data = _clean_exam(values, errors)
    refractions = _clean_refractions(values, errors)
    errors.raise_any()
    before = {}
    if exam is None:
        exam = VisionExam(client=client, visit=visit, recorded_by=actor)
    else:
        exam = VisionExam.objects.select_for_update().get(pk=exam.pk, client=client)
        before = {**snapshot(exam, EXAM_FIELDS), **_refraction_snap(exam)}
    for name, value in data.items():
        setattr(exam, name, value)
    exam.full_clean(exclude=["client", "visit", "recorded_by"])
    exam.save()
    exam.refractions.all().delete()
    rows = [
        Refraction(exam=exam, kind=kind, eye=eye, **fields)
        for (kind, eye), fields in refractions.items()
    ]
    for row in rows:
        row.full_clean(exclude=["exam"])
    Refraction.objects.bulk_create(rows)
    after = {**snapshot(exam, EXAM_FIELDS), **_refraction_snap(exam)}
    audit_change(
        "update" if before else "create",
        actor,
        "optical_exam",
        exam.pk,
        client.pk,
        before,
        after,
        EXAM_TEXT,
    )
    if exam.next_recheck and before.get("next_recheck") != after["next_recheck"]:
        _schedule_recheck(exam, actor)
    return exam


def recheck_service():
    """The service a recheck is booked as: the first offered optical service with a recall
    interval (the starting menu's eye examination), or None."""
    from django.db import connection
    from django.db.models import Q

    from scheduling.models import Service
    from verticals import registry

    trade = Q(vertical="optical")
    own = registry.for_business_type(getattr(connection.tenant, "business_type", "") or "")
    if own is not None and own.key == "optical":
        trade |= Q(vertical="")
    services = Service.objects.filter(trade, active=True, recall_days__isnull=False)
    return services.order_by("order", "id").first()


def _schedule_recheck(exam: VisionExam, actor) -> None:
    """The client's latest exam sets when they are due back (seed 003's 复查时间): the
    open recall of the eye examination moves to its recheck date. An older exam recorded
    late leaves the recall alone."""
    from scheduling.recalls import recall_schedule

    later = VisionExam.objects.filter(client_id=exam.client_id).exclude(pk=exam.pk)
    if later.filter(examined_on__gt=exam.examined_on).exists():
        return
    service = recheck_service()
    if service is not None:
        recall_schedule(client=exam.client, service=service, due_on=exam.next_recheck, actor=actor)


def _refraction_snap(exam) -> dict:
    out = {}
    inverse = {v: k for k, v in KINDS.items()}
    for r in Refraction.objects.filter(exam=exam):
        for name in REFRACTION_FIELDS:
            value = getattr(r, name)
            out[refraction_key(inverse[r.kind], r.eye, name)] = (
                str(value) if isinstance(value, Decimal) else value
            )
    return out


def exam_initial(exam: VisionExam) -> dict:
    """An exam's values keyed as the form names them."""
    initial = {name: getattr(exam, name) for name in EXAM_FIELDS}
    inverse = {v: k for k, v in KINDS.items()}
    for r in exam.refractions.all():
        for name in REFRACTION_FIELDS:
            initial[refraction_key(inverse[r.kind], r.eye, name)] = getattr(r, name)
    return initial


# ---------- dispensing ----------


@transaction.atomic
def dispensing_create(*, client, actor, values: dict, exam: VisionExam | None = None):
    refuse_erased(client)
    errors = _Errors()
    if exam is not None and exam.client_id != client.pk:
        errors.add("exam", _("This exam belongs to another client."))
    data = {name: values.get(name) for name in DISPENSING_FIELDS}
    data["frame"] = data["frame"] or ""
    data["lens_product"] = data["lens_product"] or ""
    data["note"] = data["note"] or ""
    data["coatings"] = list(data["coatings"] or [])
    if not isinstance(data["dispensed_on"], dt.date):
        errors.add("dispensed_on", _("Enter the date."))
    if data["lens_type"] not in LensType.values:
        errors.add("lens_type", _("Choose the lens type."))
    for coating in data["coatings"]:
        if coating not in Coating.values:
            errors.add("coatings", _("Choose coatings from the list."))
            break
    price = _dec(data["price"]) if data["price"] not in (None, "") else Decimal(0)
    data["price"] = price
    if price < 0 or price > MAX_PRICE:
        errors.add("price", _("Enter a price of 0 or more."))
    data["cl_base_curve"] = _dec(data["cl_base_curve"])
    data["cl_diameter"] = _dec(data["cl_diameter"])
    data["cl_power_od"] = _dec(data["cl_power_od"])
    data["cl_power_os"] = _dec(data["cl_power_os"])
    if data["lens_type"] == LensType.CONTACT_LENS:
        check_power(errors, "cl_power_od", data["cl_power_od"], _("Lens power"))
        check_power(errors, "cl_power_os", data["cl_power_os"], _("Lens power"))
        if data["cl_base_curve"] is None:
            errors.add("cl_base_curve", _("A contact lens needs its base curve."))
        if data["cl_diameter"] is None:
            errors.add("cl_diameter", _("A contact lens needs its diameter."))
        _check_range(
            errors,
            "cl_base_curve",
            data["cl_base_curve"],
            "6.0",
            "10.0",
            _("The base curve is from 6.0 to 10.0 mm."),
        )
        _check_range(
            errors,
            "cl_diameter",
            data["cl_diameter"],
            "8.0",
            "16.0",
            _("The diameter is from 8.0 to 16.0 mm."),
        )
    else:
        data["cl_base_curve"] = data["cl_diameter"] = None
        data["cl_power_od"] = data["cl_power_os"] = None
        if not data["frame"]:
            errors.add("frame", _("Enter the frame."))
    errors.raise_any()
    dispensing = Dispensing(
        client=client, exam=exam, recorded_by=actor, status=LabStatus.ORDERED, **data
    )
    dispensing.full_clean(exclude=["client", "exam", "recorded_by"])
    dispensing.save()
    fields = (*DISPENSING_FIELDS, "status")
    after = {**snapshot(dispensing, fields), "exam": exam.pk if exam else None}
    audit_change(
        "create", actor, "optical_dispensing", dispensing.pk, client.pk, {}, after, ("note",)
    )
    return dispensing


STATUS_STAMP = {
    LabStatus.AT_LAB: "at_lab_at",
    LabStatus.READY: "ready_at",
    LabStatus.COLLECTED: "collected_at",
}


@transaction.atomic
def dispensing_advance(*, dispensing: Dispensing, status: str, actor) -> Dispensing:
    """Move the lab order forward (ordered → at the lab → ready → collected), stamping the
    time; it never moves back."""
    dispensing = Dispensing.objects.select_for_update().get(pk=dispensing.pk)
    if status not in LAB_ORDER:
        raise ValidationError({"status": [_("Choose a status of the lab order.")]})
    if LAB_ORDER.index(status) <= LAB_ORDER.index(dispensing.status):
        raise ValidationError(
            {
                "status": [
                    _("The order is already “%(current)s”: its status only moves forward.")
                    % {"current": dispensing.get_status_display()}
                ]
            }
        )
    before = {"status": dispensing.status}
    dispensing.status = status
    setattr(dispensing, STATUS_STAMP[status], timezone.now())
    dispensing.save(update_fields=["status", STATUS_STAMP[status]])
    after = {"status": status, STATUS_STAMP[status]: getattr(dispensing, STATUS_STAMP[status])}
    after[STATUS_STAMP[status]] = after[STATUS_STAMP[status]].isoformat()
    audit_change(
        "update", actor, "optical_dispensing", dispensing.pk, dispensing.client_id, before, after
    )
    if status == LabStatus.READY:
        from core.signals import send
        from verticals.optical.signals import lab_order_ready

        send(lab_order_ready, Dispensing, dispensing=dispensing, actor=actor)
    return dispensing


# ---------- settings ----------


def settings_get() -> OpticalSettings:
    row = OpticalSettings.objects.order_by("pk").first()
    return row or OpticalSettings(acuity_notation=Notation.FIVE_POINT)


@transaction.atomic
def settings_save(*, acuity_notation: str, actor) -> OpticalSettings:
    if acuity_notation not in Notation.values:
        raise ValidationError({"acuity_notation": [_("Choose a notation.")]})
    row = OpticalSettings.objects.select_for_update().order_by("pk").first()
    before = {"acuity_notation": row.acuity_notation} if row else {}
    if row is None:
        row = OpticalSettings()
    row.acuity_notation = acuity_notation
    row.full_clean()
    row.save()
    audit_change(
        "update" if before else "create",
        actor,
        "optical_settings",
        row.pk,
        None,
        before,
        {"acuity_notation": acuity_notation},
    )
    return row
