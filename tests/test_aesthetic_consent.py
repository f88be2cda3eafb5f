"""Signed consent forms of the aesthetic vertical: a treatment that needs a consent is not
completed without it; signing on screen keeps a PDF of the exact version with the
signature; published versions never change; only clinical staff see signed consents; other
businesses get 404; erasure removes the files."""

from __future__ import annotations

import base64
import datetime as dt
import io
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context
from filestore.models import StoredFile
from pypdf import PdfReader

from audit.models import AuditEntry
from clients.models import Client
from privacy.services import client_erase
from scheduling.services import appointment_book, appointment_complete, appointment_transition
from tests import schedule
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory
from verticals.aesthetic.consents import checks, demo, services
from verticals.aesthetic.consents.client_file import consents_export
from verticals.aesthetic.consents.models import ConsentFormVersion, SignedConsent
from verticals.aesthetic.consents.selectors import missing_consents

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)  # Friday 10:00 in Shanghai
pytestmark = pytest.mark.clock(NOW)
TEXT_EN = "I agree to the botulinum toxin injection and understand its risks."
TEXT_ZH = "本人同意接受肉毒素注射治疗，并已了解其风险。"


def sign_url(client_id: int, form_id: int) -> str:
    return f"/aesthetic/consents/clients/{client_id}/sign/{form_id}/"


def tab_url(client_id: int) -> str:
    return f"/clients/{client_id}/aesthetic_consents/"


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.fixture
def setup(cast, db, storage):
    """In tenant A: a doctor with hours, the injection service, a published consent form
    for it, a client and an appointment of that service later today."""
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        schedule.open_business("08:00-20:00")
        schedule.working(doctor, "09:00-12:00 13:00-18:00")
        botox = schedule.service("肉毒素注射 Botox", staff=[doctor], minutes=30)
        facial = schedule.service("面部护理 Facial", staff=[doctor], minutes=30)
        form = services.consent_form_save(
            actor=owner, values={"name": "肉毒素注射同意书", "services": [botox], "active": True}
        )
        version = services.consent_version_save(
            form=form, actor=owner, text_en=TEXT_EN, text_zh=TEXT_ZH, publish=True
        )
        client = ClientFactory(name="林小雨")
        appointment = appointment_book(
            client=client,
            services=[botox],
            starts_at=dt.datetime(2026, 11, 20, 10, 30, tzinfo=SHANGHAI),
            staff=doctor,
        )[0]
    connection.set_schema_to_public()
    return {
        "doctor": doctor,
        "owner": owner,
        "botox": botox,
        "facial": facial,
        "form": form,
        "version": version,
        "client": client,
        "appointment": appointment,
    }


def _sign(cast, s, *, name="林小雨", language="zh-hans"):
    with tenant_context(cast.tenant_a):
        return services.consent_sign(
            client=s["client"],
            version=s["version"],
            actor=s["doctor"],
            signer_name=name,
            signer_role="client",
            language=language,
            signature_png=demo.signature_png(),
        )


def _pdf_text(storage, signed) -> str:
    data = (storage / signed.document.path).read_bytes()
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_treatment_that_needs_consent_cannot_be_completed_without_it(cast, setup):
    s = setup
    with tenant_context(cast.tenant_a):
        appointment_transition(appointment=s["appointment"], to="arrived", actor=s["doctor"])
        with pytest.raises(ValidationError) as refused:
            appointment_complete(appointment=s["appointment"], actor=s["doctor"])
        assert "not signed" in refused.value.messages[0]
        assert "肉毒素注射同意书" in refused.value.messages[0]
        s["appointment"].refresh_from_db()
        assert s["appointment"].status == "arrived"
        assert missing_consents(client=s["client"], services=[s["botox"]]) == [s["form"]]
        # A service that needs no consent is not held up.
        assert missing_consents(client=s["client"], services=[s["facial"]]) == []
    _sign(cast, s)
    with tenant_context(cast.tenant_a):
        assert missing_consents(client=s["client"], services=[s["botox"]]) == []
        visit = appointment_complete(appointment=s["appointment"], actor=s["doctor"])
        assert visit.pk


def test_a_new_version_must_be_signed_again(cast, setup):
    s = setup
    _sign(cast, s)
    with tenant_context(cast.tenant_a):
        v2 = services.consent_version_save(
            form=s["form"], actor=s["owner"], text_en=TEXT_EN + " v2", text_zh=TEXT_ZH, publish=True
        )
        assert v2.number == 2
        assert missing_consents(client=s["client"], services=[s["botox"]]) == [s["form"]]
        with pytest.raises(ValidationError):
            checks.consent_signed(s["appointment"])


def test_the_refusal_is_translated(cast, setup):
    from django.utils import translation

    with (
        tenant_context(cast.tenant_a),
        translation.override("zh-hans"),
        pytest.raises(ValidationError) as refused,
    ):
        checks.consent_signed(setup["appointment"])
    assert "未签署" in refused.value.messages[0]


def test_a_published_version_cannot_be_edited_editing_makes_a_new_one(cast, setup, owner_a):
    s = setup
    with tenant_context(cast.tenant_a):
        v1 = ConsentFormVersion.objects.get(pk=s["version"].pk)
        v1.text_en = "changed behind the form's back"
        with pytest.raises(ValidationError):
            v1.save()
    connection.set_schema_to_public()
    page = owner_a.get(f"/aesthetic/consents/forms/{s['form'].pk}/")
    assert page.status_code == 200 and TEXT_EN in page.content.decode()
    posted = owner_a.post(
        f"/aesthetic/consents/forms/{s['form'].pk}/",
        {
            "name": "肉毒素注射同意书",
            "services": [s["botox"].pk],
            "active": "on",
            "text_en": "Version two in English.",
            "text_zh": "第二版中文。",
        },
    )
    assert posted.status_code == 302
    with tenant_context(cast.tenant_a):
        versions = list(ConsentFormVersion.objects.filter(form=s["form"]).order_by("number"))
        assert [(v.number, v.text_en, v.published_at is not None) for v in versions] == [
            (1, TEXT_EN, True),
            (2, "Version two in English.", False),
        ]
        # The draft is edited in place until it is published.
        services.consent_version_save(
            form=s["form"],
            actor=s["owner"],
            text_en="Two, final.",
            text_zh="第二版。",
            publish=True,
        )
        assert ConsentFormVersion.objects.filter(form=s["form"]).count() == 2
        assert s["form"].current_version().text_en == "Two, final."
        assert AuditEntry.objects.filter(object_type="aesthetic_consent_version").count() >= 3


@pytest.mark.parametrize(
    ("language", "text", "labels"),
    [("zh-hans", TEXT_ZH, ("版本", "签署人")), ("en", TEXT_EN, ("Version", "Signed by"))],
)
def test_signing_on_screen_keeps_a_pdf_of_the_exact_version(
    cast, setup, practitioner_a, storage, language, text, labels
):
    s = setup
    url = sign_url(s["client"].pk, s["form"].pk)
    page = practitioner_a.get(
        f"{url}?lang={language}&appointment={s['appointment'].pk}",
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert text in html and "signature-pad" in html and "<script>" not in html
    posted = practitioner_a.post(
        url,
        {
            "signer_role": "guardian",
            "signer_name": "林大海 Lin Dahai",
            "signature": data_url(demo.signature_png()),
            "version": s["version"].pk,
            "language": language,
            "appointment": s["appointment"].pk,
        },
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert posted.status_code == 302
    with tenant_context(cast.tenant_a):
        signed = SignedConsent.objects.select_related("document", "signature").get(
            client=s["client"]
        )
        assert signed.version == s["version"] and signed.signer_role == "guardian"
        assert signed.appointment_id == s["appointment"].pk
        assert signed.document.purpose == "aesthetic_consent"
        assert signed.document.capability == "clients.health"
        assert signed.signature.content_type == "image/png"
        extracted = _pdf_text(storage, signed)
        assert AuditEntry.objects.filter(
            object_type="aesthetic_consent", object_id=str(signed.pk)
        ).exists()
    flat = extracted.replace("\n", "").replace(" ", "")
    assert text.replace(" ", "") in flat
    assert "林大海LinDahai" in flat
    assert all(label.replace(" ", "") in flat for label in labels)
    assert ":1" in flat or "：1" in flat  # the version number
    # The profile tab lists it with a link to its PDF; the PDF opens through filestore.
    tab = practitioner_a.get(tab_url(s["client"].pk)).content.decode()
    assert f"/files/{signed.document_id}/" in tab
    assert practitioner_a.get(f"/files/{signed.document_id}/").status_code == 200


def test_a_blank_or_forged_signature_is_refused_next_to_the_pad(cast, setup, practitioner_a):
    s = setup
    url = sign_url(s["client"].pk, s["form"].pk)
    base = {
        "signer_role": "client",
        "signer_name": "林小雨",
        "version": s["version"].pk,
        "language": "en",
    }
    from PIL import Image

    blank = io.BytesIO()
    Image.new("RGBA", (600, 200), (0, 0, 0, 0)).save(blank, "PNG")
    for signature in ("", data_url(blank.getvalue()), "data:image/png;base64," + "A" * 40):
        page = practitioner_a.post(url, {**base, "signature": signature})
        assert page.status_code == 200
        assert "Draw the signature in the box." in page.content.decode()
    page = practitioner_a.post(url, {**base, "signature": data_url(b"<svg></svg>")})
    assert "Draw the signature in the box." in page.content.decode()
    with tenant_context(cast.tenant_a):
        assert not SignedConsent.objects.filter(client=s["client"]).exists()
        assert not StoredFile.objects.filter(client=s["client"]).exists()


def test_outstanding_consents_are_listed_with_a_sign_button(cast, setup, practitioner_a):
    s = setup
    html = practitioner_a.get(tab_url(s["client"].pk)).content.decode()
    assert "肉毒素注射同意书" in html
    assert f"{sign_url(s['client'].pk, s['form'].pk)}?appointment={s['appointment'].pk}" in html


def test_front_desk_cannot_see_or_take_signed_consents(cast, setup, front_desk_a):
    s = setup
    signed = _sign(cast, s)
    assert front_desk_a.get(tab_url(s["client"].pk)).status_code == 403
    assert front_desk_a.get(sign_url(s["client"].pk, s["form"].pk)).status_code == 403
    assert front_desk_a.get(f"/files/{signed.document_id}/").status_code == 403
    assert front_desk_a.get("/aesthetic/consents/forms/").status_code == 403
    doc = f"/aesthetic/consents/clients/{s['client'].pk}/document/"
    assert front_desk_a.get(doc).status_code == 403


def test_practitioners_use_forms_owners_manage_them(cast, setup, practitioner_a, owner_a):
    assert practitioner_a.get("/aesthetic/consents/forms/").status_code == 403
    page = owner_a.get("/aesthetic/consents/forms/")
    assert page.status_code == 200 and "肉毒素注射同意书" in page.content.decode()
    created = owner_a.post(
        "/aesthetic/consents/forms/new/",
        {
            "name": "光子嫩肤同意书",
            "services": [setup["facial"].pk],
            "active": "on",
            "text_en": "IPL consent.",
            "text_zh": "光子嫩肤知情同意。",
            "publish": "on",
        },
    )
    assert created.status_code == 302
    with tenant_context(cast.tenant_a):
        assert missing_consents(client=setup["client"], services=[setup["facial"]])


def test_other_businesses_get_404(cast, setup, owner_b, owner_c):
    s = setup
    for client in (owner_b, owner_c):
        assert client.get("/aesthetic/consents/forms/").status_code == 404
        assert client.get(sign_url(s["client"].pk, s["form"].pk)).status_code == 404


def test_a_consent_of_tenant_a_is_never_reached_from_tenant_b(cast, setup, twins, storage):
    """B turns the aesthetic vertical on and holds a client with the same id as A's."""
    s = setup
    signed = _sign(cast, s)
    a_client, b_client = twins(
        Client,
        lambda tenant: ClientFactory(name=f"Twin {tenant.schema_name}"),
    )
    with tenant_context(cast.tenant_a):
        services.consent_sign(
            client=a_client,
            version=s["version"],
            actor=s["doctor"],
            signer_name="Twin A",
            signer_role="client",
            language="en",
            signature_png=demo.signature_png(1),
        )
    tenant_b = type(cast.tenant_b).objects.get(pk=cast.tenant_b.pk)
    tenant_b.extra_verticals = ["aesthetic"]
    tenant_b.save(update_fields=["extra_verticals"])
    owner_b = signed_in(cast.tenant_b, cast.host_b, cast.owner_b)
    assert owner_b.get(f"/files/{signed.document_id}/").status_code == 404
    tab = owner_b.get(tab_url(b_client.pk))
    assert tab.status_code == 200
    assert "Twin A" not in tab.content.decode()
    document = owner_b.get(f"/aesthetic/consents/clients/{b_client.pk}/document/")
    assert document.status_code == 302 and "/files/" not in document["Location"]
    assert owner_b.get(sign_url(b_client.pk, s["form"].pk)).status_code == 404


def test_export_lists_and_erasure_removes_signed_consents(
    cast, setup, storage, django_capture_on_commit_callbacks
):
    s = setup
    signed = _sign(cast, s)
    with tenant_context(cast.tenant_a):
        exported = consents_export(s["client"], user=s["doctor"])
        assert exported["signed"][0]["version"] == 1
        assert exported["signed"][0]["signer"] == "林小雨"
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        held_back = consents_export(s["client"], user=desk)
        assert held_back["signed"] == 1 and held_back["held_back"]
        paths = [signed.document.path, signed.signature.path, signed.signature.thumb_path]
        assert all((storage / p).exists() for p in paths if p)
        with django_capture_on_commit_callbacks(execute=True):
            client_erase(client=s["client"], actor=s["owner"])
        signed.refresh_from_db()
        assert signed.signer_name == ""
        assert StoredFile.objects.filter(client=s["client"], erased_at__isnull=True).count() == 0
    assert not any((storage / p).exists() for p in paths if p)


def test_the_demo_seeds_a_bilingual_form_and_signed_consents(cast, db, storage):
    from accounts.models import User

    with tenant_context(cast.tenant_a):
        # The clinic's starting menu (signup) has the hydrating injection the form is for.
        clients = [ClientFactory(name="王芳"), ClientFactory(name="李娜")]
        staff = {u.email: u for u in User.objects.filter(is_active=True)}
        demo.seed_demo_consents(cast.tenant_a, clients, staff, NOW.date())
        demo.seed_demo_consents(cast.tenant_a, clients, staff, NOW.date())  # skipped
        signed = list(
            SignedConsent.objects.filter(client__in=clients).select_related("version__form")
        )
        assert len(signed) == 2
        version = signed[0].version
        assert version.text_zh and version.text_en and version.published_at
        assert version.form.services.get().name == "水光针补水"
        assert {s.client_id for s in signed} == {c.pk for c in clients}
        assert Client.objects.count() >= 2


def test_the_consents_catalogue_is_complete_and_compiled():
    """tests/test_translations.py globs verticals/*/locale only; this app's catalogue is
    one level deeper, so it is held to the same rules here."""
    from pathlib import Path

    from django.utils import translation

    from tests.test_translations import _entries

    po = (
        Path(__file__).resolve().parents[1]
        / "verticals/aesthetic/consents/locale/zh_Hans/LC_MESSAGES/django.po"
    )
    entries = _entries([po])
    assert len(entries) > 50
    assert [e["msgid"] for e in entries if e["fuzzy"] or not all(e["msgstrs"])] == []
    assert po.with_suffix(".mo").stat().st_mtime >= po.stat().st_mtime - 1
    with translation.override("zh-hans"):
        assert translation.gettext("Draw the signature in the box.") == "请在框内手写签名。"
        assert translation.gettext("Signed consents") == "已签署的知情同意书"


def test_the_consents_tab_takes_the_same_queries_however_many_consents(
    cast, setup, practitioner_a, django_assert_max_num_queries
):
    s = setup
    _sign(cast, s)
    practitioner_a.get(tab_url(s["client"].pk))
    with django_assert_max_num_queries(40) as one:
        assert practitioner_a.get(tab_url(s["client"].pk)).status_code == 200
    for _ in range(3):
        _sign(cast, s)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert practitioner_a.get(tab_url(s["client"].pk)).status_code == 200


def test_a_form_with_nothing_published_or_another_clients_appointment_is_404(
    cast, setup, practitioner_a
):
    s = setup
    with tenant_context(cast.tenant_a):
        draft_only = services.consent_form_save(
            actor=s["owner"], values={"name": "草稿同意书", "services": [s["botox"]]}
        )
        services.consent_version_save(
            form=draft_only, actor=s["owner"], text_en="Draft.", text_zh="草稿。", publish=False
        )
        # A draft asks nothing of the client yet: there is nothing to sign.
        assert missing_consents(client=s["client"], services=[s["botox"]]) == [s["form"]]
        other = ClientFactory(name="别的客户")
    connection.set_schema_to_public()
    assert practitioner_a.get(sign_url(s["client"].pk, draft_only.pk)).status_code == 404
    url = f"{sign_url(other.pk, s['form'].pk)}?appointment={s['appointment'].pk}"
    assert practitioner_a.get(url).status_code == 404
    assert practitioner_a.get(sign_url(999999, s["form"].pk)).status_code == 404


def timeline_url(client_id: int) -> str:
    return f"/clients/{client_id}/timeline/"


def test_a_signed_consent_is_on_the_timeline_with_its_pdf_for_clinical_staff_only(
    cast, setup, practitioner_a, front_desk_a
):
    s = setup
    signed = _sign(cast, s)
    page = practitioner_a.get(timeline_url(s["client"].pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Consent signed: 肉毒素注射同意书" in html
    assert "Version 1, signed by 林小雨 (The client in person)" in html
    assert f"/files/{signed.document_id}/" in html
    # Front desk sees the timeline, never the consent (clients.health).
    desk = front_desk_a.get(timeline_url(s["client"].pk))
    assert desk.status_code == 200
    desk_html = desk.content.decode()
    assert "肉毒素注射同意书" not in desk_html
    assert f"/files/{signed.document_id}/" not in desk_html


def test_the_consent_timeline_is_newest_first_in_one_query(cast, setup, practitioner_a):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from verticals.aesthetic.consents.client_file import timeline_entries

    s = setup
    first = _sign(cast, s)
    with tenant_context(cast.tenant_a):
        SignedConsent.objects.filter(pk=first.pk).update(signed_at=NOW - dt.timedelta(days=3))
    later = [_sign(cast, s, name=f"Signer {n}") for n in range(3)]
    user = s["doctor"]
    with tenant_context(cast.tenant_a), CaptureQueriesContext(db) as queries:
        entries = timeline_entries(s["client"], user, 10)
    selects = [q for q in queries.captured_queries if not q["sql"].startswith("SET ")]
    assert len(selects) == 1
    assert [e.url for e in entries][-1] == f"/files/{first.document_id}/"
    assert {e.url for e in entries[:3]} == {f"/files/{c.document_id}/" for c in later}
    assert [e.sort_key for e in entries] == sorted((e.sort_key for e in entries), reverse=True)
    with tenant_context(cast.tenant_a):
        assert len(timeline_entries(s["client"], user, 2)) == 2


def test_a_consent_of_tenant_a_is_not_on_a_timeline_of_tenant_b(cast, setup, twins):
    s = setup
    a_client, b_client = twins(
        Client,
        lambda tenant: ClientFactory(name=f"Twin {tenant.schema_name}"),
    )
    with tenant_context(cast.tenant_a):
        signed = services.consent_sign(
            client=a_client,
            version=s["version"],
            actor=s["doctor"],
            signer_name="Twin A signer",
            signer_role="client",
            language="en",
            signature_png=demo.signature_png(1),
        )
    tenant_b = type(cast.tenant_b).objects.get(pk=cast.tenant_b.pk)
    tenant_b.extra_verticals = ["aesthetic"]
    tenant_b.save(update_fields=["extra_verticals"])
    owner_b = signed_in(cast.tenant_b, cast.host_b, cast.owner_b)
    page = owner_b.get(timeline_url(b_client.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Twin A signer" not in html and "肉毒素注射同意书" not in html
    assert f"/files/{signed.document_id}/" not in html


def test_a_refused_completion_is_said_beside_complete_with_a_link_to_sign(
    cast, setup, practitioner_a, front_desk_a
):
    s = setup
    appointment = s["appointment"]
    with tenant_context(cast.tenant_a):
        appointment_transition(appointment=appointment, to="arrived", actor=s["doctor"])
        visits_before = appointment.client.visits.count()
    action = f"/appointments/{appointment.pk}/status/"
    refused = practitioner_a.post(action, {"action": "complete"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'id="complete-refused"' in html
    assert "cannot be completed yet" in html and "is not signed yet" in html
    assert "肉毒素注射同意书" in html
    sign = f"{sign_url(s['client'].pk, s['form'].pk)}?appointment={appointment.pk}"
    assert f'href="{sign}"' in html
    assert 'value="complete"' in html  # the button is still there, beside the reason
    with tenant_context(cast.tenant_a):
        appointment.refresh_from_db()
        assert appointment.status == "arrived" and appointment.visit_id is None
        assert appointment.client.visits.count() == visits_before
    # Not also a page flash on the next page.
    assert (
        "is not signed yet"
        not in practitioner_a.get(f"/appointments/{appointment.pk}/").content.decode()
    )
    # Front desk is told why, without a link it may not follow.
    desk = front_desk_a.post(action, {"action": "complete"})
    assert desk.status_code == 400
    desk_html = desk.content.decode()
    assert "is not signed yet" in desk_html and sign not in desk_html
    # The link leads to the form; once signed, Complete goes through.
    assert practitioner_a.get(sign).status_code == 200
    _sign(cast, s)
    done = practitioner_a.post(action, {"action": "complete"})
    assert done.status_code == 302
    with tenant_context(cast.tenant_a):
        appointment.refresh_from_db()
        assert appointment.status == "completed"


def test_the_refusal_beside_complete_is_translated(cast, setup):
    from accounts.models import User

    s = setup
    with tenant_context(cast.tenant_a):
        appointment_transition(appointment=s["appointment"], to="arrived", actor=s["doctor"])
        User.objects.filter(email=cast.practitioner_a).update(language="zh-hans")
    doctor = signed_in(cast.tenant_a, cast.host_a, cast.practitioner_a)
    refused = doctor.post(f"/appointments/{s['appointment'].pk}/status/", {"action": "complete"})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "此预约暂时无法完成。" in html and "未签署" in html and "签署“肉毒素注射同意书”" in html
