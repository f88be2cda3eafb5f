"""The dental demo's records (Bright Smile Dental): oral exams, a full tooth chart with its
history, two periodontal exams to compare, cleanings, X-ray images and treatment plans,
written through the services as a dentist would write them.

``seed_demo_records`` is called by seed_demo in the business's schema once its demo
clients exist (oldest first, in the order ``vertical.py`` lists them). It writes nothing
when the business already has dental records, so seeding again keeps what is there."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from verticals.dental import services, teeth
from verticals.dental.models import (
    CleaningRecord,
    OralHealthRecord,
    PerioExam,
    ToothEntry,
    TreatmentPlan,
    XRay,
)

# (tooth, surfaces, condition, status, days ago, note): the full chart of the first demo
# client, oldest first. Later lines replace earlier ones on the chart, as in the product
# (the caries on 36 becomes a filling; the caries on 45 is still to treat).
FULL_CHART = (
    (18, "", "missing", "existing", 400, "Extracted 2015 (impacted)"),
    (28, "", "missing", "existing", 400, "Extracted 2015"),
    (38, "", "missing", "existing", 400, ""),
    (48, "", "missing", "existing", 400, ""),
    (17, "MO", "filling", "existing", 400, "Amalgam, sound margins"),
    (16, "O", "filling", "existing", 400, "Amalgam"),
    (15, "", "crown", "existing", 400, "PFM crown"),
    (15, "", "root_canal", "existing", 400, ""),
    (14, "O", "sealant", "existing", 400, ""),
    (12, "O", "fractured", "existing", 400, "Small incisal chip, smooth"),
    (11, "B", "veneer", "existing", 400, ""),
    (21, "B", "veneer", "existing", 400, ""),
    (24, "D", "caries", "existing", 400, "Early enamel lesion: monitor"),
    (25, "MOD", "filling", "existing", 400, "Composite"),
    (26, "", "crown", "existing", 400, "Zirconia crown"),
    (26, "", "root_canal", "existing", 400, ""),
    (27, "O", "filling", "existing", 400, "Composite"),
    (13, "B", "wear", "existing", 400, "Cervical abrasion (hard brushing)"),
    (23, "B", "wear", "existing", 400, "Cervical abrasion (hard brushing)"),
    (22, "M", "filling", "existing", 400, "Composite"),
    (32, "O", "wear", "existing", 400, "Attrition (bruxism)"),
    (42, "O", "wear", "existing", 400, "Attrition (bruxism)"),
    (33, "O", "wear", "existing", 400, "Canine guidance worn flat"),
    (43, "O", "wear", "existing", 400, "Canine guidance worn flat"),
    (31, "O", "wear", "existing", 400, "Attrition (bruxism)"),
    (41, "O", "wear", "existing", 400, "Attrition (bruxism)"),
    (35, "", "bridge", "existing", 400, "Bridge 35–37, abutment"),
    (36, "", "missing", "existing", 400, "Pontic of the bridge 35–37"),
    (37, "", "bridge", "existing", 400, "Bridge 35–37, abutment"),
    (46, "", "implant", "existing", 400, "Implant placed 2019"),
    (46, "", "crown", "existing", 400, "Implant crown"),
    (47, "OD", "caries", "existing", 120, "Found on the bitewing"),
    (45, "D", "caries", "existing", 120, "Interproximal, into dentine"),
    (24, "D", "caries", "resolved", 120, "Remineralised: no lesion on the bitewing"),
    (47, "OD", "filling", "done", 30, "Composite, rubber dam"),
    (45, "D", "filling", "planned", 30, "Composite at the next visit"),
    (44, "", "extraction", "planned", 30, "Vertical root fracture: extract, then implant"),
    (34, "B", "caries", "existing", 30, "Cervical lesion"),
)

OTHER_CHARTS = {
    1: (
        (16, "O", "sealant", "existing", 300, ""),
        (26, "O", "sealant", "existing", 300, ""),
        (36, "O", "filling", "existing", 300, "Composite"),
        (46, "MO", "caries", "existing", 60, "Seen on the bitewing"),
        (46, "MO", "filling", "planned", 60, ""),
    ),
    2: (
        (46, "", "root_canal", "done", 200, "Three canals, irreversible pulpitis"),
        (46, "", "crown", "planned", 200, "Crown within three months"),
        (46, "", "crown", "done", 14, "Zirconia crown fitted"),
        (37, "O", "caries", "existing", 14, ""),
        (16, "MOD", "filling", "existing", 200, "Amalgam, recurrent caries distal"),
        (18, "", "missing", "existing", 200, ""),
    ),
    5: (
        (17, "", "missing", "existing", 180, "Lost to periodontitis"),
        (27, "", "missing", "existing", 180, ""),
        (31, "", "extraction", "planned", 180, "Mobility grade 3"),
        (36, "MO", "filling", "existing", 180, ""),
    ),
}

ORAL = {
    0: (
        120,
        "Hypertension, on amlodipine. Grinds his teeth at night (night guard since 2022).",
        "New caries 45 D and 47 OD on the bitewings; 24 D lesion remineralised. Veneers 11 "
        "21 intact. Wear facets on the lower incisors.",
        "Generalised gingivitis, no pockets over 4 mm.",
    ),
    2: (
        200,
        "No medical conditions. Anxious about injections: topical anaesthetic first.",
        "46 tender to percussion, lingering pain to cold: irreversible pulpitis.",
        "Healthy; localised recession on 31 and 41.",
    ),
    5: (
        180,
        "Type 2 diabetes (HbA1c 7.8 %). Former smoker (stopped 2023).",
        "Generalised calculus, 31 mobile grade 3, 17 and 27 missing.",
        "Generalised chronic periodontitis, stage III grade B.",
    ),
}

CLEANINGS = (
    (
        0,
        120,
        ["ultrasonic", "hand", "polishing"],
        "Full scale and polish, subgingival in the lower anterior region.",
        "Bleeding reduced; calculus removed from the lingual of 31–41.",
        "Sensitive on the lower incisors during scaling; comfortable afterwards.",
        "",
    ),
    (
        1,
        60,
        ["ultrasonic", "air_polishing", "flossing"],
        "Supragingival scaling, air polishing around the brackets.",
        "Plaque index down from 45 % to 15 %.",
        "Happy with the cleaning around the brace.",
        "Orthodontic brackets on both arches: worked around them with the small tip.",
    ),
    (
        5,
        170,
        ["ultrasonic", "hand"],
        "Root surface debridement, upper right and lower right quadrants, under local.",
        "Good access; residual calculus distal 16.",
        "Tired after the long appointment; asked for a shorter one next time.",
        "Blood glucose checked before starting (7.2 mmol/L).",
    ),
    (
        5,
        14,
        ["ultrasonic", "air_polishing", "polishing"],
        "Periodontal maintenance, full mouth.",
        "Pockets much shallower than at the baseline exam; bleeding mostly gone.",
        "Gums no longer bleed when brushing.",
        "",
    ),
    (
        6,
        45,
        ["ultrasonic", "polishing"],
        "Routine scale and polish.",
        "Light calculus only; healthy gums.",
        "No discomfort.",
        "",
    ),
)


def _at(today: dt.date, days: int, hour: int = 10) -> dt.datetime:
    moment = dt.datetime.combine(today - dt.timedelta(days=days), dt.time(hour))
    return timezone.make_aware(moment)


def _dentist(staff_by_email):
    for email, user in staff_by_email.items():
        if email.startswith("dentist@"):
            return user
    return next(iter(staff_by_email.values()))


def xray_png(kind: str, seed: int) -> bytes:
    """A small greyscale radiograph-like picture: dark film, teeth as light crowns and
    roots, a filling or two bright white."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)  # noqa: S311 (a picture, not a secret)
    width, height = (480, 240) if kind == "panoramic" else (240, 180)
    image = Image.new("L", (width, height), 18)
    draw = ImageDraw.Draw(image)
    count = 14 if kind == "panoramic" else 4
    step = width / count
    for i in range(count):
        x = int(i * step + step * 0.15)
        w = int(step * 0.7)
        shade = rng.randint(150, 200)
        # upper tooth: crown at the middle line, root upwards; lower tooth the other way
        draw.rounded_rectangle((x, height // 2 - 48, x + w, height // 2 - 4), radius=8, fill=shade)
        draw.polygon(
            [(x + 4, height // 2 - 44), (x + w - 4, height // 2 - 44), (x + w // 2, 8)],
            fill=shade - 40,
        )
        draw.rounded_rectangle((x, height // 2 + 4, x + w, height // 2 + 48), radius=8, fill=shade)
        draw.polygon(
            [(x + 4, height // 2 + 44), (x + w - 4, height // 2 + 44), (x + w // 2, height - 8)],
            fill=shade - 40,
        )
        if rng.random() < 0.3:
            fx = x + rng.randint(4, max(5, w - 20))
            draw.rectangle((fx, height // 2 - 30, fx + 14, height // 2 - 16), fill=250)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _perio_sites(rng: random.Random, *, missing: set[int], severity: float) -> dict:
    """Depths per site: deeper at the molars and interproximal sites, worse with
    ``severity`` (0 healthy … 1 advanced periodontitis); bleeding follows depth."""
    sites = {}
    for tooth in teeth.ADULT_TEETH:
        if tooth in missing or tooth % 10 == 8:
            continue
        molar = tooth % 10 >= 6
        for site in teeth.PERIO_SITES:
            base = 2 + (1 if site != "B" and site != "L" else 0)
            extra = severity * (3 if molar else 1.5) + rng.choice((0, 0, 0, 1, -1))
            depth = max(1, min(12, round(base + extra)))
            bleeding = depth >= 4 and rng.random() < 0.4 + severity / 2
            recession = 1 if severity > 0.5 and rng.random() < 0.3 else None
            sites[(tooth, site)] = {"depth": depth, "bleeding": bleeding, "recession": recession}
    return sites


def _visit(client, item: str):
    from visits.models import Visit

    return (
        Visit.objects.filter(client=client, treatment_items__contains=[item])
        .order_by("-visited_on")
        .first()
    )


def seed_demo_records(tenant, clients, staff_by_email, today: dt.date) -> None:
    """The dental demo's records for its clients (see the module docstring)."""
    if len(clients) < 7 or not staff_by_email:
        return
    exists = (
        ToothEntry.objects.exists()
        or PerioExam.objects.exists()
        or CleaningRecord.objects.exists()
        or TreatmentPlan.objects.exists()
        or OralHealthRecord.objects.exists()
        or XRay.objects.exists()
    )
    if exists:
        return
    dentist = _dentist(staff_by_email)

    # The tooth charts, with their history.
    charts = {0: FULL_CHART, **OTHER_CHARTS}
    for index, lines in charts.items():
        client = clients[index]
        for tooth, surfaces, condition, status, days, note in lines:
            services.tooth_entry_add(
                client=client,
                actor=dentist,
                tooth=tooth,
                surfaces=list(surfaces),
                condition=condition,
                status=status,
                note=note,
                recorded_at=_at(today, days),
            )

    for index, (days, history, findings, perio) in ORAL.items():
        services.oral_record_save(
            client=clients[index],
            actor=dentist,
            values={
                "examined_on": today - dt.timedelta(days=days),
                "medical_history": history,
                "findings": findings,
                "periodontal_status": perio,
            },
        )

    # Two periodontal exams of the periodontitis patient: the baseline and the re-exam
    # after root surface debridement, to compare.
    rng = random.Random(2026)  # noqa: S311 (demo figures, repeatable)
    missing = {17, 27}
    for days, severity, note in (
        (180, 0.8, "Baseline charting before root surface debridement."),
        (14, 0.2, "Re-evaluation after debridement and three months of maintenance."),
    ):
        services.perio_exam_create(
            client=clients[5],
            actor=dentist,
            examined_on=today - dt.timedelta(days=days),
            sites=_perio_sites(rng, missing=missing, severity=severity),
            teeth_findings={31: {"mobility": 3 if severity > 0.5 else 2}, 16: {"furcation": 1}},
            note=note,
        )
    services.perio_exam_create(
        client=clients[0],
        actor=dentist,
        examined_on=today - dt.timedelta(days=120),
        sites=_perio_sites(rng, missing={18, 28, 38, 48, 36}, severity=0.1),
        note="Screening: gingivitis only.",
    )

    for index, days, tools, steps, effect, feedback, special in CLEANINGS:
        client = clients[index]
        visit = _visit(client, "Scale and polish") if index == 0 else None
        services.cleaning_save(
            client=client,
            actor=dentist,
            visit=visit,
            values={
                "performed_on": visit.visited_on if visit else today - dt.timedelta(days=days),
                "steriliser_batch": f"B{(today - dt.timedelta(days=days)):%y%m%d}-{index + 1}",
                "steriliser_cycle": "134 °C / 4 min, indicator passed",
                "preparation": "Instruments autoclaved (sealed pouches opened in front of the "
                "client); chair and lamp disinfected; pre-procedural chlorhexidine rinse.",
                "tools": tools,
                "procedure_steps": steps,
                "effect_evaluation": effect,
                "client_feedback": feedback,
                "special_situations": special,
                "other_notes": "Oral hygiene advice: interdental brushes, twice-daily brushing.",
            },
        )

    for index, days, kind, tooth_numbers, note in (
        (0, 120, "bitewing", [45, 46, 47, 15, 16, 17], "Caries 45 D and 47 OD."),
        (0, 400, "panoramic", [], "Full dentition; implant 46 well integrated."),
        (1, 60, "bitewing", [46, 36], "Caries 46 MO."),
        (2, 200, "periapical", [46], "Periapical radiolucency 46 mesial root."),
        (2, 14, "periapical", [46], "Root filling dense, to the apex."),
        (5, 180, "panoramic", [], "Horizontal bone loss, generalised, up to 50 % at 31."),
    ):
        data = xray_png(kind, seed=index * 1000 + days)
        services.xray_add(
            client=clients[index],
            actor=dentist,
            upload=SimpleUploadedFile(f"{kind}-{index}-{days}.png", data, "image/png"),
            values={
                "taken_on": today - dt.timedelta(days=days),
                "kind": kind,
                "teeth": tooth_numbers,
                "note": note,
            },
        )

    plans = (
        (
            0,
            "Restorative plan 2026",
            "Treat the open caries first, then replace 44 with an implant.",
            (
                (47, "Composite filling OD", 1, "done", "1200.00"),
                (45, "Composite filling D", 1, "accepted", "1200.00"),
                (34, "Glass ionomer, cervical", 1, "proposed", "800.00"),
                (44, "Extraction", 2, "accepted", "900.00"),
                (44, "Implant with crown", 3, "proposed", "18000.00"),
                (None, "Night guard (replacement)", 3, "declined", "2200.00"),
            ),
        ),
        (
            2,
            "Root canal and crown 46",
            "",
            (
                (46, "Root canal treatment", 1, "done", "6800.00"),
                (46, "Zirconia crown", 2, "done", "5200.00"),
                (37, "Composite filling O", 3, "proposed", "1200.00"),
            ),
        ),
        (
            5,
            "Periodontal therapy",
            "Non-surgical therapy, then three-monthly maintenance.",
            (
                (None, "Root surface debridement, four quadrants", 1, "done", "4800.00"),
                (31, "Extraction", 1, "in_progress", "900.00"),
                (None, "Periodontal maintenance (×4 per year)", 2, "accepted", "2600.00"),
            ),
        ),
    )
    for index, title, note, items in plans:
        plan = services.plan_create(client=clients[index], actor=dentist, title=title, note=note)
        for tooth, procedure, phase, status, cost in items:
            services.plan_item_add(
                plan=plan,
                actor=dentist,
                values={
                    "tooth": tooth,
                    "procedure": procedure,
                    "phase": phase,
                    "status": status,
                    "estimated_cost": Decimal(cost),
                },
            )
