"""Optical records: refraction limits and steps, acuity notations, the myopia chart's
data, the lab order, the prescription PDFs, the client file's export and erasure, and the
demo records."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.conftest import staff_member
from tests.factories import ClientFactory
from verticals.optical import acuity, chart, services
from verticals.optical.models import Dispensing, LabStatus, Notation, VisionExam

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(optical):
    """Tenant C's schema in use, with its optometrist and a client."""
    optometrist = staff_member(optical.tenant, optical.practitioner)
    with tenant_context(optical.tenant):
        client = ClientFactory(name="刘子轩", mobile="+8613812340004")
        yield optometrist, client


def exam(client, actor, on=None, **values):
    data = {"examined_on": on or timezone.localdate() - dt.timedelta(days=1), **values}
    return services.exam_save(client=client, actor=actor, values=data)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# ---------- refraction limits ----------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subj_od_sphere", D("-30.10"), "between −30.00 and +30.00"),
        ("subj_od_cylinder", D("0.13"), "steps of 0.25"),
        ("subj_os_sphere", D("30.25"), "between −30.00 and +30.00"),
    ],
)
def test_out_of_range_or_off_step_powers_are_refused_on_their_field(shop, field, value, message):
    actor, client = shop
    values = {
        "subj_od_sphere": D("-1"),
        "subj_od_axis": 90,
        "subj_os_sphere": D("-1"),
        field: value,
    }
    with pytest.raises(ValidationError) as excinfo:
        exam(client, actor, **values)
    errors = errors_of(excinfo)
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert not VisionExam.objects.filter(client=client).exists()


def test_axis_181_is_refused_and_a_cylinder_needs_its_axis(shop):
    actor, client = shop
    with pytest.raises(ValidationError) as excinfo:
        exam(client, actor, subj_od_sphere=D("-1"), subj_od_cylinder=D("-0.5"), subj_od_axis=181)
    assert errors_of(excinfo) == {
        "subj_od_axis": ["The axis is a whole number of degrees from 1 to 180."]
    }
    with pytest.raises(ValidationError) as excinfo:
        exam(client, actor, subj_od_sphere=D("-1"), subj_od_cylinder=D("-0.5"))
    assert errors_of(excinfo) == {"subj_od_axis": ["A cylinder needs its axis (1 to 180)."]}

    saved = exam(
        client, actor, subj_od_sphere=D("-1"), subj_od_cylinder=D("-0.5"), subj_od_axis=180
    )
    (row,) = saved.refractions.all()
    assert (row.sphere, row.cylinder, row.axis) == (D("-1.00"), D("-0.50"), 180)
    # Without a cylinder the axis means nothing and is not kept.
    plain = exam(client, actor, subj_os_sphere=D("-2"), subj_os_axis=90)
    (row,) = plain.refractions.all()
    assert (row.cylinder, row.axis) == (D("0"), None)


def test_the_refusals_are_translated(shop):
    from django.utils import translation

    actor, client = shop
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        exam(client, actor, subj_od_sphere=D("-30.10"), subj_od_cylinder=D("-1"), subj_od_axis=181)
    errors = errors_of(excinfo)
    assert "−30.00" in errors["subj_od_sphere"][0] and "球镜" in errors["subj_od_sphere"][0]
    assert "1" in errors["subj_od_axis"][0] and "轴位" in errors["subj_od_axis"][0]


def test_an_exam_keeps_everything_it_was_given(shop):
    actor, client = shop
    saved = exam(
        client,
        actor,
        ua_od=D("0.50"),
        ca_od=D("0.00"),
        pd_binocular=D("62"),
        iop_od=D("16"),
        iop_os=D("17"),
        iop_method="goldmann",
        iop_time=dt.time(9, 30),
        k1_od=D("43.25"),
        k1_axis_od=180,
        k2_od=D("44"),
        k2_axis_od=90,
        axial_od=D("24.31"),
        diagnosis="近视",
        advice="户外活动",
        next_recheck=timezone.localdate() + dt.timedelta(days=180),
        subj_od_sphere=D("-1.25"),
        subj_od_add=D("1.50"),
        subj_od_prism=D("1"),
        subj_od_prism_base="in",
        subj_od_pd=D("31"),
        obj_od_sphere=D("-1.50"),
    )
    saved.refresh_from_db()
    assert saved.iop_method == "goldmann" and saved.axial_od == D("24.31")
    assert saved.diagnosis == "近视"
    kinds = {(r.kind, r.eye): r for r in saved.refractions.all()}
    assert set(kinds) == {("subjective", "od"), ("objective", "od")}
    assert kinds[("subjective", "od")].prism_base == "in"
    assert kinds[("subjective", "od")].add == D("1.50")


def test_a_prism_needs_its_base_and_iop_needs_its_method(shop):
    actor, client = shop
    with pytest.raises(ValidationError) as excinfo:
        exam(client, actor, subj_od_sphere=D("0"), subj_od_prism=D("2"), iop_od=D("15"))
    assert set(errors_of(excinfo)) == {"subj_od_prism_base", "iop_method"}


# ---------- acuity notations ----------


@pytest.mark.parametrize("notation", Notation.values)
def test_every_acuity_written_in_a_notation_reads_back_as_the_same_logmar(notation):
    for hundredths in range(-30, 301):
        logmar = D(hundredths) / 100
        written = acuity.format_acuity(logmar, notation)
        assert acuity.parse_acuity(written, notation) == logmar, (notation, logmar, written)


@pytest.mark.parametrize(
    ("logmar", "decimal", "five", "metres", "feet"),
    [
        ("0.0", "1.0", "5.0", "6/6", "20/20"),
        ("0.3", "0.5", "4.7", "6/12", "20/40"),
        ("1.0", "0.1", "4.0", "6/60", "20/200"),
        ("-0.1", "1.2", "5.1", "6/4.8", "20/16"),
        ("0.2", "0.6", "4.8", "6/9.5", "20/32"),
    ],
)
def test_chart_lines_are_written_as_on_the_chart(logmar, decimal, five, metres, feet):
    value = D(logmar)
    assert acuity.format_acuity(value, Notation.DECIMAL) == decimal
    assert acuity.format_acuity(value, Notation.FIVE_POINT) == five
    assert acuity.format_acuity(value, Notation.SNELLEN_METRES) == metres
    assert acuity.format_acuity(value, Notation.SNELLEN_FEET) == feet
    # typed in one notation, shown in another
    assert acuity.parse_acuity(five, Notation.FIVE_POINT) == value.quantize(D("0.01"))
    assert acuity.parse_acuity(feet, Notation.DECIMAL) == value.quantize(D("0.01"))


def test_an_acuity_that_is_no_acuity_is_refused_with_an_example():
    with pytest.raises(ValueError, match="4.7"):
        acuity.parse_acuity("abc", Notation.FIVE_POINT)
    with pytest.raises(ValueError, match="outside"):
        acuity.parse_acuity("5.9", Notation.FIVE_POINT)
    with pytest.raises(ValueError, match="6/12"):
        acuity.parse_acuity("0.5", Notation.SNELLEN_METRES)
    assert acuity.parse_acuity("", Notation.DECIMAL) is None


@pytest.mark.parametrize("notation", list(Notation))
@pytest.mark.parametrize("text", ["NaN", "sNaN", "Infinity", "-inf", "6/inf"])
def test_an_acuity_that_is_not_a_finite_number_is_refused_not_a_500(notation, text):
    with pytest.raises(ValueError):
        acuity.parse_acuity(text, notation)


# ---------- the myopia chart ----------


def test_the_refraction_history_feeds_the_chart_in_date_order(shop):
    actor, client = shop
    today = timezone.localdate()
    # recorded out of order; the objective refraction stands in where no subjective one was
    exam(
        client,
        actor,
        today - dt.timedelta(days=10),
        subj_od_sphere=D("-2.50"),
        subj_od_cylinder=D("-0.50"),
        subj_od_axis=180,
        axial_od=D("24.80"),
    )
    exam(
        client,
        actor,
        today - dt.timedelta(days=400),
        subj_od_sphere=D("-0.75"),
        subj_od_cylinder=D("-0.50"),
        subj_od_axis=180,
        obj_od_sphere=D("-5"),
        axial_od=D("24.10"),
        subj_os_sphere=D("-1.00"),
    )
    exam(
        client, actor, today - dt.timedelta(days=200), obj_od_sphere=D("-1.75"), axial_os=D("24.4")
    )
    points = chart.history(client)
    right = [(p.on, p.se, p.axial) for p in points["od"]]
    assert right == [
        (today - dt.timedelta(days=400), D("-1.00"), D("24.10")),
        (today - dt.timedelta(days=200), D("-1.75"), None),
        (today - dt.timedelta(days=10), D("-2.75"), D("24.80")),
    ]
    left = [(p.on, p.se, p.axial) for p in points["os"]]
    assert left == [
        (today - dt.timedelta(days=400), D("-1.00"), None),
        (today - dt.timedelta(days=200), None, D("24.40")),
    ]
    od_chart = chart.charts(client)[0]
    assert od_chart.change_se == D("-1.75") and od_chart.change_axial == D("0.70")
    xs = [float(pair.split(",")[0]) for pair in od_chart.se_path.split()]
    ys = [float(pair.split(",")[1]) for pair in od_chart.se_path.split()]
    assert xs == sorted(xs) and len(xs) == 3
    assert ys == sorted(ys)  # more myopic is lower on the chart (larger y)


# ---------- dispensing and the lab order ----------


def dispense(client, actor, rx=None, **values):
    data = {
        "dispensed_on": timezone.localdate(),
        "lens_type": "myopia_control",
        "frame": "TR90 46□16",
        "price": D("2680.00"),
        "coatings": ["anti_reflective"],
        **values,
    }
    return services.dispensing_create(client=client, actor=actor, values=data, exam=rx)


def test_the_lab_order_only_moves_forward_and_each_step_is_stamped_and_audited(shop):
    from audit.models import AuditEntry

    actor, client = shop
    rx = exam(client, actor, subj_od_sphere=D("-1"))
    d = dispense(client, actor, rx)
    assert d.status == LabStatus.ORDERED and d.ordered_at
    services.dispensing_advance(dispensing=d, status="at_lab", actor=actor)
    services.dispensing_advance(dispensing=d, status="ready", actor=actor)
    with pytest.raises(ValidationError) as excinfo:
        services.dispensing_advance(dispensing=d, status="at_lab", actor=actor)
    assert "only moves forward" in excinfo.value.message_dict["status"][0]
    with pytest.raises(ValidationError):
        services.dispensing_advance(dispensing=d, status="ready", actor=actor)
    services.dispensing_advance(dispensing=d, status="collected", actor=actor)
    d.refresh_from_db()
    assert d.status == "collected"
    assert d.ordered_at <= d.at_lab_at <= d.ready_at <= d.collected_at
    steps = AuditEntry.objects.filter(
        object_type="optical_dispensing", object_id=str(d.pk), action="update"
    )
    assert steps.count() == 3


def test_a_contact_lens_needs_base_curve_and_diameter_and_glasses_a_frame(shop):
    actor, client = shop
    with pytest.raises(ValidationError) as excinfo:
        dispense(client, actor, lens_type="contact_lens", frame="")
    assert set(errors_of(excinfo)) == {"cl_base_curve", "cl_diameter"}
    with pytest.raises(ValidationError) as excinfo:
        dispense(
            client, actor, lens_type="contact_lens", cl_base_curve=D("12"), cl_diameter=D("14.2")
        )
    assert set(errors_of(excinfo)) == {"cl_base_curve"}
    with pytest.raises(ValidationError) as excinfo:
        dispense(
            client,
            actor,
            lens_type="contact_lens",
            cl_base_curve=D("8.6"),
            cl_diameter=D("14.2"),
            cl_power_od=D("-3.10"),
        )
    assert set(errors_of(excinfo)) == {"cl_power_od"}
    with pytest.raises(ValidationError) as excinfo:
        dispense(client, actor, frame="", price=D("-1"))
    assert set(errors_of(excinfo)) == {"frame", "price"}


def test_a_prescription_of_another_client_is_refused(shop):
    actor, client = shop
    other = ClientFactory(name="王芳")
    rx = exam(other, actor, subj_od_sphere=D("-1"))
    with pytest.raises(ValidationError) as excinfo:
        dispense(client, actor, rx)
    assert "exam" in errors_of(excinfo)


# ---------- PDFs ----------


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_spectacle_and_contact_lens_pdfs_hold_the_prescription(shop):
    from django.utils import translation

    from verticals.optical.pdf import contact_lens_pdf, spectacle_pdf

    actor, client = shop
    rx = exam(
        client,
        actor,
        pd_binocular=D("58"),
        subj_od_sphere=D("-2.75"),
        subj_od_cylinder=D("-0.50"),
        subj_od_axis=180,
        subj_os_sphere=D("-2.50"),
        subj_os_add=D("1.50"),
        advice="每天户外两小时",
    )
    with translation.override("zh-hans"):
        text = pdf_text(spectacle_pdf(rx))
    assert "刘子轩" in text and "每天户外两小时" in text
    assert "-2.75" in text and "-0.50" in text and "180" in text and "+1.50" in text
    assert "58.0 mm" in text
    assert "验光处方" in text or "眼镜处方" in text
    lens = dispense(
        client,
        actor,
        rx,
        lens_type="contact_lens",
        cl_base_curve=D("8.6"),
        cl_diameter=D("14.2"),
        cl_power_od=D("-2.50"),
        cl_power_os=D("-2.25"),
    )
    text = pdf_text(contact_lens_pdf(lens))
    assert "8.6 mm" in text and "14.2 mm" in text
    assert "R -2.50 · L -2.25" in text and "-2.75" in text


# ---------- the client file ----------


def test_export_and_erasure_reach_every_optical_record(shop):
    from privacy.export import client_export_data
    from privacy.services import client_erase

    actor, client = shop
    rx = exam(client, actor, subj_od_sphere=D("-1.25"), diagnosis="近视", advice="户外")
    dispense(client, actor, rx, note="家长陪同")
    data = client_export_data(client=client, user=actor)["optical"]
    (exported,) = data["vision_exams"]
    assert exported["diagnosis"] == "近视" and exported["refractions"][0]["sphere"] == "-1.25"
    assert data["dispensings"][0]["note"] == "家长陪同"
    assert data["dispensings"][0]["price"] == "2680.00"

    client_erase(client=client, actor=actor)
    rx.refresh_from_db()
    assert (rx.diagnosis, rx.advice) == ("", "")
    assert Dispensing.objects.get(client=client).note == ""
    assert rx.refractions.get().sphere == D("-1.25")  # the measurements stay, anonymous


def test_front_desk_export_holds_the_clinical_records_back(shop, optical):
    from accounts.services import staff_create
    from verticals.optical.client_file import optical_export

    actor, client = shop
    exam(client, actor, subj_od_sphere=D("-1"))
    desk = staff_create(
        full_name="Desk", email="desk@gamma.test", password="Pass-word-2026!", roles=["front_desk"]
    )
    data = optical_export(client, user=desk)
    assert data["exams"] == 1 and "vision_exams" not in data


def test_a_merge_moves_the_optical_records_to_the_kept_file(shop):
    from clients.merge import client_merge

    actor, client = shop
    twin = ClientFactory(name="刘子轩", mobile="+8613812340099")
    rx = exam(twin, actor, subj_od_sphere=D("-1"))
    dispense(twin, actor, rx)
    client_merge(kept=client, merged=twin, actor=actor)
    assert VisionExam.objects.get().client_id == client.pk
    assert Dispensing.objects.get().client_id == client.pk


# ---------- the demo ----------


def test_the_demo_records_show_a_child_with_three_years_of_myopia(shop):
    from verticals.optical.demo import seed_demo_records
    from verticals.registry import get

    actor, _client = shop
    business = get("optical").demo_businesses[0]
    clients = [
        ClientFactory(name=c.name, mobile=c.mobile, date_of_birth=dt.date.fromisoformat(c.born))
        for c in business.clients
    ]
    seed_demo_records(
        None, clients, {"optometrist@vision.example.com": actor}, timezone.localdate()
    )
    child = clients[3]
    assert child.name == "刘子轩"
    points = chart.history(child)["od"]
    assert len(points) == 7
    span = points[-1].on - points[0].on
    assert dt.timedelta(days=3 * 365 - 40) <= span <= dt.timedelta(days=3 * 365 + 10)
    assert points[0].se == D("-1.00") and points[-1].se == D("-3.00")
    ses = [p.se for p in points]
    assert ses == sorted(ses, reverse=True)
    axial = [p.axial for p in points]
    assert axial == sorted(axial) and axial[-1] > axial[0]
    assert Dispensing.objects.filter(client=child, lens_type="myopia_control").count() >= 1
    assert VisionExam.objects.exclude(client=child).count() >= 4
    assert Dispensing.objects.filter(lens_type="contact_lens").exists()


def test_the_vertical_declares_recall_visit_record_documents_and_tabs():
    from verticals.registry import get

    vertical = get("optical")
    assert vertical.recall_months == 12
    assert vertical.visit_record.url_name == "optical:visit_record"
    assert {d.key for d in vertical.documents} == {"spectacle_rx", "contact_lens_rx"}
    assert [t.key for t in vertical.tabs] == [
        "optical_exams",
        "optical_dispensing",
        "optical_myopia",
    ]
    assert vertical.seed_demo_records is not None


def test_the_latest_exams_recheck_date_is_when_the_client_is_due_back(shop):
    from scheduling.models import Recall

    actor, client = shop
    today = timezone.localdate()
    recheck = today + dt.timedelta(days=180)
    exam(client, actor, today - dt.timedelta(days=3), subj_od_sphere=D("-1"), next_recheck=recheck)
    (recall,) = Recall.objects.filter(client=client, status="due")
    assert recall.due_on == recheck and recall.service == services.recheck_service()
    assert recall.service.name == "Eye examination"
    # an older exam recorded late does not move it back
    exam(client, actor, today - dt.timedelta(days=400), next_recheck=today - dt.timedelta(days=200))
    recall.refresh_from_db()
    assert recall.due_on == recheck


def test_seed_demo_writes_the_vision_demos_records_once(cast, db):
    import io

    from django.core.management import call_command

    from tenants.models import Domain

    call_command("seed_demo", stdout=io.StringIO())
    vision = Domain.objects.get(domain="vision.localhost").tenant
    with tenant_context(vision):
        from clients.models import Client

        child = Client.objects.get(name="刘子轩")
        points = chart.history(child)["od"]
        assert [p.se for p in points][0] == D("-1.00") and points[-1].se == D("-3.00")
        counts = (VisionExam.objects.count(), Dispensing.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    with tenant_context(vision):
        assert (VisionExam.objects.count(), Dispensing.objects.count()) == counts


def test_glasses_ready_writes_the_clients_message_once_and_the_demo_writes_none(shop):
    from core.signals import muted
    from notifications.models import Kind, Message

    actor, client = shop
    rx = exam(client, actor, subj_od_sphere=D("-1"))
    d = dispense(client, actor, rx)
    services.dispensing_advance(dispensing=d, status="at_lab", actor=actor)
    assert not Message.objects.filter(kind=Kind.LAB_READY).exists()
    services.dispensing_advance(dispensing=d, status="ready", actor=actor)
    (ready,) = Message.objects.filter(kind=Kind.LAB_READY, client=client)
    assert ready.idempotency_key.startswith(f"lab-ready:{d.pk}:")
    quiet = dispense(client, actor, rx)
    with muted():
        services.dispensing_advance(dispensing=quiet, status="at_lab", actor=actor)
        services.dispensing_advance(dispensing=quiet, status="ready", actor=actor)
    assert Message.objects.filter(kind=Kind.LAB_READY).count() == 1
