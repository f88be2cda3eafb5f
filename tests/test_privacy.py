"""Consent records, export of a client's whole file, and erasure on request."""

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context
from PIL import Image
from pypdf import PdfReader

from accounts.models import User
from audit.display import note_text
from audit.models import AuditEntry
from clients.models import Client, ClientHealth
from clients.services import client_health_update
from privacy.models import ConsentRecord
from privacy.selectors import current_consents
from privacy.services import client_erase, consent_record
from tests.conftest import signed_in
from tests.factories import ClientFactory
from tests.money_source_helpers import billed_visit
from visits.models import Visit
from visits.services import visit_create

VALID_ID = "11010519491231002X"


def _manager(cast):
    from accounts.services import staff_create

    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mia Manager",
            email="mgr@alpha.test",
            password="Pass-Word-1234",
            roles=["manager"],
        )
    return signed_in(cast.tenant_a, cast.host_a, "mgr@alpha.test")


# --- consent -------------------------------------------------------------------------


def test_a_withdrawal_is_a_new_record_and_the_newest_record_is_the_state(cast, owner_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a, name="张三")
    earlier = timezone.now() - timedelta(days=30)
    with tenant_context(cast.tenant_a):
        consent_record(
            client=client,
            purpose="marketing_sms",
            granted=True,
            method="written",
            recorded_at=earlier,
        )
    # when: the front desk records the withdrawal through the tab's form
    response = owner_a.post(
        f"/clients/{client.pk}/privacy/consent/",
        {"purpose": "marketing_sms", "granted": "0", "method": "verbal", "note": "电话里说的"},
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/clients/{client.pk}/consent/"
    with tenant_context(cast.tenant_a):
        assert ConsentRecord.objects.filter(client=client).count() == 2
        current = current_consents([client.pk])[client.pk]
        assert set(current) == {"marketing_sms"}
        assert current["marketing_sms"].granted is False
        assert current["marketing_sms"].method == "verbal"
        assert AuditEntry.objects.filter(action="consent", client_id=client.pk).count() == 2
    page = owner_a.get(f"/clients/{client.pk}/consent/").content.decode()
    assert "Withdrawn" in page and "Granted" in page and "电话里说的" in page
    assert page.count("Not recorded") == 3  # the other three purposes


def test_each_purpose_is_separate(cast, db):
    client = ClientFactory(tenant=cast.tenant_a, name="张三")
    with tenant_context(cast.tenant_a):
        consent_record(client=client, purpose="marketing_email", granted=True, method="online")
        consent_record(client=client, purpose="health_data", granted=True, method="written")
        consent_record(client=client, purpose="marketing_email", granted=False, method="online")
        current = current_consents([client.pk])[client.pk]
    assert {k: v.granted for k, v in current.items()} == {
        "marketing_email": False,
        "health_data": True,
    }


def test_a_bad_consent_form_shows_the_error_beside_the_field(cast, front_desk_a):
    client = ClientFactory(tenant=cast.tenant_a, name="张三")
    response = front_desk_a.post(
        f"/clients/{client.pk}/privacy/consent/", {"purpose": "telepathy", "method": "written"}
    )
    assert response.status_code == 400
    form = response.context["consent_form"]
    assert "purpose" in form.errors and "granted" in form.errors
    with tenant_context(cast.tenant_a):
        assert not ConsentRecord.objects.exists()


def test_current_consents_of_many_clients_is_one_query(cast, db, django_assert_num_queries):
    clients = [ClientFactory(tenant=cast.tenant_a, name=f"客户{n}") for n in range(4)]
    with tenant_context(cast.tenant_a):
        for client in clients:
            consent_record(client=client, purpose="marketing_sms", granted=True, method="written")
            consent_record(client=client, purpose="marketing_sms", granted=False, method="online")
        assert Client.objects.exists()
        with django_assert_num_queries(1):
            found = current_consents([c.pk for c in clients])
    assert all(found[c.pk]["marketing_sms"].granted is False for c in clients)


def test_the_consent_tab_keeps_a_constant_number_of_queries(
    cast, owner_a, django_assert_max_num_queries
):
    client = ClientFactory(tenant=cast.tenant_a, name="张三")

    def add(n):
        with tenant_context(cast.tenant_a):
            for i in range(n):
                consent_record(
                    client=client,
                    purpose=["data_processing", "health_data", "marketing_sms"][i % 3],
                    granted=bool(i % 2),
                    method="written",
                )

    add(2)
    owner_a.get(f"/clients/{client.pk}/consent/")
    with django_assert_max_num_queries(12) as few:
        assert owner_a.get(f"/clients/{client.pk}/consent/").status_code == 200
    add(30)
    with django_assert_max_num_queries(len(few)):
        assert owner_a.get(f"/clients/{client.pk}/consent/").status_code == 200


# --- export --------------------------------------------------------------------------


def _client_with_everything(cast) -> Client:
    client = ClientFactory(
        tenant=cast.tenant_a,
        name="张三丰",
        mobile="+8613812345678",
        email="zsf@example.com",
        national_id=VALID_ID,
    )
    with tenant_context(cast.tenant_a):
        client_health_update(client=client, values={"drug_allergies": "青霉素"}, updated_by=None)
        billed_visit(client=client, amount=Decimal("880"), visited_on=date(2024, 5, 1))
        consent_record(client=client, purpose="data_processing", granted=True, method="written")
    return client


def test_the_owner_exports_the_whole_file_with_health_and_full_id(cast, owner_a):
    client = _client_with_everything(cast)
    response = owner_a.get(f"/clients/{client.pk}/privacy/export.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'"{client.file_number}.json"')
    data = json.loads(response.content)
    assert data["client"]["name"] == "张三丰" and data["client"]["national_id"] == VALID_ID
    assert data["client"]["mobile"] == "+8613812345678"
    assert data["health"]["drug_allergies"] == "青霉素"
    assert data["visits"] == [
        {
            "date": "2024-05-01",
            "treatment_items": [],
            "practitioner": None,
            "satisfaction": None,
            "amount": "880.00",
            "efficacy": "",
            "suggestions": "",
            "origin": "manual",
        }
    ]
    assert [c["purpose"] for c in data["consents"]] == ["data_processing"]
    with tenant_context(cast.tenant_a):
        entry = AuditEntry.objects.get(action="export", client_id=client.pk)
        assert "health" in entry.fields and "张三丰" not in entry.note


def test_a_manager_exports_without_health_data_or_the_full_id(cast, db):
    manager = _manager(cast)
    client = _client_with_everything(cast)
    with tenant_context(cast.tenant_a):
        visit_create(
            client=client, values={"visited_on": date(2024, 6, 1), "efficacy": "术后红肿三天"}
        )
    data = json.loads(manager.get(f"/clients/{client.pk}/privacy/export.json").content)
    assert "health" not in data
    # Clinical notes of visits are health data too.
    assert "术后红肿三天" not in json.dumps(data, ensure_ascii=False)
    assert all("efficacy" not in visit for visit in data["visits"])
    assert data["client"]["national_id"].endswith("002X") and VALID_ID not in json.dumps(data)


def test_front_desk_and_practitioners_cannot_export(cast, front_desk_a, practitioner_a):
    client = _client_with_everything(cast)
    for user in (front_desk_a, practitioner_a):
        assert user.get(f"/clients/{client.pk}/privacy/export.json").status_code == 403
        assert user.get(f"/clients/{client.pk}/privacy/export.pdf").status_code == 403
    assert "export.json" not in front_desk_a.get(f"/clients/{client.pk}/consent/").content.decode()


def test_the_pdf_summary_is_a_pdf_that_shows_the_chinese_name(cast, owner_a):
    client = _client_with_everything(cast)
    response = owner_a.get(f"/clients/{client.pk}/privacy/export.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "张三丰" in text and client.file_number in text and "青霉素" in text
    with tenant_context(cast.tenant_a):
        assert AuditEntry.objects.filter(action="export", client_id=client.pk).exists()


# --- erasure -------------------------------------------------------------------------


def _tiny_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()


def _rows_containing(schema: str, needle: str) -> list[str]:
    """Every text-like column of every table in the schema that holds ``needle``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND data_type IN "
            "('text', 'character varying', 'jsonb', 'json', 'ARRAY')",
            [schema],
        )
        columns = cursor.fetchall()
        found = []
        for table, column in columns:
            cursor.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}"::text LIKE %s',
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def test_erasure_leaves_no_personal_data_in_any_table_and_keeps_the_totals(
    cast, owner_a, storage, tmp_path, django_capture_on_commit_callbacks
):
    # given
    client = _client_with_everything(cast)
    with tenant_context(cast.tenant_a):
        Client.objects.filter(pk=client.pk).update(
            other_phones=["+8613900001111"],
            address="上海市淮海中路一号",
            special_notes="张三丰 怕痛",
            custom={"nickname": "张三丰"},
        )
        client.refresh_from_db()
        client.photo.save("face.png", ContentFile(_tiny_png()))
        photo_path = tmp_path / client.photo.name
        assert photo_path.exists()
        billed_visit(
            client=client,
            amount=Decimal("120"),
            values={"visited_on": date(2024, 6, 1), "suggestions": "张三丰说好"},
        )
        consent_record(
            client=client,
            purpose="marketing_sms",
            granted=True,
            method="written",
            note="13812345678",
        )
    page = owner_a.get(f"/clients/{client.pk}/privacy/erase/")
    assert page.status_code == 200
    # when: a wrong file number is refused
    wrong = owner_a.post(f"/clients/{client.pk}/privacy/erase/", {"file_number": "C999999"})
    assert wrong.status_code == 400 and "file_number" in wrong.context["form"].errors
    # when: the right one erases
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_a.post(
            f"/clients/{client.pk}/privacy/erase/", {"file_number": client.file_number.lower()}
        )
    # then
    assert response.status_code == 302
    schema = cast.tenant_a.schema_name
    with tenant_context(cast.tenant_a):
        for needle in (
            "张三丰",
            "13812345678",
            "13900001111",
            "zsf@example.com",
            VALID_ID,
            "上海市淮海中路",
            "青霉素",
        ):
            assert _rows_containing(schema, needle) == [], needle
        client.refresh_from_db()
        assert client.name == f"Erased client {client.file_number}"
        assert client.erased_at is not None and client.photo.name == ""
        assert client.national_id_index == "" and client.custom == {}
        assert not ClientHealth.objects.filter(client=client).exists()
        assert client.visit_count == 2 and client.total_spend == Decimal("1000")
        assert sorted(Visit.objects.filter(client=client).values_list("visited_on", "amount")) == [
            (date(2024, 5, 1), Decimal("880")),
            (date(2024, 6, 1), Decimal("120")),
        ]
        consents = list(ConsentRecord.objects.filter(client=client))
        assert len(consents) == 2 and all(c.note == "" for c in consents)
        entry = AuditEntry.objects.get(action="erase", client_id=client.pk)
        assert note_text(entry.note) == f"erased file {client.file_number}"
    assert not photo_path.exists()
    # and: the profile says so; the list no longer shows the file, and search cannot find it
    profile = owner_a.get(response["Location"]).content.decode()
    assert f"Erased client {client.file_number}" in profile and "was erased" in profile
    assert client.file_number not in owner_a.get("/clients/").content.decode()
    assert "Erased client" not in owner_a.get("/clients/", {"q": "zsf"}).content.decode()


def test_only_the_owner_may_erase(cast, front_desk_a, practitioner_a):
    manager = _manager(cast)
    client = ClientFactory(tenant=cast.tenant_a, name="张三")
    for user in (manager, front_desk_a, practitioner_a):
        assert user.get(f"/clients/{client.pk}/privacy/erase/").status_code == 403
        response = user.post(
            f"/clients/{client.pk}/privacy/erase/", {"file_number": client.file_number}
        )
        assert response.status_code == 403
    with tenant_context(cast.tenant_a):
        client.refresh_from_db()
        assert client.erased_at is None and client.name == "张三"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/clients/{pk}/consent/"),
        ("post", "/clients/{pk}/privacy/consent/"),
        ("get", "/clients/{pk}/privacy/export.json"),
        ("get", "/clients/{pk}/privacy/export.pdf"),
        ("get", "/clients/{pk}/privacy/erase/"),
        ("post", "/clients/{pk}/privacy/erase/"),
    ],
)
def test_tenant_b_reaches_only_its_own_file_on_the_privacy_pages(
    cast, owner_b, twins, method, path
):
    # given: a client in each tenant with the same id
    client_a, client_b = twins(
        Client,
        lambda tenant: ClientFactory(name="张三" if tenant.pk == cast.tenant_a.pk else "李四"),
    )
    data = (
        {"purpose": "marketing_sms", "granted": "1", "method": "written"}
        if "consent" in path
        else {"file_number": client_b.file_number}
    )
    # when
    url = path.format(pk=client_a.pk)
    response = owner_b.get(url) if method == "get" else owner_b.post(url, data)
    # then: B's own file answers; A's is untouched
    assert response.status_code in (200, 302)
    if response["Content-Type"].startswith("text/html") and response.status_code == 200:
        page = response.content.decode()
        assert "李四" in page and "张三" not in page
    with tenant_context(cast.tenant_a):
        client_a.refresh_from_db()
        assert client_a.name == "张三" and client_a.erased_at is None
        assert not ConsentRecord.objects.exists()


@pytest.mark.clock(datetime(2026, 3, 20, 4, 0, tzinfo=UTC))
def test_an_erased_file_takes_no_new_personal_data(cast, owner_a):
    from contactlog.models import ContactEntry
    from tests.test_client_organising import _edit_form

    client = _client_with_everything(cast)
    with tenant_context(cast.tenant_a):
        client_erase(client=client, actor=None)
        owner = User.objects.get(email=cast.owner_a)
        visits = Visit.objects.filter(client=client).count()
        contacts = ContactEntry.objects.filter(client=client).count()
    profile = owner_a.get(f"/clients/{client.pk}/").content.decode()
    assert f"/clients/{client.pk}/edit/" not in profile
    assert "/visits/client/" not in owner_a.get(f"/clients/{client.pk}/visits/").content.decode()
    form = _edit_form(client, owner_a.get(f"/clients/{client.pk}/edit/"))
    attempts = [
        (f"/clients/{client.pk}/edit/", {**form, "name": "张三丰", "mobile": "13812345678"}),
        (f"/clients/{client.pk}/health/edit/", {"drug_allergies": "青霉素", "pregnancy": ""}),
        (f"/visits/client/{client.pk}/new/", {"visited_on": "2026-03-01", "efficacy": "好"}),
        (
            f"/contacts/client/{client.pk}/new/",
            {
                "contacted_at": "2026-03-02T09:30",
                "staff": owner.pk,
                "purpose": "follow_up",
                "channel": "phone",
                "summary": "回访",
            },
        ),
    ]
    for url, data in attempts:
        response = owner_a.post(url, data)
        assert response.status_code == 400, url
        assert "This file was erased." in response.content.decode(), url
    with tenant_context(cast.tenant_a):
        client.refresh_from_db()
        assert client.name.startswith("Erased client") and client.mobile == ""
        assert not ClientHealth.objects.filter(client=client).exists()
        assert Visit.objects.filter(client=client).count() == visits
        assert ContactEntry.objects.filter(client=client).count() == contacts
