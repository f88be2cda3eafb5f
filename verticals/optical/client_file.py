"""Optical records in the client file: the profile's tabs, the timeline, and the client's
export, erasure and merge (``clients.related``). Each function runs a fixed number of
queries, whatever the number of records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients.profile import TimelineEntry
from verticals.optical import chart, services
from verticals.optical.acuity import format_acuity
from verticals.optical.models import Dispensing, VisionExam

RECORDS_SHOWN = 20


def _viewed(request, client) -> None:
    audit.record_view(action=Action.VIEW_HEALTH, actor=request.user, client_id=client.pk)


def _can_write(request, client) -> bool:
    return request.user.can(Capability.RECORD_TREATMENT) and not client.erased_at


def notation() -> str:
    return services.settings_get().acuity_notation


def exam_rows(exams, notation_code: str) -> list[dict]:
    """Each exam with its acuity written in the business's notation and its refractions by
    (kind, eye)."""
    rows = []
    for exam in exams:
        rx = {(r.kind, r.eye): r for r in exam.refractions.all()}
        rows.append(
            {
                "exam": exam,
                "acuity": {
                    name: format_acuity(getattr(exam, name), notation_code)
                    for name in services.ACUITY_FIELDS
                },
                "subj_od": rx.get(("subjective", "od")),
                "subj_os": rx.get(("subjective", "os")),
                "obj_od": rx.get(("objective", "od")),
                "obj_os": rx.get(("objective", "os")),
            }
        )
    return rows


def exams_tab_context(request, client) -> dict:
    _viewed(request, client)
    code = notation()
    exams = (
        VisionExam.objects.filter(client=client)
        .select_related("recorded_by")
        .prefetch_related("refractions")
        .order_by("-examined_on", "-id")[:RECORDS_SHOWN]
    )
    return {
        "exam_rows": exam_rows(exams, code),
        "can_write": _can_write(request, client),
        "notation_label": _notation_label(code),
    }


def _notation_label(code: str) -> str:
    from verticals.optical.models import Notation

    return str(Notation(code).label)


def dispensing_tab_context(request, client) -> dict:
    _viewed(request, client)
    dispensings = list(
        Dispensing.objects.filter(client=client)
        .select_related("exam")
        .order_by("-dispensed_on", "-id")[:RECORDS_SHOWN]
    )
    return {
        "dispensings": dispensings,
        "currency": getattr(connection.tenant, "currency", ""),
        "can_write": _can_write(request, client),
    }


def myopia_tab_context(request, client) -> dict:
    _viewed(request, client)
    return {"charts": chart.charts(client), "geometry": chart.GEOMETRY}


# ---------- timeline ----------

KIND = gettext_lazy("Optical")


def _actor(user) -> str:
    return str(user) if user else ""


def _rx_text(r) -> str:
    text = f"{r.sphere:+.2f}"
    if r.cylinder:
        text += f" / {r.cylinder:+.2f} × {r.axis}"
    return text


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    """Exams and dispensing: three queries."""
    out = []
    exams = (
        VisionExam.objects.filter(client=client)
        .select_related("recorded_by")
        .prefetch_related("refractions")
        .order_by("-examined_on", "-id")[:limit]
    )
    for e in exams:
        rx = [r for r in e.refractions.all() if r.kind == "subjective"]
        detail = " · ".join(f"{r.eye.upper()} {_rx_text(r)}" for r in rx)
        out.append(
            TimelineEntry(
                e.examined_on,
                "optical",
                KIND,
                _("Vision exam"),
                detail,
                reverse("optical:exam", args=[e.pk]),
                _actor(e.recorded_by),
            )
        )
    dispensings = (
        Dispensing.objects.filter(client=client)
        .select_related("recorded_by")
        .order_by("-dispensed_on", "-id")[:limit]
    )
    for d in dispensings:
        title = _("Dispensing: %(lens)s (%(status)s)") % {
            "lens": d.get_lens_type_display(),
            "status": d.get_status_display(),
        }
        out.append(
            TimelineEntry(
                d.dispensed_on,
                "optical",
                KIND,
                title,
                d.frame,
                reverse("optical:dispensing", args=[d.pk]),
                _actor(d.recorded_by),
            )
        )
    out.sort(key=lambda e: e.sort_key, reverse=True)
    return out[:limit]


# ---------- export, erasure ----------


def _v(value):
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def optical_export(client, *, user) -> dict:
    """All optical records for users who may see clinical records; for anyone else only
    how many there are."""
    if not user.can(Capability.VIEW_HEALTH):
        return {
            "held_back": _("Clinical records are only exported for clinical staff."),
            "exams": VisionExam.objects.filter(client=client).count(),
            "dispensings": Dispensing.objects.filter(client=client).count(),
        }
    exams = (
        VisionExam.objects.filter(client=client)
        .prefetch_related("refractions")
        .order_by("examined_on", "id")
    )
    return {
        "acuity_unit": "logMAR",
        "vision_exams": [
            {
                **{name: _v(getattr(e, name)) for name in services.EXAM_FIELDS},
                "refractions": [
                    {
                        "kind": r.kind,
                        "eye": r.eye,
                        **{n: _v(getattr(r, n)) for n in services.REFRACTION_FIELDS},
                    }
                    for r in e.refractions.all()
                ],
            }
            for e in exams
        ],
        "dispensings": [
            {
                **{name: _v(getattr(d, name)) for name in services.DISPENSING_FIELDS},
                "exam_date": _v(d.exam.examined_on) if d.exam else None,
                "status": d.status,
                "ordered_at": _v(d.ordered_at),
                "at_lab_at": _v(d.at_lab_at),
                "ready_at": _v(d.ready_at),
                "collected_at": _v(d.collected_at),
            }
            for d in Dispensing.objects.filter(client=client)
            .select_related("exam")
            .order_by("dispensed_on", "id")
        ],
    }


def optical_erase(client) -> None:
    """Blank the free text of the client's exams and dispensing (diagnosis, advice, notes);
    the measurements, lens details and prices stay, anonymous with the file."""
    VisionExam.objects.filter(client=client).update(diagnosis="", advice="")
    Dispensing.objects.filter(client=client).update(note="")


# ---------- dashboard ----------

ORDERS_SHOWN = 8


def lab_orders_widget_context(request) -> dict:
    """Lab orders not collected yet, ready ones first (two queries)."""
    from django.db.models import Case, IntegerField, Value, When

    from verticals.optical.models import LabStatus

    open_orders = Dispensing.objects.exclude(status=LabStatus.COLLECTED)
    rank = Case(
        When(status=LabStatus.READY, then=Value(0)),
        When(status=LabStatus.AT_LAB, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    orders = list(
        open_orders.select_related("client")
        .annotate(rank=rank)
        .order_by("rank", "dispensed_on", "id")[:ORDERS_SHOWN]
    )
    return {"orders": orders, "ready": open_orders.filter(status=LabStatus.READY).count()}
