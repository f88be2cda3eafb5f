"""Dental records: the tooth chart and the perio chart round-trip with their history,
out-of-range values are refused next to their field, cleaning records, treatment plan
totals and the items finance bills, X-rays checked by content, and export, erasure and
merge reach every dental record."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.conftest import staff_member
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def png(width=60, height=40) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 90).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def dentist(cast):
    return staff_member(cast.tenant_b, cast.owner_b)


@pytest.fixture
def patient(cast):
    with tenant_context(cast.tenant_b):
        return ClientFactory(name="Chan Tai Man")


# ---------- tooth chart ----------


def test_the_tooth_chart_round_trips_with_its_history(cast, dentist, patient):
    from verticals.dental import chart, services
    from verticals.dental.models import ToothEntry

    with tenant_context(cast.tenant_b):
        # given: caries on 36, later filled; a crown and a root canal on 11; 48 missing
        t0 = timezone.now() - dt.timedelta(days=90)
        add = services.tooth_entry_add
        caries = add(
            client=patient,
            actor=dentist,
            tooth=36,
            surfaces=["O", "M"],
            condition="caries",
            recorded_at=t0,
        )
        add(
            client=patient,
            actor=dentist,
            tooth=36,
            surfaces=["O"],
            condition="filling",
            status="done",
            recorded_at=t0 + dt.timedelta(days=30),
        )
        add(client=patient, actor=dentist, tooth=11, condition="crown", recorded_at=t0)
        add(client=patient, actor=dentist, tooth=11, condition="root_canal", recorded_at=t0)
        add(client=patient, actor=dentist, tooth=48, condition="missing", recorded_at=t0)
        add(
            client=patient,
            actor=dentist,
            tooth=11,
            condition="root_canal",
            status="resolved",
            recorded_at=t0 + dt.timedelta(days=40),
        )

        # when: the chart is read back
        entries = chart.client_entries(patient)
        state = chart.derive(entries)

    # then: the current chart is what the history adds up to …
    assert sorted(state) == [11, 36, 48]
    assert {s: e.condition for s, e in state[36].surfaces.items()} == {
        "M": "caries",
        "O": "filling",
    }
    assert list(state[11].whole) == ["crown"]
    assert list(state[48].whole) == ["missing"]
    # … and nothing was overwritten: every line is kept, in order, the first one intact
    assert len(entries) == 6
    assert [(e.tooth, e.condition, e.status) for e in entries] == [
        (36, "caries", "existing"),
        (11, "crown", "existing"),
        (11, "root_canal", "existing"),
        (48, "missing", "existing"),
        (36, "filling", "done"),
        (11, "root_canal", "resolved"),
    ]
    with tenant_context(cast.tenant_b):
        first = ToothEntry.objects.get(pk=caries.pk)
    assert (first.surfaces, first.condition, first.status) == (["M", "O"], "caries", "existing")


def test_the_chart_page_adds_an_entry_and_shows_it_on_the_chart_and_in_the_history(
    cast, owner_b, patient
):
    from verticals.dental.models import ToothEntry

    url = reverse("dental:tooth_entry", args=[patient.pk])
    tab = reverse("clients:detail_tab", args=[patient.pk, "dental_chart"])
    response = owner_b.post(
        url,
        {
            "tooth": "26",
            "surfaces": ["O", "D"],
            "condition": "caries",
            "status": "existing",
            "note": "Deep distal lesion",
            "next": tab,
        },
    )
    assert response.status_code == 302 and response["Location"] == tab
    with tenant_context(cast.tenant_b):
        entry = ToothEntry.objects.get(client=patient)
    assert (entry.tooth, entry.surfaces, entry.condition) == (26, ["O", "D"], "caries")
    assert entry.recorded_by.email == cast.owner_b
    page = owner_b.get(tab).content.decode()
    assert 'data-tooth="26"' in page and "Deep distal lesion" in page
    assert "26 occlusal: Caries (Existing)" in page  # the surface's title on the drawing


def test_a_tooth_that_is_not_an_fdi_number_or_a_whole_tooth_condition_on_surfaces_is_refused(
    cast, owner_b, patient
):
    from verticals.dental.models import ToothEntry

    url = reverse("dental:tooth_entry", args=[patient.pk])
    response = owner_b.post(url, {"tooth": "19", "condition": "caries", "status": "existing"})
    assert response.status_code == 400
    assert response.context["form"].errors["tooth"]
    response = owner_b.post(
        url, {"tooth": "16", "surfaces": ["O"], "condition": "crown", "status": "existing"}
    )
    assert response.status_code == 400
    assert "concerns the whole tooth" in response.context["form"].errors["surfaces"][0]
    assert 'id="id_surfaces_errors"' in response.content.decode()
    with tenant_context(cast.tenant_b):
        assert not ToothEntry.objects.filter(client=patient).exists()


# ---------- periodontal chart ----------


def _sites(depths: dict) -> dict:
    return {
        key: {"depth": d, "bleeding": d >= 4, "recession": 1 if d >= 5 else None}
        for key, d in depths.items()
    }


def test_the_perio_chart_round_trips_and_two_exams_compare(cast, dentist, patient):
    from verticals.dental import selectors, services

    today = timezone.localdate()
    with tenant_context(cast.tenant_b):
        first = services.perio_exam_create(
            client=patient,
            actor=dentist,
            examined_on=today - dt.timedelta(days=90),
            sites=_sites({(16, "MB"): 6, (16, "B"): 3, (16, "DB"): 5, (31, "L"): 4}),
            teeth_findings={31: {"mobility": 2}, 16: {"furcation": 1}},
            note="Baseline",
        )
        second = services.perio_exam_create(
            client=patient,
            actor=dentist,
            examined_on=today,
            sites=_sites({(16, "MB"): 3, (16, "B"): 3, (16, "DB"): 6, (31, "L"): 3}),
        )
        grid = selectors.exam_grid(first)
        compare = selectors.perio_compare(first, second)

    teeth = {t["tooth"]: t for row in grid["rows"] for t in row}
    cells = {c["site"]: c for c in teeth[16]["sites"]}
    assert (cells["MB"]["depth"], cells["MB"]["bleeding"], cells["MB"]["recession"]) == (6, True, 1)
    assert (cells["B"]["depth"], cells["B"]["bleeding"]) == (3, False)
    assert cells["MB"]["class"] == "deep" and cells["DB"]["class"] == "pocket"
    assert teeth[31]["mobility"] == 2 and teeth[16]["furcation"] == 1
    assert not teeth[17]["probed"]
    # quadrant 1 shows the distal site first (mesial is towards the midline, on the right)
    assert [c["site"] for c in teeth[16]["buccal"]] == ["DB", "B", "MB"]
    assert [c["site"] for c in teeth[26]["buccal"]] == ["MB", "B", "DB"]
    assert grid["summary"] == {
        "sites": 4,
        "bleeding": 3,
        "bleeding_pct": 75,
        "pockets": 3,
        "deep": 1,
        "mean": 4.5,
    }

    changed = {
        t["tooth"]: {c["site"]: c for c in t["sites"]} for row in compare["rows"] for t in row
    }
    assert (changed[16]["MB"]["a"], changed[16]["MB"]["b"], changed[16]["MB"]["delta"]) == (
        6,
        3,
        -3,
    )
    assert changed[16]["MB"]["trend"] == "better"
    assert changed[16]["DB"]["trend"] == "slight" and changed[16]["B"]["trend"] == ""
    assert changed[31]["L"]["bleeding_a"] and not changed[31]["L"]["bleeding_b"]
    assert compare["summary_a"]["pockets"] == 3 and compare["summary_b"]["pockets"] == 1


def test_the_perio_entry_page_saves_an_exam_and_the_compare_page_shows_both(cast, owner_b, patient):
    from verticals.dental.models import PerioExam

    url = reverse("dental:perio_new", args=[patient.pk])
    today = timezone.localdate()
    for days, depth in ((60, "7"), (0, "4")):
        response = owner_b.post(
            url,
            {
                "examined_on": (today - dt.timedelta(days=days)).isoformat(),
                "depth_46_MB": depth,
                "bleeding_46_MB": "on",
                "recession_46_MB": "2",
                "depth_46_B": "3",
                "mobility_46": "1",
            },
        )
        assert response.status_code == 302
    with tenant_context(cast.tenant_b):
        exams = list(PerioExam.objects.filter(client=patient).order_by("examined_on"))
        site = exams[0].sites.get(tooth=46, site="MB")
    assert len(exams) == 2
    assert (site.depth, site.bleeding, site.recession) == (7, True, 2)
    page = owner_b.get(reverse("dental:perio", args=[exams[0].pk])).content.decode()
    assert '<span class="v deep" title="46 mesio-buccal">7</span>' in page
    compare = owner_b.get(
        reverse("dental:perio_compare", args=[patient.pk]),
        {"a": exams[0].pk, "b": exams[1].pk},
    )
    assert compare.status_code == 200
    assert compare.context["compare"]["summary_a"]["deep"] == 1
    assert 'class="cmp better"' in compare.content.decode()


def test_the_mean_depth_is_rounded_half_up_alike_on_the_exam_and_the_perio_tab(
    cast, dentist, patient, owner_b
):
    from verticals.dental import selectors, services

    # given an exam whose mean depth is exactly 2.25 mm
    with tenant_context(cast.tenant_b):
        exam = services.perio_exam_create(
            client=patient,
            actor=dentist,
            examined_on=timezone.localdate(),
            sites=_sites({(16, "MB"): 2, (16, "B"): 2, (16, "DB"): 2, (31, "L"): 3}),
        )
        summary = selectors.exam_grid(exam)["summary"]
    # when the exam and the client's perio tab show it
    tab = owner_b.get(f"/clients/{patient.pk}/dental_perio/", HTTP_HOST=cast.host_b)
    # then both say 2.3 mm
    assert str(summary["mean"]) == "2.3"
    assert "2.3 mm" in tab.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("depth_16_MB", "16", "Between 0 and 15."),
        ("recession_36_DL", "-1", "Between 0 and 15."),
        ("depth_21_B", "4.5", "Enter whole millimetres."),
        ("mobility_46", "4", "Between 0 and 3."),
    ],
)
def test_an_out_of_range_perio_value_is_refused_next_to_its_field(
    cast, owner_b, patient, field, value, message
):
    from verticals.dental.models import PerioExam

    response = owner_b.post(
        reverse("dental:perio_new", args=[patient.pk]),
        {"examined_on": timezone.localdate().isoformat(), "depth_11_MB": "3", field: value},
    )
    assert response.status_code == 400
    assert response.context["errors"][field] == [message]
    html = response.content.decode()
    # the value typed stays in its input, marked invalid, with the message in the same cell
    cell = html[html.index(f'name="{field}"') :]
    cell = cell[: cell.index("</td>")]
    assert f'value="{value}"' in cell and 'aria-invalid="true"' in cell and message in cell
    with tenant_context(cast.tenant_b):
        assert not PerioExam.objects.filter(client=patient).exists()


def test_a_perio_exam_without_any_depth_is_refused(cast, owner_b, patient):
    response = owner_b.post(
        reverse("dental:perio_new", args=[patient.pk]),
        {"examined_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 400
    assert "Enter at least one probing depth." in response.content.decode()


# ---------- cleaning records ----------


def test_a_cleaning_record_keeps_every_part_of_seed_001(cast, owner_b, patient):
    from verticals.dental.models import CleaningRecord

    values = {
        "performed_on": timezone.localdate().isoformat(),
        "steriliser_batch": "B-2026-118",
        "steriliser_cycle": "134 °C / 4 min",
        "preparation": "器械高压灭菌，开包核对",
        "tools": ["ultrasonic", "hand", "air_polishing"],
        "procedure_steps": "Supragingival scaling, then air polishing",
        "effect_evaluation": "牙石清除干净",
        "client_feedback": "Comfortable",
        "special_situations": "Gag reflex on the lower molars",
        "other_notes": "Interdental brushes advised",
    }
    url = reverse("dental:cleaning_new", args=[patient.pk])
    assert owner_b.post(url, values).status_code == 302
    with tenant_context(cast.tenant_b):
        record = CleaningRecord.objects.get(client=patient)
    assert record.tools == ["ultrasonic", "hand", "air_polishing"]
    assert record.preparation == "器械高压灭菌，开包核对"
    assert record.effect_evaluation == "牙石清除干净"
    assert record.steriliser_batch == "B-2026-118"
    assert record.special_situations == "Gag reflex on the lower molars"
    # stored encrypted: the column does not hold the text
    from django.db import connection

    with tenant_context(cast.tenant_b), connection.cursor() as cursor:
        cursor.execute("SELECT preparation FROM dental_cleaningrecord WHERE id = %s", [record.pk])
        assert "器械" not in cursor.fetchone()[0]
    # edited in place (the record is one per cleaning), and the edit form shows it
    edit = reverse("dental:cleaning_edit", args=[patient.pk, record.pk])
    assert "Gag reflex" in owner_b.get(edit).content.decode()
    owner_b.post(edit, {**values, "client_feedback": "Slightly sore"})
    with tenant_context(cast.tenant_b):
        record.refresh_from_db()
        assert CleaningRecord.objects.filter(client=patient).count() == 1
    assert record.client_feedback == "Slightly sore"


def test_a_cleaning_in_the_future_or_with_an_unknown_tool_is_refused(cast, owner_b, patient):
    url = reverse("dental:cleaning_new", args=[patient.pk])
    tomorrow = timezone.localdate() + dt.timedelta(days=2)
    response = owner_b.post(url, {"performed_on": tomorrow.isoformat(), "tools": ["ultrasonic"]})
    assert response.status_code == 400
    assert response.context["form"].errors["performed_on"] == ["This date is in the future."]
    response = owner_b.post(
        url, {"performed_on": timezone.localdate().isoformat(), "tools": ["laser"]}
    )
    assert response.status_code == 400 and "tools" in response.context["form"].errors


# ---------- treatment plans ----------


def test_plan_totals_and_the_items_finance_bills(cast, dentist, patient):
    from verticals.dental import services

    with tenant_context(cast.tenant_b):
        plan = services.plan_create(client=patient, actor=dentist, title="Plan 2026")
        add = services.plan_item_add
        rows = [
            (36, "Filling", 1, "done", "1200.00"),
            (46, "Crown", 2, "accepted", "5200.50"),
            (47, "Onlay", 2, "proposed", "3000"),
            (None, "Whitening", 3, "declined", "2980"),
            (11, "Veneer", 3, "in_progress", "4000"),
        ]
        items = [
            add(
                plan=plan,
                actor=dentist,
                values={"tooth": t, "procedure": p, "phase": ph, "status": s, "estimated_cost": c},
            )
            for t, p, ph, s, c in rows
        ]
        totals = services.plan_totals(plan.items.all())
        open_items = list(services.open_plan_items(patient))
        services.plan_item_billed(item=items[0], reference="INV-0042", actor=dentist)
        after = list(services.open_plan_items(patient))
        with pytest.raises(ValidationError):
            services.plan_item_delete(item=items[0], actor=dentist)
        with pytest.raises(ValidationError):
            services.plan_item_billed(item=items[2], reference="INV-0043", actor=dentist)

    assert totals["phases"] == [
        (1, Decimal("1200.00")),
        (2, Decimal("8200.50")),
        (3, Decimal("4000.00")),
    ]
    assert totals["total"] == Decimal("13400.50")
    assert totals["accepted"] == Decimal("10400.50")
    assert [i.procedure for i in open_items] == ["Filling", "Crown", "Veneer"]
    assert [i.procedure for i in after] == ["Crown", "Veneer"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("estimated_cost", "-5"), ("phase", "10"), ("tooth", "19"), ("estimated_cost", "1.005")],
)
def test_a_plan_item_out_of_range_is_refused_next_to_its_field(
    cast, owner_b, dentist, patient, field, value
):
    from verticals.dental import services

    with tenant_context(cast.tenant_b):
        plan = services.plan_create(client=patient, actor=dentist, title="Plan")
    values = {"procedure": "Filling", "phase": "1", "status": "proposed", "estimated_cost": "100"}
    response = owner_b.post(reverse("dental:plan", args=[plan.pk]), {**values, field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert f'id="id_{field}_errors"' in response.content.decode()


def test_the_plan_prints_and_downloads_as_a_pdf_with_its_totals(cast, owner_b, dentist, patient):
    from pypdf import PdfReader

    from verticals.dental import services

    with tenant_context(cast.tenant_b):
        plan = services.plan_create(client=patient, actor=dentist, title="Implant 46")
        services.plan_item_add(
            plan=plan,
            actor=dentist,
            values={
                "tooth": 46,
                "procedure": "种植体",
                "status": "accepted",
                "estimated_cost": "18000",
            },
        )
    page = owner_b.get(reverse("dental:plan_print", args=[patient.pk]), {"record": plan.pk})
    assert page.status_code == 200 and "18000.00" in page.content.decode()
    pdf = owner_b.get(reverse("dental:plan_pdf", args=[patient.pk]), {"record": plan.pk})
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Implant 46" in text and "种植体" in text and "18000.00 GBP" in text


# ---------- X-rays ----------


def test_an_xray_is_stored_through_the_file_store_and_a_renamed_non_image_is_refused(
    cast, storage, owner_b, patient
):
    from filestore.models import StoredFile

    from verticals.dental.models import XRay

    url = reverse("dental:xray_new", args=[patient.pk])
    fake = SimpleUploadedFile("bitewing.png", b"MZ\x90\x00 not an image at all", "image/png")
    response = owner_b.post(
        url,
        {"file": fake, "taken_on": timezone.localdate().isoformat(), "kind": "bitewing"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert 'id="id_file_errors"' in response.content.decode()
    with tenant_context(cast.tenant_b):
        assert not XRay.objects.exists() and not StoredFile.objects.exists()

    real = SimpleUploadedFile("bitewing.png", png(), "image/png")
    response = owner_b.post(
        url,
        {
            "file": real,
            "taken_on": timezone.localdate().isoformat(),
            "kind": "bitewing",
            "teeth": "36, 37 46",
        },
    )
    assert response.status_code == 302
    with tenant_context(cast.tenant_b):
        xray = XRay.objects.select_related("image").get(client=patient)
    assert xray.teeth == [36, 37, 46] and xray.image.purpose == "dental.xray"
    assert xray.image.capability == "clients.health"
    tab = owner_b.get(reverse("clients:detail_tab", args=[patient.pk, "dental_chart"]))
    assert xray.image.thumb_url in tab.content.decode()
    thumb = owner_b.get(xray.image.thumb_url)
    assert thumb.status_code == 200 and thumb["Content-Type"].startswith("image/")


def test_an_xray_naming_a_tooth_that_does_not_exist_is_refused(cast, storage, owner_b, patient):
    response = owner_b.post(
        reverse("dental:xray_new", args=[patient.pk]),
        {
            "file": SimpleUploadedFile("pa.png", png(), "image/png"),
            "taken_on": timezone.localdate().isoformat(),
            "kind": "periapical",
            "teeth": "36 99",
        },
    )
    assert response.status_code == 400
    assert "99 is not a tooth number" in response.context["form"].errors["teeth"][0]


# ---------- export, erasure, merge ----------


def _records(cast, dentist, client):
    from verticals.dental import services

    with tenant_context(cast.tenant_b):
        services.tooth_entry_add(
            client=client,
            actor=dentist,
            tooth=36,
            condition="caries",
            surfaces=["O"],
            note="secret tooth note",
        )
        services.oral_record_save(
            client=client,
            actor=dentist,
            values={"examined_on": timezone.localdate(), "findings": "secret findings"},
        )
        services.perio_exam_create(
            client=client,
            actor=dentist,
            examined_on=timezone.localdate(),
            sites={(16, "MB"): {"depth": 5}},
            note="secret perio note",
        )
        services.cleaning_save(
            client=client,
            actor=dentist,
            values={"performed_on": timezone.localdate(), "client_feedback": "secret feedback"},
        )
        plan = services.plan_create(client=client, actor=dentist, title="Plan", note="secret plan")
        services.plan_item_add(
            plan=plan,
            actor=dentist,
            values={"procedure": "Crown", "estimated_cost": "10", "note": "secret item"},
        )
        services.xray_add(
            client=client,
            actor=dentist,
            upload=SimpleUploadedFile("x.png", png(), "image/png"),
            values={"taken_on": timezone.localdate(), "kind": "panoramic", "note": "secret x"},
        )


def test_the_export_holds_every_dental_record_and_erasure_blanks_them(
    cast, storage, dentist, patient
):
    from filestore.models import StoredFile

    from privacy.export import client_export_data
    from privacy.services import client_erase
    from verticals.dental.models import CleaningRecord, OralHealthRecord, ToothEntry

    _records(cast, dentist, patient)
    with tenant_context(cast.tenant_b):
        data = client_export_data(client=patient, user=dentist)["dental"]
        client_erase(client=patient, actor=dentist)
        entry = ToothEntry.objects.get(client=patient)
        oral = OralHealthRecord.objects.get(client=patient)
        cleaning = CleaningRecord.objects.get(client=patient)
        image = StoredFile.objects.get(client=patient)
    assert data["tooth_chart_history"][0]["note"] == "secret tooth note"
    assert data["oral_health_records"][0]["findings"] == "secret findings"
    assert data["periodontal_exams"][0]["sites"][0]["depth"] == 5
    assert data["cleanings"][0]["client_feedback"] == "secret feedback"
    assert data["treatment_plans"][0]["items"][0]["note"] == "secret item"
    assert data["xrays"][0]["findings"] == "secret x"
    # the figures stay, anonymous with the file; the free text and the image go
    assert (entry.tooth, entry.condition, entry.note) == (36, "caries", "")
    assert oral.findings == "" and cleaning.client_feedback == ""
    assert image.erased_at is not None


def test_the_export_for_front_desk_holds_back_the_dental_records(cast, dentist, patient):
    from accounts.services import staff_create
    from privacy.export import client_export_data
    from verticals.dental import services

    with tenant_context(cast.tenant_b):
        services.tooth_entry_add(client=patient, actor=dentist, tooth=11, condition="crown")
        desk = staff_create(
            full_name="Desk B",
            email="desk@beta.test",
            password="Desk-Pass-2026-x",
            roles=["front_desk"],
        )
        data = client_export_data(client=patient, user=desk)["dental"]
    assert set(data) == {"held_back", "records"} and data["records"] == 1


def test_a_merge_moves_every_dental_record_to_the_kept_file(cast, storage, dentist, patient):
    from clients.merge import client_merge
    from verticals.dental.models import (
        CleaningRecord,
        OralHealthRecord,
        PerioExam,
        ToothEntry,
        TreatmentPlan,
        XRay,
    )

    with tenant_context(cast.tenant_b):
        kept = ClientFactory(name="Chan Tai-man")
    _records(cast, dentist, patient)
    with tenant_context(cast.tenant_b):
        client_merge(kept=kept, merged=patient, actor=dentist)
        for model in (ToothEntry, OralHealthRecord, PerioExam, CleaningRecord, TreatmentPlan, XRay):
            assert model.objects.filter(client=kept).count() == 1, model


# ---------- demo ----------


def test_the_demo_seeding_writes_a_full_chart_perio_exams_cleanings_xrays_and_plans_once(
    cast, storage, dentist
):
    from verticals.dental import chart, selectors
    from verticals.dental.demo import seed_demo_records
    from verticals.dental.models import CleaningRecord, PerioExam, ToothEntry, TreatmentPlan, XRay

    with tenant_context(cast.tenant_b):
        clients = [ClientFactory(name=f"Demo {n}") for n in range(8)]
        seed_demo_records(cast.tenant_b, clients, {cast.owner_b: dentist}, timezone.localdate())
        state = chart.derive(chart.client_entries(clients[0]))
        exams = list(PerioExam.objects.filter(client=clients[5]).order_by("examined_on"))
        compare = selectors.perio_compare(exams[0], exams[1])
        counts = [
            m.objects.count() for m in (ToothEntry, CleaningRecord, XRay, TreatmentPlan, PerioExam)
        ]
        seed_demo_records(cast.tenant_b, clients, {cast.owner_b: dentist}, timezone.localdate())
        again = [
            m.objects.count() for m in (ToothEntry, CleaningRecord, XRay, TreatmentPlan, PerioExam)
        ]
    # a full chart: every quadrant charted, history kept (more lines than teeth)
    assert {n // 10 for n in state} == {1, 2, 3, 4} and len(state) >= 30
    assert len(exams) == 2
    assert compare["summary_a"]["mean"] > compare["summary_b"]["mean"]  # the re-exam is better
    assert counts[1] >= 4 and counts[2] >= 5 and counts[3] == 3
    assert again == counts
