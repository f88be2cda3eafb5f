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
    clients = seeded(cast.tenant_b, cast.owner_b)
    for url in pages(cast.tenant_b, clients[0]):
        response = owner_b.get(url)
        assert response.status_code == 200, url
    # the chart tab draws the full chart: 32 adult teeth, bars, crosses
    body = owner_b.get(reverse("clients:detail_tab", args=[clients[0].pk, "dental_chart"]))
    html = body.content.decode()
    assert html.count('class="tooth') >= 32
    assert "dental/chart.js" in html and "dental/dental.css" in html
    assert "style=" not in html and "<script>" not in html
