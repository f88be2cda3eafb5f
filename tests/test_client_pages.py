"""Every page about one client loads it the same way (clients.selectors.client_for_page):
an erased file behaves alike on all of them, an id of another tenant is a 404, and where
both tenants hold a client of the same id each reaches only its own."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from clients.models import Client, ClientHealth
from contactlog.models import ContactEntry
from privacy.models import ConsentRecord
from privacy.services import client_erase
from tests.conftest import staff_member
from tests.factories import ClientFactory

# Visits and contacts below are dated 1 March 2026: they may not lie in the future.
pytestmark = pytest.mark.clock(datetime(2026, 3, 20, 4, 0, tzinfo=UTC))

# Pages that read a file (profile, each tab, exports).
READ_PAGES = [
    "/clients/{pk}/",
    "/clients/{pk}/details/",
    "/clients/{pk}/timeline/",
    "/clients/{pk}/health/",
    "/clients/{pk}/custom/",
    "/clients/{pk}/visits/",
    "/clients/{pk}/contacts/",
    "/clients/{pk}/consent/",
    "/clients/{pk}/audit/",
    "/clients/{pk}/privacy/export.json",
    "/clients/{pk}/privacy/export.pdf",
]
# Pages with a form that writes to the file; for an erased file the service refuses the
# write beside the form.
FORM_PAGES = [
    "/clients/{pk}/edit/",
    "/clients/{pk}/health/edit/",
    "/clients/{pk}/privacy/consent/",
    "/visits/client/{pk}/new/",
    "/contacts/client/{pk}/new/",
]
# Pages an erased file has no use for.
LIVE_ONLY_PAGES = ["/clients/{pk}/privacy/erase/", "/clients/{pk}/merge/"]


def _writes(staff_pk: int) -> list[tuple[str, dict]]:
    return [
        (
            "/clients/{pk}/privacy/consent/",
            {"purpose": "marketing_sms", "granted": "1", "method": "written"},
        ),
        ("/clients/{pk}/health/edit/", {"drug_allergies": "青霉素", "pregnancy": ""}),
        ("/visits/client/{pk}/new/", {"visited_on": "2026-03-01", "amount": "100"}),
        (
            "/contacts/client/{pk}/new/",
            {
                "contacted_at": "2026-03-01T09:30",
                "staff": staff_pk,
                "purpose": "follow_up",
                "channel": "phone",
                "summary": "回访",
            },
        ),
    ]


def _text(response) -> str:
    """What the user reads on the page: the HTML, the JSON export or the PDF's text."""
    if response["Content-Type"].startswith("application/pdf"):
        reader = PdfReader(io.BytesIO(response.content))
        return "".join(page.extract_text() for page in reader.pages)
    if response["Content-Type"].startswith("application/json"):
        return json.loads(response.content)["client"]["name"]
    return response.content.decode()


@pytest.mark.parametrize("path", READ_PAGES + FORM_PAGES + LIVE_ONLY_PAGES)
def test_an_erased_file_behaves_alike_on_every_client_page(cast, owner_a, path):
    # given
    client = ClientFactory(tenant=cast.tenant_a, name="张三丰")
    with tenant_context(cast.tenant_a):
        client_erase(client=client, actor=None)
    # when
    response = owner_a.get(path.format(pk=client.pk))
    # then: it opens where it is read or refused beside a form, and nowhere else
    if path in LIVE_ONLY_PAGES:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        text = _text(response)
        assert "张三丰" not in text and f"Erased client {client.file_number}" in text


def test_every_write_to_an_erased_file_is_refused_beside_the_form(cast, owner_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a, name="张三丰")
    with tenant_context(cast.tenant_a):
        client_erase(client=client, actor=None)
    # when
    for path, data in _writes(staff_member(cast.tenant_a, cast.owner_a).pk):
        response = owner_a.post(path.format(pk=client.pk), data)
        # then
        assert response.status_code == 400, path
        assert "This file was erased." in response.content.decode(), path
    with tenant_context(cast.tenant_a):
        client.refresh_from_db()
        assert client.visit_count == 0
        assert not ClientHealth.objects.filter(client=client).exists()
        assert not ConsentRecord.objects.filter(client=client).exists()
        assert not ContactEntry.objects.filter(client=client).exists()


def test_an_id_that_only_another_tenant_holds_is_not_found_on_every_client_page(
    cast, owner_a, owner_b
):
    # given: a client of tenant A whose id tenant B does not hold
    client = ClientFactory(tenant=cast.tenant_a, name="张三丰")
    with tenant_context(cast.tenant_b):
        assert not Client.objects.filter(pk=client.pk).exists()
    # when / then
    for path in READ_PAGES + FORM_PAGES + LIVE_ONLY_PAGES:
        assert owner_b.get(path.format(pk=client.pk)).status_code == 404, path
    for path, data in _writes(staff_member(cast.tenant_b, cast.owner_b).pk):
        assert owner_b.post(path.format(pk=client.pk), data).status_code == 404, path
    erase = owner_b.post(
        f"/clients/{client.pk}/privacy/erase/", {"file_number": client.file_number}
    )
    assert erase.status_code == 404
    with tenant_context(cast.tenant_a):
        client.refresh_from_db()
        assert client.name == "张三丰" and client.erased_at is None
        assert client.visit_count == 0
        assert not ClientHealth.objects.filter(client=client).exists()
        assert not ConsentRecord.objects.exists() and not ContactEntry.objects.exists()
