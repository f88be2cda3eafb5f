"""Aesthetic records in the client file: the profile's tabs, the timeline, and the
client's export, erasure and merge (``clients.related``). Each function runs a fixed
number of queries, whatever the number of records."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients.profile import TimelineEntry
from verticals.aesthetic import services
from verticals.aesthetic.models import (
    Area,
    InjectionPoint,
    ProductUse,
    SkinProfile,
    TreatmentPhoto,
    TreatmentRecord,
)

RECORDS_SHOWN = 50
VERSIONS_SHOWN = 10
PHOTOS_SHOWN = 60


def _viewed(request, client) -> None:
    audit.record_view(action=Action.VIEW_HEALTH, actor=request.user, client_id=client.pk)


def _can_write(request, client) -> bool:
    return request.user.can(Capability.RECORD_TREATMENT) and not client.erased_at


# ---------- tabs ----------


def skin_tab_context(request, client) -> dict:
    _viewed(request, client)
    versions = list(
        SkinProfile.objects.filter(client=client)
        .select_related("recorded_by")
        .order_by("-created_at", "-id")[:VERSIONS_SHOWN]
    )
    return {
        "skin": versions[0] if versions else None,
        "skin_versions": versions,
        "can_write": _can_write(request, client),
    }


def treatments_tab_context(request, client) -> dict:
    _viewed(request, client)
    records = list(
        TreatmentRecord.objects.filter(client=client)
        .select_related("practitioner")
        .annotate(point_count=Count("points", distinct=True))
        .prefetch_related(Prefetch("products", queryset=ProductUse.objects.order_by("id")))
        .order_by("-performed_on", "-id")[:RECORDS_SHOWN]
    )
    return {"records": records, "can_write": _can_write(request, client)}


def photos_tab_context(request, client) -> dict:
    _viewed(request, client)
    photos = list(
        TreatmentPhoto.objects.filter(client=client, image__erased_at__isnull=True)
        .select_related("image")
        .order_by("area", "-taken_on", "-id")[:PHOTOS_SHOWN]
    )
    groups = []
    for value, label in Area.choices:
        of_area = [p for p in photos if p.area == value]
        if of_area:
            groups.append({"area": value, "label": label, "photos": of_area})
    return {"photo_groups": groups, "can_write": _can_write(request, client)}


# ---------- timeline ----------

KIND = gettext_lazy("Aesthetic")


def _actor(user) -> str:
    return str(user) if user else ""


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    """Treatment records, skin-profile versions and photos: one query each."""
    out = []
    records = (
        TreatmentRecord.objects.filter(client=client)
        .select_related("practitioner")
        .order_by("-performed_on", "-id")[:limit]
    )
    for r in records:
        areas = ", ".join(r.area_labels())
        out.append(
            TimelineEntry(
                r.performed_on,
                "aesthetic",
                KIND,
                _("Treatment: %(procedure)s") % {"procedure": r.procedure}
                + (f" ({areas})" if areas else ""),
                r.efficacy,
                reverse("aesthetic:record", args=[r.pk]),
                _actor(r.practitioner),
            )
        )
    versions = (
        SkinProfile.objects.filter(client=client)
        .select_related("recorded_by")
        .order_by("-created_at", "-id")[:limit]
    )
    for s in versions:
        out.append(
            TimelineEntry(
                s.created_at,
                "aesthetic",
                KIND,
                _("Skin profile: %(type)s") % {"type": s.get_skin_type_display() or "—"},
                "",
                reverse("clients:detail_tab", args=[client.pk, "aesthetic_skin"]),
                _actor(s.recorded_by),
            )
        )
    photos = (
        TreatmentPhoto.objects.filter(client=client)
        .select_related("recorded_by")
        .order_by("-taken_on", "-id")[:limit]
    )
    for p in photos:
        out.append(
            TimelineEntry(
                p.taken_on,
                "aesthetic",
                KIND,
                _("Photo: %(area)s, %(stage)s")
                % {"area": p.get_area_display(), "stage": p.get_stage_display()},
                "",
                reverse("aesthetic:photo_compare", args=[client.pk]) + f"?area={p.area}",
                _actor(p.recorded_by),
            )
        )
    out.sort(key=lambda e: e.sort_key, reverse=True)
    return out[:limit]


# ---------- export, erasure, merge ----------


def _d(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def aesthetic_export(client, *, user) -> dict:
    """All aesthetic records for users who may see clinical records; for anyone else only
    how many there are."""
    if not user.can(Capability.VIEW_HEALTH):
        return {
            "held_back": _("Clinical records are only exported for clinical staff."),
            "records": TreatmentRecord.objects.filter(client=client).count(),
        }
    return {
        "skin_profiles": [
            {
                "recorded_at": _d(s.created_at),
                "skin_type": s.skin_type,
                "fitzpatrick": s.fitzpatrick,
                "concerns": s.concerns,
                **{name: getattr(s, name) for name in services.SKIN_TEXT},
            }
            for s in SkinProfile.objects.filter(client=client).order_by("created_at", "id")
        ],
        "treatment_records": [
            {
                **{name: _d(getattr(r, name)) for name in services.RECORD_FIELDS},
                "practitioner": _actor(r.practitioner),
                "products": [
                    {
                        "name": p.name,
                        "batch_number": p.batch_number,
                        "expires_on": _d(p.expires_on),
                        "dose": str(p.dose) if p.dose is not None else None,
                        "unit": p.unit,
                    }
                    for p in r.products.all()
                ],
                "injection_points": [
                    {
                        "view": p.view,
                        "x": p.x,
                        "y": p.y,
                        "amount": str(p.amount),
                        "unit": p.unit,
                        "label": p.label,
                    }
                    for p in r.points.all()
                ],
            }
            for r in TreatmentRecord.objects.filter(client=client)
            .select_related("practitioner")
            .prefetch_related(
                Prefetch("products", queryset=ProductUse.objects.order_by("id")),
                Prefetch("points", queryset=InjectionPoint.objects.order_by("id")),
            )
            .order_by("performed_on", "id")
        ],
        "photos": [
            {
                "taken_on": _d(p.taken_on),
                "area": p.area,
                "stage": p.stage,
                "note": p.note,
                "file": str(p.image_id),
                "erased": p.image.erased_at is not None,
            }
            for p in TreatmentPhoto.objects.filter(client=client)
            .select_related("image")
            .order_by("taken_on", "id")
        ],
    }


def aesthetic_erase(client) -> None:
    """Blank every free text of the client's aesthetic records (allergies, preferences,
    settings, evaluations, point labels) and erase the photos (filestore); dates,
    procedures, product batches and amounts stay, anonymous with the file."""
    from filestore.services import erase_client_files

    SkinProfile.objects.filter(client=client).update(**{n: "" for n in services.SKIN_TEXT})
    TreatmentRecord.objects.filter(client=client).update(**{n: "" for n in services.RECORD_TEXT})
    InjectionPoint.objects.filter(record__client=client).update(label="")
    TreatmentPhoto.objects.filter(client=client).update(note="")
    erase_client_files(client, purposes=[services.PHOTO_PURPOSE])
