"""Every rule of the dental records. Views and the demo write through these functions.

Each write validates (``ValidationError`` keyed by the form field it is about, so the
message shows next to it), runs in one transaction and leaves an audit entry; clinical
free text is named, not copied, in the audit trail (``sensitive``).

Finance: ``open_plan_items(client)`` is the selector a bill is made from — the items of
the client's treatment plans that were accepted (accepted, in progress or done) and are
not on a bill yet, oldest plan first, each with its Decimal ``estimated_cost`` in the
tenant's currency. Finance puts them on a bill and calls ``plan_item_billed(item=…,
reference=…, actor=…)`` for each, which takes the item out of that list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.services import refuse_erased
from verticals.dental import teeth
from verticals.dental.models import (
    MAX_MM,
    WHOLE_TOOTH,
    CleaningRecord,
    CleaningTool,
    Condition,
    EntryStatus,
    ItemStatus,
    OralHealthRecord,
    PerioExam,
    PerioSite,
    PerioTooth,
    PlanItem,
    Surface,
    ToothEntry,
    TreatmentPlan,
    XRay,
    XRayType,
)
from verticals.records import audit_change, snapshot

XRAY_PURPOSE = "dental.xray"
MAX_COST = Decimal("9999999999.99")

ORAL_TEXT = ("medical_history", "findings", "periodontal_status")
CLEANING_TEXT = (
    "preparation",
    "procedure_steps",
    "effect_evaluation",
    "client_feedback",
    "special_situations",
    "other_notes",
)


def _today() -> dt.date:
    return timezone.localdate()


def _check_visit(visit, client) -> None:
    if visit is not None and visit.client_id != client.pk:
        raise ValidationError({"visit": [_("This visit belongs to another client.")]})


def _check_date(value, field: str, *, future_ok: bool = False) -> None:
    if not isinstance(value, dt.date):
        raise ValidationError({field: [_("Enter a date.")]})
    if not future_ok and value > _today():
        raise ValidationError({field: [_("This date is in the future.")]})


def tooth_error(value) -> str | None:
    """The message for a tooth number that is not an FDI tooth (19, 56, 00), or None."""
    if teeth.is_tooth(value):
        return None
    return _(
        "%(value)s is not a tooth number. Use FDI two-digit numbering: 11–18, 21–28, "
        "31–38, 41–48 (adult) or 51–55, 61–65, 71–75, 81–85 (child)."
    ) % {"value": value}


# ---------- oral-health record ----------


@transaction.atomic
def oral_record_save(*, client, actor, values: dict, record=None, visit=None):
    refuse_erased(client)
    _check_visit(visit, client)
    _check_date(values.get("examined_on"), "examined_on")
    before = {}
    fields = ("examined_on", *ORAL_TEXT)
    if record is None:
        record = OralHealthRecord(client=client, visit=visit, recorded_by=actor)
    else:
        record = OralHealthRecord.objects.select_for_update().get(pk=record.pk, client=client)
        before = snapshot(record, fields)
    for name in fields:
        setattr(record, name, values.get(name) or ("" if name in ORAL_TEXT else None))
    record.save()
    audit_change(
        "update" if before else "create",
        actor,
        "dental_oral",
        record.pk,
        client.pk,
        before,
        snapshot(record, fields),
        ORAL_TEXT,
    )
    return record


# ---------- X-rays ----------


@transaction.atomic
def xray_add(*, client, actor, upload, values: dict, visit=None) -> XRay:
    """Store the image (filestore, VIEW_HEALTH to open) and its record together: a bad
    record leaves no file behind, a refused file no record."""
    from filestore.services import store_upload

    from accounts.roles import Capability

    refuse_erased(client)
    _check_visit(visit, client)
    taken_on = values.get("taken_on")
    _check_date(taken_on, "taken_on")
    kind = values.get("kind")
    if kind not in XRayType.values:
        raise ValidationError({"kind": [_("Choose the type of X-ray.")]})
    tooth_numbers = list(values.get("teeth") or [])
    for number in tooth_numbers:
        if message := tooth_error(number):
            raise ValidationError({"teeth": [message]})
    if upload is None:
        raise ValidationError({"file": [_("Choose the X-ray image.")]})
    image = store_upload(
        upload=upload,
        client=client,
        actor=actor,
        purpose=XRAY_PURPOSE,
        capability=Capability.VIEW_HEALTH,
        taken_on=taken_on,
    )
    xray = XRay.objects.create(
        client=client,
        visit=visit,
        image=image,
        taken_on=taken_on,
        kind=kind,
        teeth=sorted({int(n) for n in tooth_numbers}),
        note=values.get("note") or "",
        recorded_by=actor,
    )
    fields = ("taken_on", "kind", "teeth", "note")
    after = snapshot(xray, fields)
    audit_change("create", actor, "dental_xray", xray.pk, client.pk, {}, after, ("note",))
    return xray


@transaction.atomic
def xray_delete(*, xray: XRay, actor) -> None:
    from filestore.services import file_delete

    fields = ("taken_on", "kind", "teeth", "note")
    before, pk, image = snapshot(xray, fields), xray.pk, xray.image
    xray.delete()
    file_delete(stored=image, actor=actor)
    audit_change("delete", actor, "dental_xray", pk, xray.client_id, before, {}, ("note",))


# ---------- tooth chart ----------


def _clean_surfaces(surfaces: Iterable[str]) -> list[str]:
    chosen = set(surfaces or ())
    unknown = chosen - set(Surface.values)
    if unknown:
        raise ValidationError({"surfaces": [_("Choose surfaces from the list.")]})
    return [s for s in teeth.SURFACES if s in chosen]


@transaction.atomic
def tooth_entry_add(
    *,
    client,
    actor,
    tooth,
    condition: str,
    status: str = EntryStatus.EXISTING,
    surfaces: Iterable[str] = (),
    note: str = "",
    visit=None,
    recorded_at: dt.datetime | None = None,
) -> ToothEntry:
    """Append one line to the tooth chart's history. A whole-tooth condition (crown,
    missing, implant …) takes no surfaces; ``resolved`` clears what it names from the
    chart (``verticals.dental.chart``)."""
    refuse_erased(client)
    _check_visit(visit, client)
    errors: dict[str, list] = {}
    if message := tooth_error(tooth):
        errors["tooth"] = [message]
    if condition not in Condition.values:
        errors["condition"] = [_("Choose a condition.")]
    if status not in EntryStatus.values:
        errors["status"] = [_("Choose a status.")]
    try:
        clean = _clean_surfaces(surfaces)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        clean = []
    if clean and condition in WHOLE_TOOTH:
        errors["surfaces"] = [
            _("%(condition)s concerns the whole tooth: leave the surfaces empty.")
            % {"condition": Condition(condition).label}
        ]
    if errors:
        raise ValidationError(errors)
    entry = ToothEntry.objects.create(
        client=client,
        visit=visit,
        tooth=int(tooth),
        surfaces=clean,
        condition=condition,
        status=status,
        note=note or "",
        recorded_at=recorded_at or timezone.now(),
        recorded_by=actor,
    )
    fields = ("tooth", "surfaces", "condition", "status", "note")
    audit_change(
        "create", actor, "dental_tooth", entry.pk, client.pk, {}, snapshot(entry, fields), ("note",)
    )
    return entry


# ---------- periodontal chart ----------


def site_field(kind: str, tooth: int, site: str = "") -> str:
    """The form field (and error key) of one cell of the perio grid: depth_18_MB,
    bleeding_18_MB, recession_18_MB, mobility_18, furcation_18."""
    return f"{kind}_{tooth}_{site}" if site else f"{kind}_{tooth}"


def _mm(value, field: str, errors: dict, upper: int = MAX_MM):
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors[field] = [_("Enter whole millimetres.")]
        return None
    if not 0 <= number <= upper:
        errors[field] = [_("Between 0 and %(max)s.") % {"max": upper}]
        return None
    return number


@transaction.atomic
def perio_exam_create(
    *,
    client,
    actor,
    examined_on,
    sites: dict,
    teeth_findings: dict | None = None,
    note: str = "",
    visit=None,
) -> PerioExam:
    """A periodontal exam. ``sites`` maps (tooth, site) to {"depth", "bleeding",
    "recession"}; ``teeth_findings`` maps tooth to {"mobility", "furcation"}. Depths and
    recession are whole millimetres 0–15, mobility and furcation grades 0–3; a site with
    nothing measured is not stored. Errors are keyed by ``site_field``."""
    refuse_erased(client)
    _check_visit(visit, client)
    _check_date(examined_on, "examined_on")
    errors: dict[str, list] = {}
    site_rows, tooth_rows = [], []
    for (tooth, site), cell in sorted(sites.items()):
        if not teeth.is_tooth(tooth) or site not in teeth.PERIO_SITES:
            errors[site_field("depth", tooth, site)] = [tooth_error(tooth) or _("Unknown site.")]
            continue
        depth = _mm(cell.get("depth"), site_field("depth", tooth, site), errors)
        recession = _mm(cell.get("recession"), site_field("recession", tooth, site), errors)
        bleeding = bool(cell.get("bleeding"))
        if depth is None and recession is None and not bleeding:
            continue
        site_rows.append(
            PerioSite(
                tooth=int(tooth), site=site, depth=depth, bleeding=bleeding, recession=recession
            )
        )
    for tooth, cell in sorted((teeth_findings or {}).items()):
        if not teeth.is_tooth(tooth):
            errors[site_field("mobility", tooth)] = [tooth_error(tooth)]
            continue
        mobility = _mm(cell.get("mobility"), site_field("mobility", tooth), errors, 3)
        furcation = _mm(cell.get("furcation"), site_field("furcation", tooth), errors, 3)
        if mobility is None and furcation is None:
            continue
        tooth_rows.append(PerioTooth(tooth=int(tooth), mobility=mobility, furcation=furcation))
    if errors:
        raise ValidationError(errors)
    if not site_rows:
        raise ValidationError(_("Enter at least one probing depth."))
    exam = PerioExam.objects.create(
        client=client, visit=visit, examined_on=examined_on, note=note or "", recorded_by=actor
    )
    for row in site_rows + tooth_rows:
        row.exam = exam
    PerioSite.objects.bulk_create(site_rows)
    PerioTooth.objects.bulk_create(tooth_rows)
    after = {"examined_on": str(examined_on), "note": exam.note, "sites": len(site_rows)}
    audit_change("create", actor, "dental_perio", exam.pk, client.pk, {}, after, ("note",))
    return exam


@transaction.atomic
def perio_exam_delete(*, exam: PerioExam, actor) -> None:
    before = {"examined_on": str(exam.examined_on), "note": exam.note}
    pk, client_id = exam.pk, exam.client_id
    exam.delete()
    audit_change("delete", actor, "dental_perio", pk, client_id, before, {}, ("note",))


# ---------- cleaning records ----------

CLEANING_FIELDS = ("performed_on", "steriliser_batch", "steriliser_cycle", "tools", *CLEANING_TEXT)


@transaction.atomic
def cleaning_save(*, client, actor, values: dict, record=None, visit=None) -> CleaningRecord:
    refuse_erased(client)
    _check_visit(visit, client)
    _check_date(values.get("performed_on"), "performed_on")
    tools = list(values.get("tools") or [])
    if set(tools) - set(CleaningTool.values):
        raise ValidationError({"tools": [_("Choose tools from the list.")]})
    before = {}
    if record is None:
        record = CleaningRecord(client=client, visit=visit, recorded_by=actor)
    else:
        record = CleaningRecord.objects.select_for_update().get(pk=record.pk, client=client)
        before = snapshot(record, CLEANING_FIELDS)
    for name in CLEANING_FIELDS:
        if name == "performed_on":
            record.performed_on = values["performed_on"]
        elif name == "tools":
            record.tools = [t for t in CleaningTool.values if t in tools]
        else:
            record_value = (values.get(name) or "").strip()
            setattr(record, name, record_value)
    record.save()
    audit_change(
        "update" if before else "create",
        actor,
        "dental_cleaning",
        record.pk,
        client.pk,
        before,
        snapshot(record, CLEANING_FIELDS),
        CLEANING_TEXT,
    )
    return record


# ---------- treatment plans ----------

ITEM_FIELDS = ("tooth", "procedure", "phase", "status", "estimated_cost", "note")


@transaction.atomic
def plan_create(*, client, actor, title: str, note: str = "") -> TreatmentPlan:
    refuse_erased(client)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Give the plan a title.")]})
    plan = TreatmentPlan.objects.create(
        client=client, title=title[:120], note=note or "", created_by=actor
    )
    audit_change(
        "create",
        actor,
        "dental_plan",
        plan.pk,
        client.pk,
        {},
        {"title": plan.title, "note": plan.note},
        ("note",),
    )
    return plan


def _item_values(values: dict) -> dict:
    errors: dict[str, list] = {}
    tooth = values.get("tooth")
    if tooth in ("", None):
        tooth = None
    elif message := tooth_error(tooth):
        errors["tooth"] = [message]
    else:
        tooth = int(tooth)
    procedure = (values.get("procedure") or "").strip()
    if not procedure:
        errors["procedure"] = [_("Name the procedure.")]
    try:
        phase = int(values.get("phase") or 1)
    except (TypeError, ValueError):
        phase = 0
    if not 1 <= phase <= 9:
        errors["phase"] = [_("A phase from 1 to 9.")]
    status = values.get("status") or ItemStatus.PROPOSED
    if status not in ItemStatus.values:
        errors["status"] = [_("Choose a status.")]
    cost = values.get("estimated_cost")
    try:
        cost = Decimal(str(cost if cost not in (None, "") else "0"))
    except InvalidOperation:
        cost = None
    if cost is None or not cost.is_finite() or cost < 0 or cost > MAX_COST:
        errors["estimated_cost"] = [_("Enter an amount of 0 or more.")]
    elif cost != cost.quantize(Decimal("0.01")):
        errors["estimated_cost"] = [_("At most two decimal places.")]
    if errors:
        raise ValidationError(errors)
    return {
        "tooth": tooth,
        "procedure": procedure[:120],
        "phase": phase,
        "status": status,
        "estimated_cost": cost.quantize(Decimal("0.01")),
        "note": values.get("note") or "",
    }


@transaction.atomic
def plan_item_add(*, plan: TreatmentPlan, actor, values: dict) -> PlanItem:
    refuse_erased(plan.client)
    clean = _item_values(values)
    item = PlanItem.objects.create(plan=plan, **clean)
    TreatmentPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    audit_change(
        "create",
        actor,
        "dental_plan_item",
        item.pk,
        plan.client_id,
        {},
        snapshot(item, ITEM_FIELDS),
        ("note",),
    )
    return item


@transaction.atomic
def plan_item_update(*, item: PlanItem, actor, values: dict) -> PlanItem:
    item = PlanItem.objects.select_for_update().select_related("plan__client").get(pk=item.pk)
    refuse_erased(item.plan.client)
    before = snapshot(item, ITEM_FIELDS)
    for name, value in _item_values(values).items():
        setattr(item, name, value)
    item.updated_at = timezone.now()
    item.save()
    TreatmentPlan.objects.filter(pk=item.plan_id).update(updated_at=item.updated_at)
    audit_change(
        "update",
        actor,
        "dental_plan_item",
        item.pk,
        item.plan.client_id,
        before,
        snapshot(item, ITEM_FIELDS),
        ("note",),
    )
    return item


@transaction.atomic
def plan_item_delete(*, item: PlanItem, actor) -> None:
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    if item.billed_at:
        raise ValidationError(_("This item is on a bill and cannot be deleted."))
    before, pk, client_id = snapshot(item, ITEM_FIELDS), item.pk, item.plan.client_id
    item.delete()
    audit_change("delete", actor, "dental_plan_item", pk, client_id, before, {}, ("note",))


@transaction.atomic
def plan_item_billed(*, item: PlanItem, reference: str, actor) -> PlanItem:
    """Finance: the item is on bill ``reference``; it leaves ``open_plan_items``."""
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    if item.billed_at:
        raise ValidationError(_("This item is already on a bill."))
    if item.status not in BILLABLE:
        raise ValidationError(_("Only accepted items can be billed."))
    return _set_billed(item, (reference or "")[:60], actor, billed=True)


def _set_billed(item: PlanItem, reference: str, actor, *, billed: bool) -> PlanItem:
    """Mark ``item`` billed on bill ``reference``, or not billed; audited."""
    before = item.bill_reference
    item.billed_at = timezone.now() if billed else None
    item.bill_reference = reference
    item.save(update_fields=["billed_at", "bill_reference"])
    audit_change(
        "update",
        actor,
        "dental_plan_item",
        item.pk,
        item.plan.client_id,
        {"bill_reference": before},
        {"bill_reference": reference},
    )
    return item


@transaction.atomic
def plan_item_unbilled(*, item: PlanItem, reference: str, actor) -> PlanItem:
    """Finance: bill ``reference``, which held the item, was voided; the item is open to
    bill again (``open_plan_items``). An item since put on another bill stays there."""
    item = PlanItem.objects.select_for_update().select_related("plan").get(pk=item.pk)
    if not item.billed_at or item.bill_reference != (reference or "")[:60]:
        return item
    return _set_billed(item, "", actor, billed=False)


BILLABLE = (ItemStatus.ACCEPTED, ItemStatus.IN_PROGRESS, ItemStatus.DONE)


def open_plan_items(client) -> QuerySet[PlanItem]:
    """The client's accepted plan items not on a bill yet (see the module docstring)."""
    return (
        PlanItem.objects.filter(plan__client=client, status__in=BILLABLE, billed_at__isnull=True)
        .select_related("plan")
        .order_by("plan__created_at", "plan_id", "phase", "id")
    )


def plan_totals(items: Iterable[PlanItem]) -> dict:
    """Totals of a plan's items, Decimal: per phase and overall, of everything proposed
    or agreed (declined items count in neither), and of what is accepted so far."""
    phases: dict[int, Decimal] = {}
    total = accepted = Decimal("0.00")
    for item in items:
        if item.status == ItemStatus.DECLINED:
            continue
        phases[item.phase] = phases.get(item.phase, Decimal("0.00")) + item.estimated_cost
        total += item.estimated_cost
        if item.status in BILLABLE:
            accepted += item.estimated_cost
    return {"phases": sorted(phases.items()), "total": total, "accepted": accepted}
