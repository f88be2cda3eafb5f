"""Every rule of the aesthetic records. Views and the demo write through these functions.

Each write validates (``ValidationError`` keyed by the form field it is about, so the
message shows next to it: ``products-<n>-<field>`` for a product line, ``points`` for the
face map), runs in one transaction and leaves an audit entry; clinical free text is named,
not copied, in the audit trail (``sensitive``)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.services import refuse_erased
from verticals.aesthetic.models import (
    FITZPATRICK_MAX,
    FITZPATRICK_MIN,
    Area,
    Concern,
    InjectionPoint,
    MapView,
    PhotoStage,
    ProductUse,
    RecordStatus,
    SkinProfile,
    SkinType,
    TreatmentPhoto,
    TreatmentRecord,
    Unit,
)
from verticals.records import audit_change, snapshot

PHOTO_PURPOSE = "aesthetic.photo"
MAX_POINTS = 200
MAX_POINT_AMOUNT = Decimal("99999.99")

SKIN_TEXT = ("sensitivities", "product_allergies", "ingredient_allergies", "preferences", "notes")
SKIN_FIELDS = ("skin_type", "fitzpatrick", "concerns", *SKIN_TEXT)
RECORD_TEXT = ("device_settings", "aftercare", "efficacy", "notes")
RECORD_FIELDS = (
    "performed_on",
    "procedure",
    "areas",
    "device",
    "satisfaction",
    "status",
    *RECORD_TEXT,
)
PRODUCT_FIELDS = ("name", "batch_number", "expires_on", "dose", "unit")


def _today() -> dt.date:
    return timezone.localdate()


def _check_visit(visit, client) -> None:
    if visit is not None and visit.client_id != client.pk:
        raise ValidationError({"visit": [_("This visit belongs to another client.")]})


# ---------- skin profile ----------


def fitzpatrick_error(value) -> str | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not FITZPATRICK_MIN <= number <= FITZPATRICK_MAX:
        return _("The Fitzpatrick type is I to VI (1–6).")
    return None


def current_skin_profile(client) -> SkinProfile | None:
    return SkinProfile.objects.filter(client=client).order_by("-created_at", "-id").first()


@transaction.atomic
def skin_profile_save(*, client, actor, values: dict) -> SkinProfile:
    """A new version of the client's skin profile (the previous one stays, as history)."""
    refuse_erased(client)
    errors: dict[str, list] = {}
    if values.get("skin_type") not in ("", None, *SkinType.values):
        errors["skin_type"] = [_("Choose a skin type.")]
    if message := fitzpatrick_error(values.get("fitzpatrick")):
        errors["fitzpatrick"] = [message]
    concerns = list(values.get("concerns") or [])
    if set(concerns) - set(Concern.values):
        errors["concerns"] = [_("Choose concerns from the list.")]
    if errors:
        raise ValidationError(errors)
    previous = current_skin_profile(client)
    fitzpatrick = values.get("fitzpatrick")
    profile = SkinProfile(
        client=client,
        skin_type=values.get("skin_type") or "",
        fitzpatrick=int(fitzpatrick) if fitzpatrick not in (None, "") else None,
        concerns=[c for c in Concern.values if c in concerns],
        recorded_by=actor,
        **{name: (values.get(name) or "").strip() for name in SKIN_TEXT},
    )
    profile.full_clean(exclude=["client", "recorded_by"])
    before = snapshot(previous, SKIN_FIELDS) if previous else {}
    after = snapshot(profile, SKIN_FIELDS)
    if previous and before == after:
        return previous
    profile.save()
    audit_change(
        "update" if previous else "create",
        actor,
        "aesthetic_skin",
        profile.pk,
        client.pk,
        before,
        after,
        SKIN_TEXT,
    )
    return profile


def skin_profile_change(*, client, actor, changes: dict) -> SkinProfile:
    """A new version with ``changes`` over the current one (an imported column)."""
    current = current_skin_profile(client)
    values = {f: getattr(current, f) for f in SKIN_FIELDS} if current else {}
    values.update(changes)
    return skin_profile_save(client=client, actor=actor, values=values)


def allergies_for(clients) -> dict[int, list[str]]:
    """The product and ingredient allergies of each client's current skin profile: one
    query for any number of clients."""
    ids = [getattr(c, "pk", c) for c in clients]
    if not ids:
        return {}
    rows = (
        SkinProfile.objects.filter(client_id__in=ids)
        .order_by("client_id", "-created_at", "-id")
        .distinct("client_id")
        .only("client_id", "product_allergies", "ingredient_allergies")
    )
    out = {}
    for row in rows:
        texts = row.allergy_texts()
        if texts:
            out[row.client_id] = texts
    return out


# ---------- treatment records ----------


def product_expired_error(expires_on, performed_on) -> str | None:
    dated = isinstance(expires_on, dt.date) and isinstance(performed_on, dt.date)
    if dated and expires_on < performed_on:
        return _("This product expired on %(date)s: it may not be used.") % {
            "date": expires_on.isoformat()
        }
    return None


def _decimal(value):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return "bad"
    # NaN and infinity are not amounts (and NaN cannot even be compared).
    return number if number.is_finite() else "bad"


def clean_products(products, performed_on) -> tuple[list[ProductUse], dict]:
    """Product lines as ``ProductUse`` rows (not saved) and errors keyed
    ``products-<n>-<field>``. A line left empty is skipped."""
    rows, errors = [], {}
    for n, line in enumerate(products or []):
        line = line or {}
        if not any(line.get(f) not in (None, "") for f in PRODUCT_FIELDS):
            continue

        def err(field, message, n=n):
            errors.setdefault(f"products-{n}-{field}", []).append(message)

        name = (line.get("name") or "").strip()
        batch = (line.get("batch_number") or "").strip()
        expires_on = line.get("expires_on")
        if not name:
            err("name", _("Name the product."))
        if not batch:
            err("batch_number", _("Enter the batch or lot number."))
        if not isinstance(expires_on, dt.date):
            err("expires_on", _("Enter the expiry date."))
        elif message := product_expired_error(expires_on, performed_on):
            err("expires_on", message)
        dose = _decimal(line.get("dose"))
        if dose == "bad" or (dose is not None and not Decimal(0) < dose <= MAX_POINT_AMOUNT):
            err("dose", _("Enter a dose greater than 0."))
            dose = None
        unit = line.get("unit") or ""
        if unit and unit not in Unit.values:
            err("unit", _("Choose a unit."))
        rows.append(
            ProductUse(
                name=name,
                batch_number=batch,
                expires_on=expires_on if isinstance(expires_on, dt.date) else None,
                dose=dose,
                unit=unit,
            )
        )
    return rows, errors


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def clean_points(points) -> list[InjectionPoint]:
    """Face-map points as ``InjectionPoint`` rows (not saved); any bad point refuses them
    all with a message for the ``points`` field."""
    if points in (None, ""):
        return []
    if not isinstance(points, list):
        raise ValidationError({"points": [_("The face map could not be read.")]})
    if len(points) > MAX_POINTS:
        raise ValidationError(
            {"points": [_("At most %(n)s points per record.") % {"n": MAX_POINTS}]}
        )
    rows = []
    for n, point in enumerate(points, start=1):
        if not isinstance(point, dict):
            raise ValidationError({"points": [_("The face map could not be read.")]})
        x, y = _number(point.get("x")), _number(point.get("y"))
        if x is None or y is None or not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValidationError(
                {
                    "points": [
                        _("Point %(n)s lies outside the drawing (positions run from 0 to 1).")
                        % {"n": n}
                    ]
                }
            )
        view = point.get("view")
        if view not in MapView.values:
            raise ValidationError({"points": [_("Point %(n)s has no drawing.") % {"n": n}]})
        amount = _decimal(point.get("amount"))
        if amount in (None, "bad") or not Decimal(0) < amount <= MAX_POINT_AMOUNT:
            raise ValidationError(
                {"points": [_("Enter the amount injected at point %(n)s.") % {"n": n}]}
            )
        unit = point.get("unit") or Unit.UNITS
        if unit not in Unit.values:
            raise ValidationError({"points": [_("Point %(n)s has no unit.") % {"n": n}]})
        rows.append(
            InjectionPoint(
                view=view,
                x=round(x, 4),
                y=round(y, 4),
                amount=amount.quantize(Decimal("0.01")),
                unit=unit,
                label=str(point.get("label") or "")[:60].strip(),
            )
        )
    return rows


def points_data(record) -> list[dict]:
    """The record's points as the face map's script reads and writes them."""
    return [
        {
            "view": p.view,
            "x": p.x,
            "y": p.y,
            "amount": str(p.amount),
            "unit": p.unit,
            "label": p.label,
        }
        for p in record.points.all()
    ]


def consents_missing(*, client, visit) -> list:
    """What the consents module says is still unsigned for the visit's services (none when
    that module is not installed, or the record belongs to no visit)."""
    if visit is None:
        return []
    if importlib.util.find_spec("verticals.aesthetic.consents.selectors") is None:
        return []
    from scheduling.models import Appointment
    from verticals.aesthetic.consents.selectors import missing_consents

    booked = Appointment.objects.filter(visit=visit).select_related("service")
    services = [a.service for a in booked]
    if not services:
        return []
    return list(missing_consents(client=client, services=services))


@transaction.atomic
def treatment_record_save(
    *,
    client,
    actor,
    values: dict,
    products=(),
    points=None,
    record: TreatmentRecord | None = None,
    visit=None,
) -> TreatmentRecord:
    """Create or replace a treatment record with its product lines and face-map points.
    An expired product is refused beside its expiry date; a record saved as done for a
    visit whose procedure needs a consent not yet signed is refused."""
    refuse_erased(client)
    if record is not None:
        record = TreatmentRecord.objects.select_for_update().get(pk=record.pk, client=client)
        visit = visit or record.visit
    _check_visit(visit, client)
    errors: dict[str, list] = {}
    performed_on = values.get("performed_on")
    if not isinstance(performed_on, dt.date):
        errors["performed_on"] = [_("Enter a date.")]
    elif performed_on > _today():
        errors["performed_on"] = [_("This date is in the future.")]
    if not (values.get("procedure") or "").strip():
        errors["procedure"] = [_("Name the procedure.")]
    areas = list(values.get("areas") or [])
    if set(areas) - set(Area.values):
        errors["areas"] = [_("Choose areas from the list.")]
    satisfaction = values.get("satisfaction")
    if satisfaction not in (None, ""):
        try:
            satisfaction = int(satisfaction)
        except (TypeError, ValueError):
            satisfaction = 0
        if not 1 <= satisfaction <= 5:
            errors["satisfaction"] = [_("Satisfaction is from 1 to 5.")]
    else:
        satisfaction = None
    status = values.get("status") or RecordStatus.DRAFT
    if status not in RecordStatus.values:
        errors["status"] = [_("Choose a status.")]
    product_rows, product_errors = clean_products(products, performed_on)
    errors.update(product_errors)
    try:
        point_rows = clean_points(points)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        point_rows = []
    if errors:
        raise ValidationError(errors)
    if status == RecordStatus.DONE:
        missing = consents_missing(client=client, visit=visit)
        if missing:
            raise ValidationError(
                _("This treatment needs a signed consent first: %(forms)s.")
                % {"forms": ", ".join(str(m) for m in missing)}
            )
    before = {}
    if record is None:
        record = TreatmentRecord(client=client, visit=visit, recorded_by=actor)
    else:
        before = snapshot(record, RECORD_FIELDS)
        before["products"] = len(record.products.all())
        before["points"] = len(record.points.all())
    record.performed_on = performed_on
    record.procedure = values["procedure"].strip()[:120]
    record.areas = [a for a in Area.values if a in areas]
    record.device = (values.get("device") or "").strip()[:120]
    record.satisfaction = satisfaction
    record.status = status
    record.practitioner = (
        values.get("practitioner")
        or record.practitioner
        or (visit.practitioner if visit is not None else None)
        or actor
    )
    for name in RECORD_TEXT:
        setattr(record, name, (values.get(name) or "").strip())
    record.full_clean(exclude=["client", "visit", "recorded_by", "practitioner"])
    record.save()
    record.products.all().delete()
    record.points.all().delete()
    for row in product_rows:
        row.record = record
    for row in point_rows:
        row.record = record
    ProductUse.objects.bulk_create(product_rows)
    InjectionPoint.objects.bulk_create(point_rows)
    after = snapshot(record, RECORD_FIELDS)
    after["products"] = len(product_rows)
    after["points"] = len(point_rows)
    audit_change(
        "update" if before else "create",
        actor,
        "aesthetic_treatment",
        record.pk,
        client.pk,
        before,
        after,
        RECORD_TEXT,
    )
    return record


# ---------- photos ----------


@transaction.atomic
def photo_add(*, client, actor, upload, values: dict, visit=None, record=None) -> TreatmentPhoto:
    """Store the photo (filestore, VIEW_HEALTH to open) and its row together."""
    from filestore.services import store_upload

    from accounts.roles import Capability

    refuse_erased(client)
    _check_visit(visit, client)
    if record is not None and record.client_id != client.pk:
        raise ValidationError({"record": [_("This record belongs to another client.")]})
    errors: dict[str, list] = {}
    taken_on = values.get("taken_on")
    if not isinstance(taken_on, dt.date):
        errors["taken_on"] = [_("Enter a date.")]
    elif taken_on > _today():
        errors["taken_on"] = [_("This date is in the future.")]
    if values.get("area") not in Area.values:
        errors["area"] = [_("Choose the area.")]
    stage = values.get("stage") or PhotoStage.BEFORE
    if stage not in PhotoStage.values:
        errors["stage"] = [_("Choose before, after or follow-up.")]
    if upload is None:
        errors["file"] = [_("Choose the photo.")]
    if errors:
        raise ValidationError(errors)
    image = store_upload(
        upload=upload,
        client=client,
        actor=actor,
        purpose=PHOTO_PURPOSE,
        capability=Capability.VIEW_HEALTH,
        taken_on=taken_on,
    )
    photo = TreatmentPhoto.objects.create(
        client=client,
        visit=visit or (record.visit if record else None),
        record=record,
        image=image,
        area=values["area"],
        stage=stage,
        taken_on=taken_on,
        note=(values.get("note") or "").strip(),
        recorded_by=actor,
    )
    fields = ("area", "stage", "taken_on", "note")
    after = snapshot(photo, fields)
    audit_change("create", actor, "aesthetic_photo", photo.pk, client.pk, {}, after, ("note",))
    return photo


@transaction.atomic
def photo_delete(*, photo: TreatmentPhoto, actor) -> None:
    from filestore.services import file_delete

    fields = ("area", "stage", "taken_on", "note")
    before, pk, image = snapshot(photo, fields), photo.pk, photo.image
    photo.delete()
    file_delete(stored=image, actor=actor)
    audit_change("delete", actor, "aesthetic_photo", pk, photo.client_id, before, {}, ("note",))
