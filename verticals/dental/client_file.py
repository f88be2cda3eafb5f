"""Dental records in the client file: the profile's tabs, the timeline, and the client's
export, erasure and merge (``clients.related``). Each function runs a fixed number of
queries, whatever the number of records."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients.profile import TimelineEntry
from verticals.dental import selectors, services
from verticals.dental.forms import ToothEntryForm
from verticals.dental.models import (
    CleaningRecord,
    OralHealthRecord,
    PerioExam,
    PlanItem,
    ToothEntry,
    TreatmentPlan,
    XRay,
)

XRAYS_SHOWN = 12
RECORDS_SHOWN = 10


def _viewed(request, client) -> None:
    audit.record_view(action=Action.VIEW_HEALTH, actor=request.user, client_id=client.pk)


def _can_write(request, client) -> bool:
    return request.user.can(Capability.RECORD_TREATMENT) and not client.erased_at


# ---------- tabs ----------


def chart_tab_context(request, client) -> dict:
    _viewed(request, client)
    context = selectors.chart_context(request, client, child=request.GET.get("set") == "child")
    context.update(
        {
            "can_write": _can_write(request, client),
            "form": ToothEntryForm(),
            "next": request.get_full_path(),
            "oral_records": list(
                OralHealthRecord.objects.filter(client=client).select_related("recorded_by")[
                    :RECORDS_SHOWN
                ]
            ),
            "xrays": list(XRay.objects.filter(client=client).select_related("image")[:XRAYS_SHOWN]),
            "cleanings": list(
                CleaningRecord.objects.filter(client=client).select_related("recorded_by")[
                    :RECORDS_SHOWN
                ]
            ),
        }
    )
    return context


def perio_tab_context(request, client) -> dict:
    _viewed(request, client)
    exams = list(
        PerioExam.objects.filter(client=client)
        .select_related("recorded_by")
        .annotate(
            site_count=Count("sites"),
            bleeding_count=Count("sites", filter=Q(sites__bleeding=True)),
            pocket_count=Count("sites", filter=Q(sites__depth__gte=4)),
            depth_sum=Sum("sites__depth"),
            depth_count=Count("sites__depth"),
        )
        .order_by("-examined_on", "-id")
    )
    for exam in exams:
        exam.mean_depth = selectors.mean_depth(exam.depth_sum, exam.depth_count)
    return {"exams": exams, "can_write": _can_write(request, client)}


def plan_tab_context(request, client) -> dict:
    _viewed(request, client)
    plans = list(
        TreatmentPlan.objects.filter(client=client)
        .prefetch_related("items")
        .order_by("-created_at", "-id")
    )
    for plan in plans:
        plan.totals = services.plan_totals(plan.items.all())
    return {
        "plans": plans,
        "currency": getattr(connection.tenant, "currency", ""),
        "can_write": _can_write(request, client),
    }


# ---------- timeline ----------

KIND = gettext_lazy("Dental")


def _actor(user) -> str:
    return str(user) if user else ""


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    """Chart entries, cleanings, X-rays, perio exams, oral exams and plan items: one query
    each."""
    chart_url = reverse("dental:chart", args=[client.pk])
    out = []
    for e in ToothEntry.objects.filter(client=client).select_related("recorded_by")[:limit]:
        title = _("Tooth %(tooth)s: %(condition)s (%(status)s)") % {
            "tooth": e.tooth,
            "condition": e.get_condition_display(),
            "status": e.get_status_display(),
        }
        out.append(
            TimelineEntry(
                e.recorded_at, "dental", KIND, title, e.note, chart_url, _actor(e.recorded_by)
            )
        )
    for c in CleaningRecord.objects.filter(client=client).select_related("recorded_by")[:limit]:
        out.append(
            TimelineEntry(
                c.performed_on,
                "dental",
                KIND,
                _("Cleaning: %(tools)s") % {"tools": ", ".join(c.tool_labels())},
                c.effect_evaluation,
                reverse("dental:cleaning_edit", args=[client.pk, c.pk]),
                _actor(c.recorded_by),
            )
        )
    for x in XRay.objects.filter(client=client).select_related("recorded_by")[:limit]:
        out.append(
            TimelineEntry(
                x.taken_on,
                "dental",
                KIND,
                _("X-ray: %(type)s") % {"type": x.get_kind_display()},
                x.note,
                reverse("clients:detail_tab", args=[client.pk, "dental_chart"]),
                _actor(x.recorded_by),
            )
        )
    for p in PerioExam.objects.filter(client=client).select_related("recorded_by")[:limit]:
        out.append(
            TimelineEntry(
                p.examined_on,
                "dental",
                KIND,
                _("Periodontal exam"),
                p.note,
                reverse("dental:perio", args=[p.pk]),
                _actor(p.recorded_by),
            )
        )
    for o in OralHealthRecord.objects.filter(client=client).select_related("recorded_by")[:limit]:
        out.append(
            TimelineEntry(
                o.examined_on,
                "dental",
                KIND,
                _("Oral examination"),
                o.findings,
                reverse("dental:oral_edit", args=[client.pk, o.pk]),
                _actor(o.recorded_by),
            )
        )
    items = (
        PlanItem.objects.filter(plan__client=client)
        .select_related("plan")
        .order_by("-updated_at", "-id")[:limit]
    )
    for i in items:
        title = _("Treatment plan: %(procedure)s%(tooth)s — %(status)s") % {
            "procedure": i.procedure,
            "tooth": f" ({i.tooth})" if i.tooth else "",
            "status": i.get_status_display(),
        }
        out.append(
            TimelineEntry(
                i.updated_at, "dental", KIND, title, "", reverse("dental:plan", args=[i.plan_id])
            )
        )
    out.sort(key=lambda e: e.sort_key, reverse=True)
    return out[:limit]


# ---------- export, erasure, merge ----------


def _d(value) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def dental_export(client, *, user) -> dict:
    """All dental records for users who may see clinical records; for anyone else only
    that they exist (the chart and plan are clinical)."""
    if not user.can(Capability.VIEW_HEALTH):
        return {
            "held_back": _("Clinical records are only exported for clinical staff."),
            "records": ToothEntry.objects.filter(client=client).count(),
        }
    return {
        "oral_health_records": [
            {
                "examined_on": _d(r.examined_on),
                "medical_history": r.medical_history,
                "findings": r.findings,
                "periodontal_status": r.periodontal_status,
            }
            for r in OralHealthRecord.objects.filter(client=client).order_by("examined_on", "id")
        ],
        "tooth_chart_history": [
            {
                "tooth": e.tooth,
                "surfaces": e.surfaces,
                "condition": e.condition,
                "status": e.status,
                "note": e.note,
                "recorded_at": _d(e.recorded_at),
            }
            for e in ToothEntry.objects.filter(client=client).order_by("recorded_at", "id")
        ],
        "xrays": [
            {"taken_on": _d(x.taken_on), "type": x.kind, "teeth": x.teeth, "findings": x.note}
            for x in XRay.objects.filter(client=client).order_by("taken_on", "id")
        ],
        "periodontal_exams": [
            {
                "examined_on": _d(p.examined_on),
                "note": p.note,
                "sites": [
                    {
                        "tooth": s.tooth,
                        "site": s.site,
                        "depth": s.depth,
                        "bleeding": s.bleeding,
                        "recession": s.recession,
                    }
                    for s in p.sites.all()
                ],
                "teeth": [
                    {"tooth": t.tooth, "mobility": t.mobility, "furcation": t.furcation}
                    for t in p.teeth.all()
                ],
            }
            for p in PerioExam.objects.filter(client=client)
            .prefetch_related("sites", "teeth")
            .order_by("examined_on", "id")
        ],
        "cleanings": [
            {f: _d(getattr(c, f)) for f in services.CLEANING_FIELDS}
            for c in CleaningRecord.objects.filter(client=client).order_by("performed_on", "id")
        ],
        "treatment_plans": [
            {
                "title": p.title,
                "note": p.note,
                "created_at": _d(p.created_at),
                "items": [
                    {
                        "tooth": i.tooth,
                        "procedure": i.procedure,
                        "phase": i.phase,
                        "status": i.status,
                        "estimated_cost": str(i.estimated_cost),
                        "note": i.note,
                    }
                    for i in p.items.all()
                ],
            }
            for p in TreatmentPlan.objects.filter(client=client)
            .prefetch_related("items")
            .order_by("created_at", "id")
        ],
    }


def dental_erase(client) -> None:
    """Blank every free text of the client's dental records and erase the X-ray images
    (filestore); the structured chart, perio figures and plan amounts stay, anonymous
    with the file."""
    from filestore.services import erase_client_files

    OralHealthRecord.objects.filter(client=client).update(
        medical_history="", findings="", periodontal_status=""
    )
    ToothEntry.objects.filter(client=client).update(note="")
    XRay.objects.filter(client=client).update(note="")
    PerioExam.objects.filter(client=client).update(note="")
    CleaningRecord.objects.filter(client=client).update(
        **{name: "" for name in services.CLEANING_TEXT}
    )
    TreatmentPlan.objects.filter(client=client).update(note="")
    PlanItem.objects.filter(plan__client=client).update(note="")
    erase_client_files(client, purposes=[services.XRAY_PURPOSE])
