"""The aesthetic records in a real browser: a practitioner places injection points on the
face map by clicking the drawings, types their amounts, saves, and sees them again on the
record; the photo comparison's slider uncovers the later photo. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.test_filestore import png_bytes

pytestmark = pytest.mark.e2e


def _cleanup(cast, client_pk):
    """The rows are committed (live server): remove them again."""
    from filestore.models import StoredFile

    from clients.models import Client
    from verticals.aesthetic.models import SkinProfile, TreatmentPhoto, TreatmentRecord

    with tenant_context(cast.tenant_a):
        TreatmentPhoto.objects.filter(client_id=client_pk).delete()
        TreatmentRecord.objects.filter(client_id=client_pk).delete()
        SkinProfile.objects.filter(client_id=client_pk).delete()
        StoredFile.objects.filter(client_id=client_pk).delete()
        from visits.models import Visit

        Visit.objects.filter(client_id=client_pk).delete()
        Client.objects.filter(pk=client_pk).delete()
    connection.set_schema_to_public()


def test_points_clicked_on_the_face_map_are_saved_and_shown_again(
    cast,
    live_server_url,
    browser,
    storage,
):
    from accounts.models import User
    from tests.factories import ClientFactory
    from verticals.aesthetic import services
    from verticals.aesthetic.models import InjectionPoint, TreatmentRecord

    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    with tenant_context(cast.tenant_a):
        client = ClientFactory(name="周若彤")
        doctor = User.objects.get(email=cast.practitioner_a)
        today = timezone.localdate()  # the live server keeps the real clock: derive the dates
        for day, color in (
            (today - dt.timedelta(days=120), (150, 90, 70)),
            (today - dt.timedelta(days=60), (230, 200, 180)),
        ):
            services.photo_add(
                client=client,
                actor=doctor,
                upload=SimpleUploadedFile("p.png", png_bytes((320, 240), color), "image/png"),
                values={"area": "cheeks", "stage": "before", "taken_on": day},
            )
    connection.set_schema_to_public()
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, base, cast.practitioner_a, cast.password)
        page.goto(f"{base}/aesthetic/client/{client.pk}/record/new/")
        page.fill("input[name=procedure]", "肉毒素除皱")
        front = page.locator("svg[data-view=front]")
        box = front.bounding_box()
        front.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.25})
        front.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.4})
        side = page.locator("svg[data-view=profile]")
        side_box = side.bounding_box()
        side.click(position={"x": side_box["width"] * 0.8, "y": side_box["height"] * 0.4})
        amounts = page.locator("[data-facemap-rows] input[type=number]")
        assert amounts.count() == 3
        for n, value in enumerate(("4", "2", "2.5")):
            amounts.nth(n).fill(value)
        page.locator("[data-facemap-rows] input[type=text]").first.fill("额肌")
        page.fill("input[name=products-0-name]", "A 型肉毒毒素")
        page.fill("input[name=products-0-batch_number]", "BTX-26J07")
        page.fill("input[name=products-0-expires_on]", "2099-01-31")
        page.screenshot(path=str(ARTIFACTS / "aesthetic-face-map-form.png"), full_page=True)
        page.get_by_role("button", name="Save treatment record").click()
        page.wait_for_load_state()
        assert "/aesthetic/record/" in page.url
        assert page.locator("svg[data-view=front] circle.facemap-point").count() == 2
        assert page.locator("svg[data-view=profile] circle.facemap-point").count() == 1
        page.screenshot(path=str(ARTIFACTS / "aesthetic-record.png"), full_page=True)
        with tenant_context(cast.tenant_a):
            record = TreatmentRecord.objects.get(client=client)
            points = list(InjectionPoint.objects.filter(record=record).order_by("id"))
        connection.set_schema_to_public()
        assert [(p.view, str(p.amount), p.label) for p in points] == [
            ("front", "4.00", "额肌"),
            ("front", "2.00", ""),
            ("profile", "2.50", ""),
        ]
        assert abs(points[0].x - 0.5) < 0.02 and abs(points[0].y - 0.25) < 0.02
        page.goto(f"{base}/aesthetic/client/{client.pk}/photos/compare/?area=cheeks")
        page.locator("[data-compare-range]").fill("20")
        clip = page.locator("[data-compare-top]").evaluate("el => el.style.clipPath")
        assert clip == "inset(0px 80% 0px 0px)" or "80%" in clip
        page.screenshot(path=str(ARTIFACTS / "aesthetic-compare.png"), full_page=True)
        page.goto(f"{base}/aesthetic/client/{client.pk}/skin/")
        page.select_option("select[name=skin_type]", "sensitive")
        page.select_option("select[name=fitzpatrick]", "3")
        page.check("input[name=concerns][value=redness]")
        page.fill("textarea[name=ingredient_allergies]", "水杨酸、香精")
        page.get_by_role("button", name="Save skin profile").click()
        page.wait_for_load_state()
        assert "水杨酸" in page.locator(".alert.danger").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "aesthetic-skin-tab.png"), full_page=True)
        for tab in ("aesthetic_treatments", "aesthetic_photos"):
            page.goto(f"{base}/clients/{client.pk}/{tab}/")
            for img in page.locator(".file-thumb img").all():
                img.scroll_into_view_if_needed()
                expect(img).to_have_js_property("complete", True)
                assert img.evaluate("i => i.naturalWidth") > 0
            page.screenshot(path=str(ARTIFACTS / f"aesthetic-{tab}.png"), full_page=True)
        page.goto(f"{base}/aesthetic/client/{client.pk}/print/")
        page.screenshot(path=str(ARTIFACTS / "aesthetic-print.png"), full_page=True)

        # and in Chinese
        page.goto(f"{base}/aesthetic/record/{record.pk}/edit/")
        with page.expect_navigation():
            page.select_option("#lang-top", "zh-hans")
        expect(page.locator("main")).to_contain_text("面部注射图")
        expect(page.locator("[data-facemap-rows]")).to_contain_text("正面")
        page.screenshot(path=str(ARTIFACTS / "aesthetic-record-form-zh.png"), full_page=True)
        page.goto(f"{base}/clients/{client.pk}/aesthetic_skin/")
        expect(page.locator("nav.tabs")).to_contain_text("皮肤")
        page.screenshot(path=str(ARTIFACTS / "aesthetic-skin-tab-zh.png"), full_page=True)
        page.goto(f"{base}/aesthetic/client/{client.pk}/photos/compare/?area=cheeks")
        expect(page.locator("main")).to_contain_text("滑动对比")
        page.screenshot(path=str(ARTIFACTS / "aesthetic-compare-zh.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
        with tenant_context(cast.tenant_a):
            User.objects.filter(pk=doctor.pk).update(language=doctor.language)
        _cleanup(cast, client.pk)
