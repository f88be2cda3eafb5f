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
        reverse("dental:chart_history", args=[c]),
        reverse("dental:chart_history", args=[c]) + "?tooth=16&page=2",
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


# ---------- the visit record page's own forms ----------


def _visit_of_new_client(tenant, name="Lee Ka Fai"):
    with tenant_context(tenant):
        client = ClientFactory(name=name)
        visit = VisitFactory(client=client, treatment_items=["Scale and polish"])
    return client, visit


def test_a_refused_tooth_entry_from_the_visit_page_comes_back_to_it_with_the_error(cast, owner_b):
    from verticals.dental.models import ToothEntry

    client, visit = _visit_of_new_client(cast.tenant_b)
    page_url = reverse("dental:visit_record", args=[visit.pk])
    form = owner_b.get(page_url).content.decode()
    assert 'name="return_to" value="visit"' in form
    response = owner_b.post(
        reverse("dental:tooth_entry", args=[client.pk]),
        {
            "tooth": "16",
            "surfaces": ["O"],
            "condition": "crown",
            "status": "existing",
            "note": "Cracked cusp, watch it",
            "visit": visit.pk,
            "return_to": "visit",
        },
    )
    assert response.status_code == 400
    assert [t.name for t in response.templates][0] == "dental/visit_record.html"
    assert "concerns the whole tooth" in response.context["form"].errors["surfaces"][0]
    html = response.content.decode()
    assert "Dental record" in html and "Scale and polish" in html
    assert 'id="id_surfaces_errors"' in html  # the error beside its field
    assert "Cracked cusp, watch it" in html  # what was typed is kept
    assert 'value="16" selected' in html
    assert response.context["cleaning_form"] is not None  # the rest of the page is there
    with tenant_context(cast.tenant_b):
        assert not ToothEntry.objects.filter(client=client).exists()


def test_a_refused_cleaning_from_the_visit_page_comes_back_to_it_with_the_error(cast, owner_b):
    from verticals.dental.models import CleaningRecord

    client, visit = _visit_of_new_client(cast.tenant_b)
    future = dt.date.today() + dt.timedelta(days=3)
    response = owner_b.post(
        reverse("dental:cleaning_new", args=[client.pk]),
        {
            "performed_on": future.isoformat(),
            "steriliser_batch": "B-2026-77",
            "tools": ["ultrasonic"],
            "procedure_steps": "Supragingival scaling",
            "visit": visit.pk,
            "return_to": "visit",
        },
    )
    assert response.status_code == 400
    assert [t.name for t in response.templates][0] == "dental/visit_record.html"
    errors = response.context["cleaning_form"].errors
    assert errors["performed_on"] == ["This date is in the future."]
    html = response.content.decode()
    assert "This date is in the future." in html and "Tooth chart" in html
    assert 'value="B-2026-77"' in html and "Supragingival scaling" in html
    assert f'value="{future.isoformat()}"' in html
    with tenant_context(cast.tenant_b):
        assert not CleaningRecord.objects.filter(client=client).exists()


def test_saved_forms_of_the_visit_page_go_back_to_it_and_never_elsewhere(cast, owner_b):
    from verticals.dental.models import CleaningRecord, ToothEntry

    client, visit = _visit_of_new_client(cast.tenant_b)
    page_url = reverse("dental:visit_record", args=[visit.pk])
    response = owner_b.post(
        reverse("dental:tooth_entry", args=[client.pk]),
        {
            "tooth": "46",
            "condition": "root_canal",
            "status": "done",
            "visit": visit.pk,
            "return_to": "visit",
            "next": "https://evil.example/phish",
        },
    )
    assert response.status_code == 302 and response["Location"] == page_url
    response = owner_b.post(
        reverse("dental:cleaning_new", args=[client.pk]),
        {
            "performed_on": visit.visited_on.isoformat(),
            "tools": ["ultrasonic"],
            "visit": visit.pk,
            "return_to": "visit",
            "next": "//evil.example/",
        },
    )
    assert response.status_code == 302 and response["Location"] == page_url
    with tenant_context(cast.tenant_b):
        cleaning = CleaningRecord.objects.get(client=client)
        assert ToothEntry.objects.get(client=client).visit_id == visit.pk
    assert cleaning.visit_id == visit.pk
    # editing that cleaning from the page, refused then saved, stays on the page too
    edit = reverse("dental:cleaning_edit", args=[client.pk, cleaning.pk])
    bad = owner_b.post(
        edit,
        {"performed_on": "not a date", "visit": visit.pk, "return_to": "visit"},
    )
    assert bad.status_code == 400 and bad.context["cleaning"] == cleaning
    assert edit in bad.content.decode()
    good = owner_b.post(
        edit,
        {
            "performed_on": visit.visited_on.isoformat(),
            "client_feedback": "Comfortable",
            "visit": visit.pk,
            "return_to": "visit",
        },
    )
    assert good.status_code == 302 and good["Location"] == page_url
    # without a visit, return_to is nothing: the chart page as before
    response = owner_b.post(
        reverse("dental:tooth_entry", args=[client.pk]),
        {"tooth": "11", "condition": "caries", "status": "existing", "return_to": "visit"},
    )
    assert response["Location"] == reverse("dental:chart", args=[client.pk])


def test_a_visit_of_another_client_is_404_from_the_visit_page_forms(cast, owner_b):
    from verticals.dental.models import CleaningRecord, ToothEntry

    client, _ = _visit_of_new_client(cast.tenant_b)
    _, other_visit = _visit_of_new_client(cast.tenant_b, name="Someone else")
    for url, data in (
        (
            reverse("dental:tooth_entry", args=[client.pk]),
            {"tooth": "46", "condition": "caries", "status": "existing"},
        ),
        (reverse("dental:tooth_entry", args=[client.pk]), {"tooth": "46", "condition": ""}),
        (
            reverse("dental:cleaning_new", args=[client.pk]),
            {"performed_on": dt.date.today().isoformat()},
        ),
        (reverse("dental:cleaning_new", args=[client.pk]), {"performed_on": "nope"}),
    ):
        for visit in (other_visit.pk, 999999, "abc"):
            response = owner_b.post(url, {**data, "visit": visit, "return_to": "visit"})
            assert response.status_code == 404, (url, data, visit)
    with tenant_context(cast.tenant_b):
        assert not ToothEntry.objects.filter(client=client).exists()
        assert not CleaningRecord.objects.filter(client=client).exists()


# ---------- the whole chart history ----------


def _chart(tenant, email, client, count, start=0):
    from verticals.dental import services

    user = staff_member(tenant, email)
    with tenant_context(tenant):
        for n in range(start, start + count):
            services.tooth_entry_add(
                client=client,
                actor=user,
                tooth=[11, 16, 26, 36, 46][n % 5],
                surfaces=["O"],
                condition="caries",
                note=f"Entry number {n}",
            )


def test_the_whole_chart_history_pages_fifty_newest_first_and_filters_by_tooth(
    cast, owner_b, django_assert_max_num_queries
):
    with tenant_context(cast.tenant_b):
        client = ClientFactory(name="Long history")
    _chart(cast.tenant_b, cast.owner_b, client, 60)
    url = reverse("dental:chart_history", args=[client.pk])
    # the chart tab's note links to it
    tab = owner_b.get(reverse("clients:detail_tab", args=[client.pk, "dental_chart"]))
    assert url in tab.content.decode() and "The latest 30 of 60 entries." in tab.content.decode()
    first = owner_b.get(url)
    assert first.status_code == 200
    shown = [e.note for e in first.context["history"]]
    assert len(shown) == 50 and shown[0] == "Entry number 59" and shown[-1] == "Entry number 10"
    html = first.content.decode()
    assert "Page 1 of 2" in html and "page=2" in html
    assert "style=" not in html and "<script>" not in html
    second = owner_b.get(url, {"page": 2})
    notes = [e.note for e in second.context["history"]]
    assert notes == [f"Entry number {n}" for n in range(9, -1, -1)]
    # one tooth: every fifth entry
    only = owner_b.get(url, {"tooth": "16"})
    assert [e.tooth for e in only.context["history"]] == [16] * 12
    assert 'value="16" selected' in only.content.decode()
    assert owner_b.get(url, {"tooth": "19"}).context["page"].paginator.count == 60
    empty = owner_b.get(url, {"tooth": "21"}).content.decode()
    assert "Nothing charted on tooth 21." in empty
    # the queries do not grow with the history
    with django_assert_max_num_queries(20) as short:
        owner_b.get(url)
    _chart(cast.tenant_b, cast.owner_b, client, 140, start=60)
    with django_assert_max_num_queries(len(short.captured_queries)):
        response = owner_b.get(url, {"page": 3})
    assert response.status_code == 200 and len(response.context["history"]) == 50


def test_the_chart_history_is_translated(cast, owner_b):
    with tenant_context(cast.tenant_b):
        client = ClientFactory(name="Chinese history")
    _chart(cast.tenant_b, cast.owner_b, client, 3)
    with tenant_context(cast.tenant_b):
        from accounts.models import User

        User.objects.filter(email=cast.owner_b).update(language="zh-hans")
    response = owner_b.get(reverse("dental:chart_history", args=[client.pk]))
    html = response.content.decode()
    assert "牙位图历史" in html and "共 3 条，最新的在前" in html and "全部牙位" in html


def test_the_chart_history_of_another_business_or_for_front_desk_is_never_shown(
    cast, twins, owner_a, owner_b
):
    from accounts.services import staff_create
    from clients.models import Client
    from tenants.models import Tenant

    Tenant.objects.filter(pk=cast.tenant_a.pk).update(extra_verticals=["dental"])

    def patient(tenant):
        client = ClientFactory(name=f"History of {tenant.schema_name}")
        return client

    client_a, client_b = twins(Client, patient)
    _chart(cast.tenant_a, cast.owner_a, client_a, 2)
    with tenant_context(cast.tenant_b):
        from verticals.dental import services

        services.tooth_entry_add(
            client=client_b,
            actor=staff_member(cast.tenant_b, cast.owner_b),
            tooth=36,
            condition="filling",
            note="Entry of Beta",
        )
    url = reverse("dental:chart_history", args=[client_a.pk])
    page_a = owner_a.get(url).content.decode()
    page_b = owner_b.get(url).content.decode()
    assert "Entry number 1" in page_a and "Entry of Beta" not in page_a
    assert "Entry of Beta" in page_b and "Entry number" not in page_b
    # a client only B has is not found on A's host
    with tenant_context(cast.tenant_b):
        only_b = ClientFactory(name="Only in B")
    assert owner_a.get(reverse("dental:chart_history", args=[only_b.pk])).status_code == 404
    # front desk reads no clinical history
    with tenant_context(cast.tenant_b):
        staff_create(
            full_name="Mandy Cheung",
            email="desk@beta.test",
            password=PASSWORD,
            roles=["front_desk"],
        )
    desk = signed_in(cast.tenant_b, cast.host_b, "desk@beta.test")
    assert desk.get(url).status_code in (403, 404)
    # where dental is off the page is 404
    Tenant.objects.filter(pk=cast.tenant_a.pk).update(extra_verticals=[])
    assert owner_a.get(url).status_code == 404
