"""The dental finish line in a real browser: a dentist of the practice opens a client's
chart, clicks a tooth's surface and the entry form fills in, records it; enters a perio
exam (an out-of-range depth is refused in its cell), compares two exams, opens the plan
and its print page, and sees the chart in Chinese. Screenshots go to test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

NAMES = [f"Dental demo {n}" for n in range(8)]


def _seed(cast):
    import datetime as dt

    from clients.models import Client
    from tests.conftest import staff_member
    from tests.factories import ClientFactory
    from verticals.dental.demo import seed_demo_records

    with tenant_context(cast.tenant_b):
        Client.objects.filter(name__in=NAMES).delete()
        clients = [ClientFactory(name=name) for name in NAMES]
        user = staff_member(cast.tenant_b, cast.owner_b)
        seed_demo_records(cast.tenant_b, clients, {cast.owner_b: user}, dt.date.today())
    connection.set_schema_to_public()
    return clients


def _clean(cast):
    from filestore.models import StoredFile

    from accounts.models import User
    from clients.models import Client
    from verticals.dental import models as m

    with tenant_context(cast.tenant_b):
        mine = Client.objects.filter(name__in=NAMES)
        for model in (m.XRay, m.ToothEntry, m.PerioExam, m.CleaningRecord, m.OralHealthRecord):
            model.objects.filter(client__in=mine).delete()
        m.TreatmentPlan.objects.filter(client__in=mine).delete()
        StoredFile.objects.filter(client__in=mine).delete()
        mine.delete()
        User.objects.filter(email=cast.owner_b).update(language="")
    connection.set_schema_to_public()


def test_a_dentist_charts_a_tooth_by_clicking_it_and_reads_the_perio_and_plan_pages(
    cast, django_db_blocker, storage, request
):
    # the e2e fixtures, imported above, are looked up by name
    server = request.getfixturevalue("live_server_url")
    chromium = request.getfixturevalue("browser")
    port = server.rsplit(":", 1)[1]
    base = f"http://{cast.host_b}:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    with django_db_blocker.unblock():
        clients = _seed(cast)
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    errors = []
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, base, cast.owner_b, cast.password)
        full, perio = clients[0], clients[5]
        page.goto(f"{base}/clients/{full.pk}/dental_chart/")
        expect(page.locator("svg.tooth-chart g.tooth")).to_have_count(32)
        # the X-ray thumbnails load lazily: bring them on screen before the screenshot
        page.locator(".xray-grid img").last.scroll_into_view_if_needed()
        expect(page.locator(".xray-grid img").last).to_have_js_property("complete", True)
        page.screenshot(path=str(ARTIFACTS / "dental-chart-tab.png"), full_page=True)

        # clicking the occlusal surface of 27 picks the tooth and the surface in the form
        page.locator('g.tooth[data-tooth="27"] polygon[data-surface="O"]').click()
        form = page.locator("form.tooth-form")
        expect(form.locator("select[name=tooth]")).to_have_value("27")
        expect(form.locator('input[name=surfaces][value="O"]')).to_be_checked()
        expect(page.locator('g.tooth[data-tooth="27"]')).to_have_class("tooth selected")
        # a whole-tooth condition takes no surfaces: the boxes are cleared and disabled
        form.locator("select[name=condition]").select_option("crown")
        expect(form.locator('input[name=surfaces][value="O"]')).to_be_disabled()
        form.locator("select[name=condition]").select_option("caries")
        page.locator('g.tooth[data-tooth="27"] polygon[data-surface="D"]').click()
        form.locator("textarea[name=note]").fill("Recurrent caries under the filling")
        form.get_by_role("button", name="Add to chart").click()
        page.wait_for_load_state()
        expect(page.locator(".messages")).to_contain_text("Tooth 27: Caries recorded.")
        expect(page.locator("table.chart-history")).to_contain_text("Recurrent caries")
        assert page.url.endswith(f"/clients/{full.pk}/dental_chart/")

        # a perio exam: 16 mm is refused in its own cell, the rest typed stays
        page.goto(f"{base}/dental/client/{perio.pk}/perio/new/")
        page.fill('input[name="depth_16_MB"]', "16")
        page.fill('input[name="depth_16_B"]', "5")
        page.get_by_role("button", name="Save periodontal exam").click()
        page.wait_for_load_state()
        cell = page.locator("td.has-error").first
        expect(cell).to_contain_text("Between 0 and 15.")
        expect(page.locator('input[name="depth_16_B"]')).to_have_value("5")
        expect(page.locator('input[name="depth_16_B"]')).to_have_class("pocket")
        page.screenshot(path=str(ARTIFACTS / "dental-perio-entry-error.png"), full_page=True)

        page.goto(f"{base}/clients/{perio.pk}/dental_perio/")
        page.get_by_role("link", name="Compare two exams").click()
        expect(page.locator(".cmp.better").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "dental-perio-compare.png"), full_page=True)

        page.goto(f"{base}/clients/{full.pk}/dental_plan/")
        page.get_by_role("link", name="Restorative plan 2026").click()
        expect(page.locator("table.totals")).to_contain_text("Estimated total")
        page.screenshot(path=str(ARTIFACTS / "dental-plan.png"), full_page=True)
        page.goto(f"{base}/dental/client/{full.pk}/plan/print/")
        page.screenshot(path=str(ARTIFACTS / "dental-plan-print.png"), full_page=True)
        page.goto(f"{base}/dental/client/{perio.pk}/perio/print/")
        page.screenshot(path=str(ARTIFACTS / "dental-perio-print.png"), full_page=True)

        # the form a completed appointment leads to
        with django_db_blocker.unblock():
            from tests.factories import VisitFactory

            with tenant_context(cast.tenant_b):
                visit = VisitFactory(client=full, treatment_items=["Check-up and cleaning"])
            connection.set_schema_to_public()
        page.goto(f"{base}/dental/visit/{visit.pk}/")
        page.get_by_label("Effect evaluation").fill("Calculus removed; gums pink")
        # a refused cleaning comes back to the visit page, the error beside its field
        future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
        page.fill('input[name="performed_on"]', future)
        page.get_by_role("button", name="Save cleaning record").click()
        page.wait_for_load_state()
        expect(page.locator(".has-error")).to_contain_text("This date is in the future.")
        expect(page.locator("h1")).to_contain_text("Dental record")
        expect(page.get_by_label("Effect evaluation")).to_have_value("Calculus removed; gums pink")
        page.screenshot(path=str(ARTIFACTS / "dental-visit-record-error.png"), full_page=True)
        page.fill('input[name="performed_on"]', dt.date.today().isoformat())
        page.get_by_role("button", name="Save cleaning record").click()
        page.wait_for_load_state()
        expect(page.locator(".messages")).to_contain_text("Cleaning record saved.")
        assert page.url.endswith(f"/dental/visit/{visit.pk}/")
        page.screenshot(path=str(ARTIFACTS / "dental-visit-record.png"), full_page=True)

        # the whole chart history, one tooth of it
        page.goto(f"{base}/dental/client/{full.pk}/chart/history/")
        expect(page.locator("h1")).to_contain_text("Chart history")
        expect(page.locator("table.chart-history tbody tr").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "dental-chart-history.png"), full_page=True)

        # and in Chinese
        page.goto(f"{base}/clients/{full.pk}/dental_chart/")
        with page.expect_navigation():
            page.select_option("#lang-top", "zh-hans")
        expect(page.locator("nav.tabs")).to_contain_text("牙位图")
        expect(page.locator("main")).to_contain_text("牙位图历史")
        page.screenshot(path=str(ARTIFACTS / "dental-chart-tab-zh.png"), full_page=True)
        page.goto(f"{base}/dental/client/{perio.pk}/perio/new/")
        page.screenshot(path=str(ARTIFACTS / "dental-perio-entry-zh.png"), full_page=True)
        assert not [e for e in errors if "Content Security Policy" in e], errors
    finally:
        context.close()
        with django_db_blocker.unblock():
            _clean(cast)
