"""The optical pages: they render for tenant C's clinical staff, are 404 where the
optical vertical is off and for another business's rows, refuse bad values beside the
field, keep front desk out of clinical pages, and run a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory
from verticals.optical import services
from verticals.optical.models import Dispensing, VisionExam

pytestmark = pytest.mark.django_db


def make_exam(client, actor, days_ago=1, **values):
    data = {
        "examined_on": timezone.localdate() - dt.timedelta(days=days_ago),
        "subj_od_sphere": D("-1.25"),
        "subj_od_cylinder": D("-0.50"),
        "subj_od_axis": 180,
        "subj_os_sphere": D("-1.00"),
        "axial_od": D("24.20"),
        "ua_od": D("0.30"),
        **values,
    }
    return services.exam_save(client=client, actor=actor, values=data)


def make_dispensing(client, actor, exam, **values):
    data = {
        "dispensed_on": timezone.localdate(),
        "lens_type": "contact_lens",
        "cl_base_curve": D("8.6"),
        "cl_diameter": D("14.2"),
        "price": D("560"),
        **values,
    }
    return services.dispensing_create(client=client, actor=actor, values=data, exam=exam)


@pytest.fixture
def file_c(optical):
    """A client of tenant C with three exams and a contact-lens dispensing."""
    actor = staff_member(optical.tenant, optical.practitioner)
    with tenant_context(optical.tenant):
        client = ClientFactory(name="刘子轩", mobile="+8613812340004")
        exams = [
            make_exam(client, actor, 400, subj_od_sphere=D("-0.75")),
            make_exam(client, actor, 200, subj_od_sphere=D("-1.00")),
            make_exam(client, actor, 5, diagnosis="青少年近视"),
        ]
        dispensing = make_dispensing(client, actor, exams[-1])
    return client, exams, dispensing


def test_every_optical_page_renders_for_the_optometrist(practitioner_c, optical, file_c):
    client, exams, dispensing = file_c
    pages = [
        f"/clients/{client.pk}/optical_exams/",
        f"/clients/{client.pk}/optical_dispensing/",
        f"/clients/{client.pk}/optical_myopia/",
        f"/clients/{client.pk}/timeline/",
        f"/optical/client/{client.pk}/exam/new/",
        f"/optical/exam/{exams[-1].pk}/",
        f"/optical/exam/{exams[-1].pk}/edit/",
        f"/optical/client/{client.pk}/dispensing/new/",
        f"/optical/dispensing/{dispensing.pk}/",
        f"/optical/client/{client.pk}/spectacle-rx/",
        f"/optical/client/{client.pk}/contact-lens-rx/",
    ]
    for url in pages:
        response = practitioner_c.get(url)
        assert response.status_code == 200, url
        assert b"style=" not in response.content, url
    chart = practitioner_c.get(f"/clients/{client.pk}/optical_myopia/").content.decode()
    assert chart.count('class="se-line"') == 2 and '<svg viewBox="0 0 640 260"' in chart
    assert "-1.00 D" in chart and "-1.50 D" in chart  # OD SE points
    tab = practitioner_c.get(f"/clients/{client.pk}/optical_exams/").content.decode()
    assert "4.7" in tab  # logMAR 0.3 in the 5-point scale, the default notation
    assert "-1.25 / -0.50 × 180" in tab


def test_the_pdfs_answer_with_a_pdf(practitioner_c, file_c):
    client, _exams, dispensing = file_c
    for url in (
        f"/optical/client/{client.pk}/spectacle-rx/pdf/",
        f"/optical/client/{client.pk}/contact-lens-rx/pdf/?record={dispensing.pk}",
    ):
        response = practitioner_c.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")


def test_the_exam_form_shows_each_refusal_next_to_its_field(practitioner_c, optical, file_c):
    client, _exams, _d = file_c
    response = practitioner_c.get(f"/optical/client/{client.pk}/exam/new/")
    form = response.context["form"]
    post = {"examined_on": timezone.localdate().isoformat()}
    post.update(
        {
            "subj_od_sphere": "−30.10",
            "subj_od_cylinder": "-1.00",
            "subj_od_axis": "181",
            "subj_os_sphere": "-1.00",
            "subj_os_cylinder": "0.13",
            "subj_os_axis": "90",
        }
    )
    assert "subj_od_sphere" in form.fields
    response = practitioner_c.post(f"/optical/client/{client.pk}/exam/new/", post)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "−30.00" in errors["subj_od_sphere"][0]
    assert "1 to 180" in errors["subj_od_axis"][0]
    assert "0.25" in errors["subj_os_cylinder"][0]
    html = response.content.decode()
    assert 'id="id_subj_od_axis_errors"' in html and 'id="id_subj_os_cylinder_errors"' in html
    with tenant_context(optical.tenant):
        assert VisionExam.objects.filter(client_id=client.pk).count() == 3
    response = practitioner_c.post(
        f"/optical/client/{client.pk}/exam/new/", dict(post, subj_od_sphere="-1", ua_od="6/0")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "4.7" in errors["ua_od"][0]  # an example in the 5-point scale
    assert "0.25" in errors["subj_os_cylinder"][0]  # shown with it, not after it


def test_the_exam_form_saves_in_the_tenants_notation(owner_c, practitioner_c, optical, file_c):
    client, _exams, _d = file_c
    assert owner_c.post("/optical/settings/", {"acuity_notation": "snellen_m"}).status_code == 302
    post = {
        "examined_on": timezone.localdate().isoformat(),
        "ua_od": "6/12",
        "ca_od": "6/6",
        "subj_od_sphere": "-2.00",
        "subj_od_cylinder": "-0.75",
        "subj_od_axis": "175",
    }
    response = practitioner_c.post(f"/optical/client/{client.pk}/exam/new/", post)
    assert response.status_code == 302
    with tenant_context(optical.tenant):
        saved = VisionExam.objects.filter(client_id=client.pk).order_by("-id").first()
        assert (saved.ua_od, saved.ca_od) == (D("0.30"), D("0.00"))
    page = practitioner_c.get(f"/optical/exam/{saved.pk}/").content.decode()
    assert "6/12" in page and "6/6" in page


def test_the_settings_page_is_the_owners(owner_c, practitioner_c):
    assert owner_c.get("/optical/settings/").status_code == 200
    assert practitioner_c.get("/optical/settings/").status_code == 403
    response = owner_c.post("/optical/settings/", {"acuity_notation": "roman"})
    assert response.status_code == 400


def test_the_lab_order_moves_forward_from_the_page(practitioner_c, optical, file_c):
    client, _exams, dispensing = file_c
    url = f"/optical/dispensing/{dispensing.pk}/status/"
    assert practitioner_c.post(url, {"status": "at_lab"}).status_code == 302
    assert practitioner_c.post(url, {"status": "ordered"}).status_code == 302
    with tenant_context(optical.tenant):
        dispensing.refresh_from_db()
        assert dispensing.status == "at_lab" and dispensing.at_lab_at is not None
    page = practitioner_c.get(f"/optical/dispensing/{dispensing.pk}/").content.decode()
    assert 'value="ready"' in page


def test_a_dispensing_is_recorded_from_the_form(practitioner_c, optical, file_c):
    client, exams, _d = file_c
    post = {
        "exam": str(exams[-1].pk),
        "dispensed_on": timezone.localdate().isoformat(),
        "lens_type": "myopia_control",
        "frame": "TR90",
        "coatings": ["anti_reflective", "uv"],
        "price": "2680.00",
    }
    response = practitioner_c.post(f"/optical/client/{client.pk}/dispensing/new/", post)
    assert response.status_code == 302
    with tenant_context(optical.tenant):
        saved = Dispensing.objects.filter(client_id=client.pk).order_by("-id").first()
        assert saved.lens_type == "myopia_control" and saved.exam_id == exams[-1].pk
        assert saved.coatings == ["anti_reflective", "uv"] and saved.price == D("2680.00")
    bad = dict(post, lens_type="contact_lens", cl_base_curve="12")
    response = practitioner_c.post(f"/optical/client/{client.pk}/dispensing/new/", bad)
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"cl_base_curve", "cl_diameter"}


def test_the_visit_record_opens_the_exam_of_that_visit(practitioner_c, optical, file_c):
    from tests.factories import VisitFactory

    client, _exams, _d = file_c
    with tenant_context(optical.tenant):
        visit = VisitFactory(client=client)
    url = f"/optical/visit/{visit.pk}/"
    response = practitioner_c.get(url)
    assert response.status_code == 200
    assert response.context["form"].initial["examined_on"] == visit.visited_on
    post = {"examined_on": visit.visited_on.isoformat(), "subj_od_sphere": "-1.50"}
    assert practitioner_c.post(url, post).status_code == 302
    with tenant_context(optical.tenant):
        saved = VisionExam.objects.get(visit=visit)
    assert practitioner_c.get(url).context["exam"].pk == saved.pk


def test_optical_pages_are_404_where_optical_is_off_and_open_when_turned_on(cast, owner_a):
    from tenants.models import Tenant

    actor = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        client = ClientFactory(name="Wendy Wang")
        exam = make_exam(client, actor)
    urls = [
        f"/optical/exam/{exam.pk}/",
        f"/optical/client/{client.pk}/exam/new/",
        "/optical/settings/",
    ]
    for url in urls:
        assert owner_a.get(url).status_code == 404, url
    # the profile offers no optical tab (the core answers the tab's own URL, not 200)
    assert b"optical_exams" not in owner_a.get(f"/clients/{client.pk}/").content
    assert owner_a.get(f"/clients/{client.pk}/optical_exams/").status_code in (403, 404)
    owner_b = signed_in(cast.tenant_b, cast.host_b, cast.owner_b)
    assert owner_b.get("/optical/settings/").status_code == 404
    Tenant.objects.filter(pk=cast.tenant_a.pk).update(extra_verticals=["optical"])
    for url in [*urls, f"/clients/{client.pk}/optical_exams/"]:
        assert owner_a.get(url).status_code == 200, url


def test_another_businesss_rows_are_404(twins, practitioner_c, cast):
    def make(tenant):
        actor = staff_member(tenant, cast.owner_a if tenant == cast.tenant_a else cast.owner_b)
        client = ClientFactory(name="Twin")
        return make_exam(client, actor)

    exam_a, _exam_b = twins(VisionExam, make)

    def make_d(tenant):
        actor = staff_member(tenant, cast.owner_a if tenant == cast.tenant_a else cast.owner_b)
        return make_dispensing(ClientFactory(name="Twin"), actor, None)

    d_a, _d_b = twins(Dispensing, make_d)
    for url in (
        f"/optical/exam/{exam_a.pk}/",
        f"/optical/exam/{exam_a.pk}/edit/",
        f"/optical/dispensing/{d_a.pk}/",
        f"/optical/client/{exam_a.client_id}/spectacle-rx/",
    ):
        assert practitioner_c.get(url).status_code == 404, url
    assert (
        practitioner_c.post(
            f"/optical/dispensing/{d_a.pk}/status/", {"status": "ready"}
        ).status_code
        == 404
    )


def test_front_desk_gets_no_clinical_page(optical, file_c):
    from accounts.services import staff_create

    client, exams, dispensing = file_c
    with tenant_context(optical.tenant):
        staff_create(
            full_name="Dora Desk",
            email="desk@gamma.test",
            password="Pass-word-2026!",
            roles=["front_desk"],
        )
    desk = signed_in(optical.tenant, optical.host, "desk@gamma.test")
    for url in (
        f"/optical/exam/{exams[0].pk}/",
        f"/optical/client/{client.pk}/exam/new/",
        f"/optical/dispensing/{dispensing.pk}/",
        f"/optical/client/{client.pk}/spectacle-rx/",
        f"/optical/client/{client.pk}/contact-lens-rx/pdf/",
    ):
        assert desk.get(url).status_code == 403, url
    profile = desk.get(f"/clients/{client.pk}/")
    assert profile.status_code == 200
    assert b"optical_exams" not in profile.content
    assert desk.get(f"/clients/{client.pk}/optical_myopia/").status_code in (403, 404)


@pytest.mark.parametrize("tab", ["optical_exams", "optical_dispensing", "optical_myopia"])
def test_the_tabs_run_a_bounded_number_of_queries(
    practitioner_c, optical, file_c, tab, django_assert_max_num_queries
):
    client, exams, _d = file_c
    actor = staff_member(optical.tenant, optical.practitioner)
    with tenant_context(optical.tenant):
        for days in range(10, 30):
            rx = make_exam(client, actor, 400 + days * 10)
            make_dispensing(client, actor, rx)
    practitioner_c.get(f"/clients/{client.pk}/{tab}/")  # session, audit window
    with django_assert_max_num_queries(25):
        assert practitioner_c.get(f"/clients/{client.pk}/{tab}/").status_code == 200


def test_the_dashboard_lists_open_lab_orders_ready_first(practitioner_c, optical, file_c):
    client, exams, dispensing = file_c
    actor = staff_member(optical.tenant, optical.practitioner)
    with tenant_context(optical.tenant):
        ready = make_dispensing(client, actor, exams[0], lens_product="Ready lens")
        for step in ("at_lab", "ready"):
            services.dispensing_advance(dispensing=ready, status=step, actor=actor)
        done = make_dispensing(client, actor, exams[0], lens_product="Done lens")
        for step in ("at_lab", "ready", "collected"):
            services.dispensing_advance(dispensing=done, status=step, actor=actor)
    page = practitioner_c.get("/").content.decode()
    assert "Lab orders" in page and "1 ready for collection" in page
    assert page.index(f"/optical/dispensing/{ready.pk}/") < page.index(
        f"/optical/dispensing/{dispensing.pk}/"
    )
    assert f"/optical/dispensing/{done.pk}/" not in page


@pytest.mark.parametrize("page", ["edit", "dispensing", "visit"])
def test_the_forms_that_show_an_exam_record_the_look_at_health_data(
    practitioner_c, optical, file_c, page
):
    """The exam's edit form, the dispensing form (its list of prescriptions) and the
    visit record show clinical data as the exam page does: each is an audited look."""
    from audit.models import Action, AuditEntry
    from tests.factories import VisitFactory

    client, exams, _dispensing = file_c
    if page == "edit":
        url = f"/optical/exam/{exams[-1].pk}/edit/"
    elif page == "dispensing":
        url = f"/optical/client/{client.pk}/dispensing/new/"
    else:
        with tenant_context(optical.tenant):
            visit = VisitFactory(client=client)
        url = f"/optical/visit/{visit.pk}/"
    assert practitioner_c.get(url).status_code == 200
    with tenant_context(optical.tenant):
        looks = AuditEntry.objects.filter(client_id=client.pk, action=Action.VIEW_HEALTH)
        assert looks.exists()


def test_a_prescription_with_nothing_to_print_says_so_on_the_tab(practitioner_c, optical):
    """The profile lists both prescriptions for every client: one with nothing to print
    yet is sent to its tab with a note, not to a 404."""
    with tenant_context(optical.tenant):
        client = ClientFactory(name="新客户")
    for url, tab, note in (
        ("spectacle-rx", "optical_exams", "No prescription to print yet"),
        ("contact-lens-rx", "optical_dispensing", "No contact lens dispensed yet."),
    ):
        answer = practitioner_c.get(f"/optical/client/{client.pk}/{url}/")
        assert answer.status_code == 302, url
        assert answer["Location"] == f"/clients/{client.pk}/{tab}/"
        assert note in practitioner_c.get(answer["Location"]).content.decode()
        assert (
            practitioner_c.get(f"/optical/client/{client.pk}/{url}/?record=9999").status_code == 404
        )
