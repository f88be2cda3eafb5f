"""Serving stored files: signed in, in the owning tenant, with the file's capability;
each file looked at is in the audit trail; the answer is never cached or sniffed."""

from __future__ import annotations

import uuid

import pytest
from django.template.loader import render_to_string
from django_tenants.utils import tenant_context

from accounts.roles import Capability
from tests.conftest import staff_member
from tests.factories import ClientFactory
from tests.test_filestore import jpeg_with_gps, pdf_bytes, png_bytes, store

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content)  # the test client closes it once read


def view_entries(cast, stored):
    from audit.models import AuditEntry

    with tenant_context(cast.tenant_a):
        return list(
            AuditEntry.objects.filter(
                action="view_health", object_type="stored_file", object_id=str(stored.pk)
            )
        )


def test_a_practitioner_opens_the_image_and_its_thumbnail_inline_never_cached(
    cast, storage, practitioner_a
):
    stored = store(cast, jpeg_with_gps(), name="面部 正面.jpg")
    response = practitioner_a.get(stored.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    assert body(response) == (storage / stored.path).read_bytes()
    thumb = practitioner_a.get(stored.thumb_url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert body(thumb) == (storage / stored.thumb_path).read_bytes()


def test_a_pdf_is_served_as_a_pdf_and_has_no_thumbnail(cast, storage, owner_a):
    stored = store(cast, pdf_bytes(), name="consent.pdf", kinds=("pdf",))
    response = owner_a.get(stored.url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert body(response).startswith(b"%PDF-")
    assert owner_a.get(stored.thumb_url).status_code == 404


def test_front_desk_without_clinical_permission_gets_the_forbidden_page(
    cast, storage, front_desk_a
):
    stored = store(cast, png_bytes())
    for url in (stored.url, stored.thumb_url):
        response = front_desk_a.get(url)
        assert response.status_code == 403
        assert "portal/forbidden.html" in [t.name for t in response.templates]
    assert view_entries(cast, stored) == []


def test_a_file_whose_capability_nobody_declared_is_refused(cast, storage, owner_a):
    from filestore.models import StoredFile

    stored = store(cast, png_bytes())
    with tenant_context(cast.tenant_a):
        StoredFile.objects.filter(pk=stored.pk).update(capability="gone.vertical")
    assert owner_a.get(stored.url).status_code == 403


def test_signed_out_is_sent_to_sign_in(cast, storage):
    from django.test import Client

    stored = store(cast, png_bytes())
    response = Client(HTTP_HOST=cast.host_a).get(stored.url)
    assert response.status_code == 302 and stored.url not in response["Location"].split("?")[0]
    assert response["Cache-Control"] == "no-store"


def test_tenant_b_never_serves_tenant_as_file_even_with_a_row_of_that_id(
    cast, storage, owner_b, practitioner_a
):
    from filestore.models import StoredFile

    a_file = store(cast, png_bytes(color=(255, 0, 0)))
    assert owner_b.get(a_file.url).status_code == 404
    assert owner_b.get(a_file.thumb_url).status_code == 404
    # B holds a row with the very same id: B's host serves B's bytes, never A's.
    b_file = store(
        cast,
        png_bytes(size=(10, 10), color=(0, 0, 255)),
        tenant=cast.tenant_b,
        purpose="dental.xray",
    )
    with tenant_context(cast.tenant_b):
        StoredFile.objects.filter(pk=b_file.pk).update(id=a_file.pk)
    served = body(owner_b.get(a_file.url))
    assert served == (storage / b_file.path).read_bytes() != (storage / a_file.path).read_bytes()
    assert b_file.path.startswith(f"tenants/{cast.tenant_b.schema_name}/")
    assert body(practitioner_a.get(a_file.url)) == (storage / a_file.path).read_bytes()


def test_an_unknown_or_erased_file_is_404(
    cast, storage, owner_a, django_capture_on_commit_callbacks
):
    from filestore.services import erase_client_files

    assert owner_a.get(f"/files/{uuid.uuid4()}/").status_code == 404
    stored = store(cast, png_bytes())
    with tenant_context(cast.tenant_a), django_capture_on_commit_callbacks(execute=True):
        erase_client_files(stored.client)
    assert owner_a.get(stored.url).status_code == 404


def test_every_file_looked_at_is_in_the_audit_trail(cast, storage, practitioner_a, owner_a):
    first = store(cast, png_bytes())
    with tenant_context(cast.tenant_a):
        client = first.client
    second = store(cast, png_bytes(), client=client)
    practitioner_a.get(first.url)
    practitioner_a.get(first.thumb_url)  # the same look at the same file
    practitioner_a.get(second.thumb_url)
    owner_a.get(first.url)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    owner = staff_member(cast.tenant_a, cast.owner_a)
    one = view_entries(cast, first)
    assert sorted(e.actor_id for e in one) == sorted([doctor.pk, owner.pk])
    assert all(e.client_id == client.pk for e in one)
    assert [e.actor_id for e in view_entries(cast, second)] == [doctor.pk]


def test_opening_a_file_takes_the_same_queries_however_many_files_there_are(
    cast, storage, practitioner_a, django_assert_max_num_queries
):
    first = store(cast, png_bytes())
    with tenant_context(cast.tenant_a):
        client = first.client
    practitioner_a.get(first.url)  # the session and user are warm; the look is recorded
    with django_assert_max_num_queries(8) as few:
        body(practitioner_a.get(first.url))
    others = [store(cast, png_bytes(), client=client) for _ in range(5)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        body(practitioner_a.get(first.url))
    with django_assert_max_num_queries(len(few.captured_queries) + 4):
        body(practitioner_a.get(others[-1].url))  # a new look is one entry more


def test_the_thumbnail_include_renders_a_list_with_one_query(
    cast, storage, django_assert_num_queries
):
    from filestore.selectors import files_for

    first = store(cast, png_bytes())
    with tenant_context(cast.tenant_a):
        client = first.client
    for _ in range(4):
        store(cast, png_bytes(), client=client)
    store(cast, pdf_bytes(), client=client, kinds=("pdf",))
    with tenant_context(cast.tenant_a):
        # the schema's SET search_path is sent with the first query: send it before counting
        client.refresh_from_db(fields=["pk"])
        with django_assert_num_queries(1):
            html = "".join(
                render_to_string("filestore/thumb.html", {"file": f, "alt": "Before"})
                for f in files_for(client, "aesthetic.photo")
            )
    assert html.count("<img") == 5 and html.count('alt="Before"') == 5
    assert f'href="{first.url}"' in html and f'src="{first.thumb_url}"' in html
    assert html.count("<a ") == 6 and "style=" not in html


def test_a_client_export_lists_files_the_user_may_open(cast, storage):
    from filestore import client_data

    stored = store(cast, png_bytes())
    with tenant_context(cast.tenant_a):
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        owner = staff_member(cast.tenant_a, cast.owner_a)
        assert client_data.export(stored.client, user=desk) == []
        [row] = client_data.export(stored.client, user=owner)
        assert row["id"] == str(stored.pk) and row["purpose"] == "aesthetic.photo"
        assert ClientFactory is not None and Capability.VIEW_HEALTH


def test_a_file_of_a_trade_that_is_off_is_hidden_like_its_pages_and_kept(cast, storage, owner_a):
    from filestore.models import StoredFile

    from tenants.models import Tenant

    # given an X-ray (a dental file) in the aesthetic clinic A, which has dental off
    xray = store(cast, png_bytes(), name="bitewing.png", purpose="dental.xray")
    # when its owner opens it, then it is 404 and still stored
    assert owner_a.get(xray.url).status_code == 404
    assert owner_a.get(xray.thumb_url).status_code == 404
    with tenant_context(cast.tenant_a):
        assert StoredFile.objects.filter(pk=xray.pk, erased_at__isnull=True).exists()
    assert (storage / xray.path).exists()
    # when A turns dental on, then it is served; and A's own trade's files always are
    Tenant.objects.filter(pk=cast.tenant_a.pk).update(extra_verticals=["dental"])
    assert owner_a.get(xray.url).status_code == 200
    photo = store(cast, png_bytes(), name="cheek.png", purpose="aesthetic.photo")
    assert owner_a.get(photo.url).status_code == 200


def test_every_vertical_file_purpose_is_claimed_by_its_vertical():
    from verticals import registry
    from verticals.aesthetic.consents import services as consents
    from verticals.aesthetic.services import PHOTO_PURPOSE
    from verticals.dental.services import XRAY_PURPOSE

    assert XRAY_PURPOSE in registry.get("dental").file_purposes
    for purpose in (PHOTO_PURPOSE, consents.PURPOSE, consents.SIGNATURE_PURPOSE):
        assert purpose in registry.get("aesthetic").file_purposes
