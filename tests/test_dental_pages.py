"""The dental pages: each renders for the dental practice (tenant B) with the demo's
records, is 404 where dental is off (the aesthetic clinic A, the optical shop C) until the
owner turns it on there, is refused to front desk, and never reaches another business's
rows (twins)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from tests.conftest import PASSWORD, signed_in, staff_member
from tests.factories import ClientFactory, VisitFactory

pytestmark = pytest.mark.django_db

DEMO_NAMES = (
    "Chan Tai Man 陳大文",
    "Wong Mei Ling 黃美玲",
    "Lee Ka Fai 李家輝",
    "Emily Wong",
    "Cheung Wing Yan 張詠欣",
    "Ho Chun Kit 何俊傑",
    "Lam Siu Wai 林小慧",
    "Tse Hoi Ming 謝凱明",
)


def seeded(tenant, email):
    """The demo's eight clients in ``tenant`` with the dental demo records."""
    from verticals.dental.demo import seed_demo_records

    with tenant_context(tenant):
        clients = [ClientFactory(name=name) for name in DEMO_NAMES]
        VisitFactory(client=clients[0], treatment_items=["Scale and polish"])
        user = staff_member(tenant, email)
        seed_demo_records(tenant, clients, {email: user}, dt.date.today())
    return clients


def pages(tenant, client):
    """Every dental page of ``client`` (and of its records) as (url, expected status)."""
    from verticals.dental.models import CleaningRecord, OralHealthRecord, PerioExam, TreatmentPlan

    with tenant_context(tenant):
        plan = TreatmentPlan.objects.filter(client=client).first()
        exam = PerioExam.objects.filter(client=client).first()
        oral = OralHealthRecord.objects.filter(client=client).first()
        cleaning = CleaningRecord.objects.filter(client=client).first()
        visit = VisitFactory(client=client)
        item = plan.items.first()
    c = client.pk
    return [
        reverse("clients:detail_tab", args=[c, "dental_chart"]),
        reverse("clients:detail_tab", args=[c, "dental_perio"]),
        reverse("clients:detail_tab", args=[c, "dental_plan"]),
        reverse("clients:detail_tab", args=[c, "timeline"]),
        reverse("dental:chart", args=[c]),
        reverse("dental:chart", args=[c]) + "?set=child",
        reverse("dental:oral_new", args=[c]),
        reverse("dental:oral_edit", args=[c, oral.pk]),
        reverse("dental:xray_new", args=[c]),
        reverse("dental:perio_new", args=[c]),
        reverse("dental:perio", args=[exam.pk]),
        reverse("dental:perio_compare", args=[c]),
        reverse("dental:perio_print", args=[c]),
        reverse("dental:cleaning_new", args=[c]),
        reverse("dental:cleaning_edit", args=[c, cleaning.pk]),
        reverse("dental:plan_new", args=[c]),
        reverse("dental:plan", args=[plan.pk]),
        reverse("dental:plan_item", args=[item.pk]),
        reverse("dental:plan_print", args=[c]),
        reverse("dental:plan_pdf", args=[c]),
        reverse("dental:visit_record", args=[visit.pk]),
    ]


def test_every_dental_page_renders_for_the_owner_of_the_dental_practice(cast, storage, owner_b):
    from accounts.services import staff_create

    clients = seeded(cast.tenant_b, cast.owner_b)
    with tenant_context(cast.tenant_b):
        staff_create(
            full_name="Dr. Daniel Lam",
            email="dentist@beta.test",
            password=PASSWORD,
            roles=["practitioner"],
        )
    dentist = signed_in(cast.tenant_b, cast.host_b, "dentist@beta.test")
    for url in pages(cast.tenant_b, clients[0]):
        for browser in (owner_b, dentist):
            response = browser.get(url)
            assert response.status_code == 200, url
    # the chart tab draws the full chart: 32 adult teeth, bars, crosses
    body = owner_b.get(reverse("clients:detail_tab", args=[clients[0].pk, "dental_chart"]))
    html = body.content.decode()
    assert html.count('<g class="tooth') == 32
    assert "dental/chart.js" in html and "dental/dental.css" in html
    assert "style=" not in html and "<script>" not in html


def test_a_practitioner_of_the_practice_records_a_visit_from_its_dental_record_page(cast, storage):
    from accounts.services import staff_create
    from verticals.dental.models import CleaningRecord, ToothEntry

    with tenant_context(cast.tenant_b):
        staff_create(
            full_name="Dr. Daniel Lam",
            email="dentist@beta.test",
            password=PASSWORD,
            roles=["practitioner"],
        )
        client = ClientFactory(name="Lee Ka Fai")
        visit = VisitFactory(client=client, treatment_items=["Scale and polish"])
    dentist = signed_in(cast.tenant_b, cast.host_b, "dentist@beta.test")
    page_url = reverse("dental:visit_record", args=[visit.pk])
    page = dentist.get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="visit" value="{visit.pk}"' in html and "Scale and polish" in html
    # the chart entry and the cleaning written from the page belong to the visit
    dentist.post(
        reverse("dental:tooth_entry", args=[client.pk]),
        {
            "tooth": "46",
            "condition": "root_canal",
            "status": "done",
            "visit": visit.pk,
            "next": page_url,
        },
    )
    response = dentist.post(
        reverse("dental:cleaning_new", args=[client.pk]),
        {
            "performed_on": visit.visited_on.isoformat(),
            "tools": ["ultrasonic"],
            "visit": visit.pk,
            "next": page_url,
        },
    )
    assert response.status_code == 302 and response["Location"] == page_url
    with tenant_context(cast.tenant_b):
        assert ToothEntry.objects.get(client=client).visit_id == visit.pk
        cleaning = CleaningRecord.objects.get(client=client)
    assert cleaning.visit_id == visit.pk
    again = dentist.get(page_url).content.decode()
    assert "Charted at this visit" in again
    # the page now edits that cleaning record rather than starting another
    assert reverse("dental:cleaning_edit", args=[client.pk, cleaning.pk]) in again


def test_the_chart_tab_runs_a_bounded_number_of_queries_however_long_the_history(
    cast, owner_b, django_assert_max_num_queries
):
    from verticals.dental import services

    with tenant_context(cast.tenant_b):
        client = ClientFactory(name="Long history")
        user = staff_member(cast.tenant_b, cast.owner_b)
        for n in range(60):
            services.tooth_entry_add(
                client=client,
                actor=user,
                tooth=[11, 16, 26, 36, 46][n % 5],
                surfaces=["O"],
                condition=["caries", "filling"][n % 2],
            )
    url = reverse("clients:detail_tab", args=[client.pk, "dental_chart"])
    owner_b.get(url)
    with django_assert_max_num_queries(30):
        response = owner_b.get(url)
    assert response.status_code == 200


def test_dental_pages_are_404_where_dental_is_off_until_the_owner_turns_it_on(
    cast, storage, owner_a, owner_c, optical
):
    from tenants.models import Tenant

    for tenant, browser in ((cast.tenant_a, owner_a), (optical.tenant, owner_c)):
        with tenant_context(tenant):
            client = ClientFactory(name="Someone")
        urls = [
            reverse("clients:detail_tab", args=[client.pk, "dental_chart"]),
            reverse("clients:detail_tab", args=[client.pk, "dental_perio"]),
            reverse("clients:detail_tab", args=[client.pk, "dental_plan"]),
            reverse("dental:chart", args=[client.pk]),
            reverse("dental:perio_new", args=[client.pk]),
            reverse("dental:cleaning_new", args=[client.pk]),
            reverse("dental:plan_new", args=[client.pk]),
        ]
        for url in urls:
            assert browser.get(url).status_code == 404, url
        profile = browser.get(reverse("clients:detail", args=[client.pk])).content.decode()
        assert "dental_chart" not in profile and "Dental chart" not in profile
        # the owner turns dental on: the same pages open, the tab is listed
        Tenant.objects.filter(pk=tenant.pk).update(extra_verticals=["dental"])
        for url in urls:
            assert browser.get(url).status_code == 200, url
        profile = browser.get(reverse("clients:detail", args=[client.pk])).content.decode()
        assert "Dental chart" in profile
        Tenant.objects.filter(pk=tenant.pk).update(extra_verticals=[])


def test_front_desk_is_refused_every_clinical_dental_page(cast, storage):
    from accounts.services import staff_create

    clients = seeded(cast.tenant_b, cast.owner_b)
    with tenant_context(cast.tenant_b):
        staff_create(
            full_name="Mandy Cheung",
            email="desk@beta.test",
            password=PASSWORD,
            roles=["front_desk"],
        )
    desk = signed_in(cast.tenant_b, cast.host_b, "desk@beta.test")
    for url in pages(cast.tenant_b, clients[0]):
        if "/timeline/" in url:
            continue
        assert desk.get(url).status_code in (403, 404), url
    assert (
        desk.post(
            reverse("dental:tooth_entry", args=[clients[0].pk]),
            {"tooth": "11", "condition": "caries", "status": "existing"},
        ).status_code
        == 403
    )
    profile = desk.get(reverse("clients:detail", args=[clients[0].pk])).content.decode()
    assert "Dental chart" not in profile


def test_a_dental_row_of_one_business_is_never_reached_from_another(cast, twins, owner_a, owner_b):
    from tenants.models import Tenant
    from verticals.dental import services
    from verticals.dental.models import PerioExam, TreatmentPlan

    Tenant.objects.filter(pk=cast.tenant_a.pk).update(extra_verticals=["dental"])

    def plan(tenant):
        client = ClientFactory(name=f"Plan client {tenant.schema_name}")
        user = staff_member(tenant, cast.owner_a if tenant == cast.tenant_a else cast.owner_b)
        return services.plan_create(client=client, actor=user, title=f"Plan of {tenant.name}")

    def exam(tenant):
        client = ClientFactory(name=f"Perio client {tenant.schema_name}")
        user = staff_member(tenant, cast.owner_a if tenant == cast.tenant_a else cast.owner_b)
        return services.perio_exam_create(
            client=client,
            actor=user,
            examined_on=dt.date.today(),
            sites={(11, "MB"): {"depth": 3}},
            note=f"Exam of {tenant.name}",
        )

    plan_a, plan_b = twins(TreatmentPlan, plan)
    exam_a, exam_b = twins(PerioExam, exam)
    # each business reaches its own row through the shared id, never the other's
    page_a = owner_a.get(reverse("dental:plan", args=[plan_a.pk])).content.decode()
    page_b = owner_b.get(reverse("dental:plan", args=[plan_b.pk])).content.decode()
    assert "Plan of Alpha Aesthetics" in page_a and "Beta Dental" not in page_a
    assert "Plan of Beta Dental" in page_b and "Alpha Aesthetics" not in page_b
    perio_a = owner_a.get(reverse("dental:perio", args=[exam_a.pk])).content.decode()
    assert "Exam of Alpha Aesthetics" in perio_a and "Exam of Beta Dental" not in perio_a
    # B's client, by its id, is not found on A's host (A has no client of that id)
    with tenant_context(cast.tenant_b):
        only_b = ClientFactory(name="Only in B")
    with tenant_context(cast.tenant_a):
        from clients.models import Client

        assert not Client.objects.filter(pk=only_b.pk).exists()
    for url in (
        reverse("dental:chart", args=[only_b.pk]),
        reverse("clients:detail_tab", args=[only_b.pk, "dental_chart"]),
        reverse("dental:plan_print", args=[only_b.pk]),
    ):
        assert owner_a.get(url).status_code == 404, url
    # a record of another client of the same business is 404 through the wrong client
    assert (
        owner_b.get(
            reverse("dental:perio_print", args=[only_b.pk]), {"record": exam_b.pk}
        ).status_code
        == 404
    )


def test_a_dental_tab_never_shows_in_the_optical_shop(cast, optical, owner_c):
    with tenant_context(optical.tenant):
        client = ClientFactory(name="Optical client")
    html = owner_c.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert "Dental chart" not in html and "Perio" not in html and "/dental/" not in html


def test_a_document_with_nothing_to_print_says_so_and_a_bad_record_is_404(cast, owner_b):
    with tenant_context(cast.tenant_b):
        client = ClientFactory(name="Nothing yet")
    for name, text in (
        ("dental:plan_print", "No treatment plan yet."),
        ("dental:perio_print", "No periodontal exam recorded yet."),
    ):
        url = reverse(name, args=[client.pk])
        response = owner_b.get(url)
        assert response.status_code == 200 and text in response.content.decode()
        assert owner_b.get(url, {"record": "abc"}).status_code == 404
        assert owner_b.get(url, {"record": "999999"}).status_code == 404
    assert owner_b.get(reverse("dental:plan_pdf", args=[client.pk])).status_code == 404


def test_a_child_with_only_milk_teeth_charted_gets_the_child_chart(cast, owner_b):
    from verticals.dental import services

    with tenant_context(cast.tenant_b):
        child = ClientFactory(name="Little Tse")
        user = staff_member(cast.tenant_b, cast.owner_b)
        services.tooth_entry_add(
            client=child, actor=user, tooth=54, surfaces=["O"], condition="caries"
        )
        services.tooth_entry_add(client=child, actor=user, tooth=85, condition="sealant")
    html = owner_b.get(reverse("dental:chart", args=[child.pk])).content.decode()
    assert html.count('<g class="tooth') == 20  # 5 teeth per quadrant
    assert 'data-tooth="54"' in html and 'data-tooth="16"' not in html
    adult = owner_b.get(reverse("dental:chart", args=[child.pk]), {"set": "adult"})
    assert adult.content.decode().count('<g class="tooth') == 32
