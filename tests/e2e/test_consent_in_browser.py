"""Issue 10's consent in a real browser: a practitioner opens the consent for a client's
injection, the client signs with the mouse (pointer events on the canvas), and the signed
consent is in the client file with its PDF. Screenshots go to test-artifacts/."""

import pytest
from django.db import connection
from django_tenants.utils import tenant_context
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

TEXT_ZH = "本人已了解注射治疗的风险，自愿接受治疗。"
TEXT_EN = "I understand the risks of the injection and agree to the treatment."


def _cleanup(cast, client_pk, form_pk, service_pk):
    """The test's rows are committed (live server): remove them so the suite's other
    consent tests start from an empty table."""
    from filestore.models import StoredFile

    from scheduling.models import Service
    from verticals.aesthetic.consents.models import (
        ConsentForm,
        ConsentFormVersion,
        SignedConsent,
    )

    with tenant_context(cast.tenant_a):
        SignedConsent.objects.filter(client_id=client_pk).delete()
        StoredFile.objects.filter(client_id=client_pk).delete()
        ConsentFormVersion.objects.filter(form_id=form_pk).delete()
        ConsentForm.objects.filter(pk=form_pk).delete()
        Service.objects.filter(pk=service_pk).delete()
    connection.set_schema_to_public()


def test_a_client_signs_a_consent_on_screen_and_it_is_kept_as_pdf(
    cast, live_server_url, browser, django_db_blocker, storage
):
    from accounts.models import User
    from tests import schedule
    from tests.factories import ClientFactory
    from verticals.aesthetic.consents import services
    from verticals.aesthetic.consents.models import SignedConsent

    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    with tenant_context(cast.tenant_a):
        owner = User.objects.get(email=cast.owner_a)
        service = schedule.service("肉毒素注射 E2E", minutes=30)
        form = services.consent_form_save(
            actor=owner,
            values={"name": "肉毒素注射知情同意书", "services": [service], "active": True},
        )
        services.consent_version_save(
            form=form, actor=owner, text_en=TEXT_EN, text_zh=TEXT_ZH, publish=True
        )
        client = ClientFactory(name="周若彤")
    connection.set_schema_to_public()
    context = browser.new_context(viewport={"width": 1180, "height": 900})
    contexts = [context]
    try:
        page = context.new_page()
        errors = []  # console errors and page errors, CSP refusals among them
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(page, base, cast.practitioner_a, cast.password)
        page.goto(f"{base}/aesthetic/consents/clients/{client.pk}/sign/{form.pk}/?lang=zh-hans")
        expect(page.get_by_text(TEXT_ZH)).to_be_visible()
        pad = page.locator("canvas.signature-pad")
        box = pad.bounding_box()
        page.mouse.move(box["x"] + 40, box["y"] + box["height"] * 0.6)
        page.mouse.down()
        for step in range(1, 30):
            page.mouse.move(
                box["x"] + 40 + step * 12,
                box["y"] + box["height"] * (0.6 - 0.3 * ((step % 6) / 6)),
            )
        page.mouse.up()
        page.fill("input[name=signer_name]", "周若彤")
        page.screenshot(path=str(ARTIFACTS / "consent-sign.png"), full_page=True)
        page.get_by_role("button", name="Sign", exact=True).click()
        page.wait_for_load_state()
        assert f"/clients/{client.pk}/aesthetic_consents/" in page.url
        expect(page.get_by_role("link", name="PDF", exact=True)).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "consent-tab.png"), full_page=True)
        with tenant_context(cast.tenant_a):
            signed = SignedConsent.objects.get(client=client)
            assert signed.signer_name == "周若彤" and signed.language == "zh-hans"
        connection.set_schema_to_public()
        # The PDF opens through the file store, with the browser's own session.
        status, kind = page.evaluate(
            "url => fetch(url).then(r => [r.status, r.headers.get('content-type')])",
            f"/files/{signed.document_id}/",
        )
        assert (status, kind) == (200, "application/pdf")
        # And in Chinese: the tab, and the page an owner keeps the forms on.
        with page.expect_navigation():
            page.select_option("#lang-top", "zh-hans")
        assert "已签署的知情同意书" in page.inner_text("main")
        page.screenshot(path=str(ARTIFACTS / "consent-tab-zh.png"), full_page=True)
        owner_context = browser.new_context(viewport={"width": 1180, "height": 900})
        contexts.append(owner_context)
        owner_page = owner_context.new_page()
        owner_page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in(owner_page, base, cast.owner_a, cast.password)
        owner_page.goto(f"{base}/aesthetic/consents/forms/{form.pk}/")
        expect(owner_page.get_by_text("Version 1", exact=False).first).to_be_visible()
        owner_page.screenshot(path=str(ARTIFACTS / "consent-form-edit.png"), full_page=True)
        assert errors == []
    finally:
        for each in contexts:
            each.close()
        with tenant_context(cast.tenant_a):
            User.objects.filter(email__in=[cast.practitioner_a, cast.owner_a]).update(language="")
        _cleanup(cast, client.pk, form.pk, service.pk)
