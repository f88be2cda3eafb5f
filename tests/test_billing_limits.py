"""Plan limits where they bite (issue 13 point 4): staff seats, clients, storage, a second
trade, online booking and the text-message allowance; billing off enforces nothing."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import tenant_context

from billing import limits
from billing.models import Plan
from billing.services import subscription_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiny(cast, settings):
    """Tenant A and B on a small plan, billing on."""
    settings.BILLING_ENABLED = True
    plan = Plan.objects.create(
        code="tiny",
        name_en="Tiny",
        name_zh="小",
        staff_seats=10,
        clients=1000,
        sms_per_month=100,
        storage_mb=100,
        online_booking=True,
        second_vertical=False,
    )
    for tenant in (cast.tenant_a, cast.tenant_b):
        subscription = subscription_for(tenant)
        subscription.plan = plan
        subscription.save()
    return plan


def _set(plan, **values):
    Plan.objects.filter(pk=plan.pk).update(**values)


def _seats(tenant):
    return limits.usage(tenant, limits.STAFF_SEATS)


def _invite(tenant, email):
    from accounts.models import User
    from accounts.services import staff_invite

    with tenant_context(tenant):
        owner = User.objects.filter(roles__contains=["owner"]).first()
        return staff_invite(
            invited_by=owner,
            email=email,
            full_name="New Person",
            roles=["front_desk"],
            portal_url="http://alpha.localhost",
        )


def test_staff_seats_count_open_invitations_and_refuse_beyond(cast, tiny):
    used = _seats(cast.tenant_a)
    _set(tiny, staff_seats=used + 1)
    _invite(cast.tenant_a, "one@alpha.test")
    assert _seats(cast.tenant_a) == used + 1
    with pytest.raises(ValidationError) as caught:
        _invite(cast.tenant_a, "two@alpha.test")
    assert caught.value.error_dict["email"][0].code == "plan_limit"
    # Re-inviting the same address replaces its invitation: no extra seat.
    _invite(cast.tenant_a, "one@alpha.test")


def test_tenant_b_usage_does_not_count_towards_a(cast, tiny):
    a, b = _seats(cast.tenant_a), _seats(cast.tenant_b)
    assert a != b
    _set(tiny, staff_seats=a + 1)
    _invite(cast.tenant_a, "three@alpha.test")  # B's staff are not A's seats
    with tenant_context(cast.tenant_b):
        assert limits.usage(cast.tenant_a, limits.STAFF_SEATS) == a + 1


def test_invite_page_shows_error_beside_email_with_billing_link(cast, tiny, owner_a):
    _set(tiny, staff_seats=_seats(cast.tenant_a))
    response = owner_a.post(
        "/accounts/staff/",
        {"email": "four@alpha.test", "full_name": "Four", "roles": ["front_desk"]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_errors"' in html
    errors = html.split('id="id_email_errors"', 1)[1].split("</div>", 1)[0]
    assert "Tiny" in errors and "/settings/billing/" in errors


def _client_create(tenant, name="Lim Client"):
    from clients.services import ClientData, client_create

    with tenant_context(tenant):
        return client_create(data=ClientData(values={"name": name}), created_by=None)


def test_clients_beyond_limit_refused(cast, tiny):
    with tenant_context(cast.tenant_a):
        used = limits.usage(cast.tenant_a, limits.CLIENTS)
    _set(tiny, clients=used + 1)
    _client_create(cast.tenant_a)
    with pytest.raises(ValidationError) as caught:
        _client_create(cast.tenant_a, "Too Many")
    assert caught.value.code == "plan_limit"
    assert limits.room(cast.tenant_a, limits.CLIENTS) == 0
    # Tenant B's files are its own: its room is counted from its own clients.
    with tenant_context(cast.tenant_b):
        b_used = limits.usage(cast.tenant_b, limits.CLIENTS)
    assert limits.room(cast.tenant_b, limits.CLIENTS) == max(used + 1 - b_used, 0)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


def test_storage_beyond_plan_refused_beside_file(cast, tiny, storage):
    from filestore.services import store_upload

    _set(tiny, storage_mb=0)
    with tenant_context(cast.tenant_a), pytest.raises(ValidationError) as caught:
        store_upload(
            upload=SimpleUploadedFile("a.png", _png(), content_type="image/png"),
            client=None,
            actor=None,
            purpose="test",
            capability="view_clients",
        )
    assert caught.value.error_dict["file"][0].code == "plan_limit"
    _set(tiny, storage_mb=1)
    limits.check(cast.tenant_a, limits.STORAGE, 1000)
    with pytest.raises(ValidationError):
        limits.check(cast.tenant_a, limits.STORAGE, 2 * limits.MB)


def test_second_vertical_needs_the_feature(cast, tiny):
    from tenants.services import tenant_verticals_set
    from verticals import registry

    tenant = cast.tenant_a
    primary = registry.for_business_type(tenant.business_type or "")
    other = next(v.key for v in registry.all_verticals() if primary is None or v.key != primary.key)
    before = list(tenant.extra_verticals or [])
    with tenant_context(tenant):
        with pytest.raises(ValidationError) as caught:
            tenant_verticals_set(tenant=tenant, keys=[*before, other])
        assert caught.value.error_dict["verticals"][0].code == "plan_feature"
        _set(tiny, second_vertical=True)
        tenant_verticals_set(tenant=tenant, keys=[*before, other])
        tenant_verticals_set(tenant=tenant, keys=before)


def test_online_booking_off_hides_public_pages(cast, tiny, owner_a):
    from django.test import Client

    _set(tiny, online_booking=False)
    response = Client(HTTP_HOST=cast.host_a).get("/book/")
    assert response.status_code == 404
    assert "Online booking is not available" in response.content.decode()
    setup = owner_a.get("/appointments/setup/")
    assert setup.status_code == 200
    assert "does not include online booking" in setup.content.decode()
    _set(tiny, online_booking=True)
    assert Client(HTTP_HOST=cast.host_a).get("/book/").status_code == 200
    assert (
        "does not include online booking"
        not in owner_a.get("/appointments/setup/").content.decode()
    )


def test_sms_allowance_and_check(cast, tiny):
    assert limits.sms_allowance(cast.tenant_a, None) == 100
    limits.check_sms(cast.tenant_a, 99, 1)
    with pytest.raises(ValidationError) as caught:
        limits.check_sms(cast.tenant_a, 99, 2)
    assert caught.value.code == "plan_limit"
    _set(tiny, sms_per_month=None)
    assert limits.sms_allowance(cast.tenant_a, None) is None
    limits.check_sms(cast.tenant_a, 10**6, 5)


def test_billing_off_enforces_nothing(cast, tiny, settings):
    _set(tiny, staff_seats=0, clients=0, storage_mb=0, sms_per_month=0, online_booking=False)
    settings.BILLING_ENABLED = False
    limits.check(cast.tenant_a, limits.STAFF_SEATS)
    limits.check(cast.tenant_a, limits.CLIENTS, 50)
    limits.check(cast.tenant_a, limits.STORAGE, limits.MB)
    limits.check_sms(cast.tenant_a, 5, 1)
    assert limits.sms_allowance(cast.tenant_a) is None
    limits.require_feature(cast.tenant_a, "second_vertical")
    assert limits.has_feature(cast.tenant_a, "online_booking")
    _invite(cast.tenant_a, "free@alpha.test")
    connection.set_schema_to_public()


def test_an_import_beyond_the_client_limit_names_its_row_and_writes_nothing(
    cast, tiny, storage, owner_a
):
    from clients.models import Client
    from imports.models import ImportJob, JobStatus
    from tests.sheets import upload, xlsx_file

    with tenant_context(cast.tenant_a):
        before = Client.objects.count()
    _set(tiny, clients=before + 1)
    rows = [["B-200", "李静"], ["B-201", "王芳"], ["B-202", "张伟"]]
    job_id = upload(owner_a, xlsx_file(["档案编号", "姓名"], rows))
    page = owner_a.get(f"/clients/import/{job_id}/mapping/")
    chosen = {f"col_{index}": key for index, _h, _s, key in page.context["columns"]}
    assert owner_a.post(f"/clients/import/{job_id}/mapping/", chosen).status_code == 302
    response = owner_a.post(f"/clients/import/{job_id}/commit/", {}, follow=True)
    body = response.content.decode()
    # the sheet's row 3 is the second new client, the first beyond the one place left
    assert "Row 3 and the 1 new clients after it are beyond your plan" in body
    with tenant_context(cast.tenant_a):
        assert Client.objects.count() == before
        assert ImportJob.objects.get(pk=job_id).status != JobStatus.DONE
