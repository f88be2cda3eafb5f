"""A business cannot be destroyed by one click: the admin has no delete, closing and
purging take a typed confirmation and a reason, the data outlives closing for the
retention period, and every operator action is in the public log."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_exists

from tenants.models import OperatorAction, OperatorActionKind, Tenant, TenantStatus
from tests.conftest import OPERATOR, operator_signed_in, signed_in
from tests.factories import ClientFactory


def _act(client, tenant, action, **fields):
    data = {f"{action}-{name}": value for name, value in fields.items()}
    return client.post(f"/console/tenants/{tenant.pk}/{action}/", data)


def test_deleting_a_tenant_row_keeps_its_schema_and_the_admin_offers_no_delete(
    cast, db, public_client
):
    # given
    client = operator_signed_in(public_client)
    schema = cast.tenant_b.schema_name
    # when: the admin's delete page is asked for
    page = client.get(f"/admin/tenants/tenant/{cast.tenant_b.pk}/delete/")
    change = client.get(f"/admin/tenants/tenant/{cast.tenant_b.pk}/change/")
    # then
    assert page.status_code == 403
    assert change.status_code == 200
    html = change.content.decode()
    assert 'name="status"' not in html and "/delete/" not in html
    assert Tenant.objects.filter(pk=cast.tenant_b.pk).exists()
    # and: even a row deleted in code leaves the schema in place
    Tenant.objects.get(pk=cast.tenant_b.pk).delete()
    assert schema_exists(schema)


def test_an_admin_edit_cannot_change_a_tenants_status(cast, db, public_client):
    # given
    client = operator_signed_in(public_client)
    tenant = cast.tenant_b
    # when: a hand-made POST names the status
    client.post(
        f"/admin/tenants/tenant/{tenant.pk}/change/",
        {
            "name": tenant.name,
            "business_type": tenant.business_type,
            "status": TenantStatus.SUSPENDED,
            "time_zone": tenant.time_zone,
            "currency": tenant.currency,
            "language": tenant.language,
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
        },
    )
    # then
    tenant.refresh_from_db()
    assert tenant.status == TenantStatus.ACTIVE


def test_suspending_asks_for_a_confirmation_and_a_reason(cast, db, public_client, owner_a):
    # given
    client = operator_signed_in(public_client)
    # when: no confirmation, then no reason
    unconfirmed = _act(client, cast.tenant_a, "suspend", reason="unpaid")
    unreasoned = _act(client, cast.tenant_a, "suspend", reason=" ", confirm="on")
    # then
    assert unconfirmed.status_code == 400 and unreasoned.status_code == 400
    assert Tenant.objects.get(pk=cast.tenant_a.pk).status == TenantStatus.ACTIVE
    assert owner_a.get("/").status_code == 200
    assert not OperatorAction.objects.filter(tenant=cast.tenant_a).exists()
    # when: both
    done = _act(client, cast.tenant_a, "suspend", reason="unpaid", confirm="on")
    # then
    assert done.status_code == 302
    tenant = Tenant.objects.get(pk=cast.tenant_a.pk)
    assert tenant.status == TenantStatus.SUSPENDED and tenant.suspension_reason == "unpaid"
    entry = OperatorAction.objects.get(tenant=tenant)
    assert (entry.kind, entry.reason, entry.operator_email) == ("suspend", "unpaid", OPERATOR)


def test_closing_takes_the_typed_address_and_keeps_the_data_for_the_retention_period(
    cast, db, public_client, owner_a, settings
):
    # given
    settings.TENANT_CLOSURE_RETENTION_DAYS = 90
    client = operator_signed_in(public_client)
    # when: the wrong address is typed, or none
    wrong = _act(client, cast.tenant_a, "close", reason="moved away", confirmation="beta")
    empty = _act(client, cast.tenant_a, "close", reason="moved away", confirmation="")
    # then
    assert wrong.status_code == 400 and empty.status_code == 400
    assert "Type the business" in wrong.content.decode()
    assert Tenant.objects.get(pk=cast.tenant_a.pk).status == TenantStatus.ACTIVE
    # when: the right one
    done = _act(client, cast.tenant_a, "close", reason="moved away", confirmation="alpha")
    # then: staff see a closed page, the schema and its users are still there
    assert done.status_code == 302
    tenant = Tenant.objects.get(pk=cast.tenant_a.pk)
    assert tenant.status == TenantStatus.CLOSED and tenant.closure_reason == "moved away"
    assert tenant.purge_after - tenant.closed_at == timedelta(days=90)
    page = owner_a.get("/")
    assert page.status_code == 403 and "This portal is closed" in page.content.decode()
    assert schema_exists(tenant.schema_name)
    # and: the console page shows the log entry; tenant B carries on
    console = client.get(f"/console/tenants/{tenant.pk}/").content.decode()
    assert "moved away" in console and OPERATOR in console
    assert signed_in(cast.tenant_b, cast.host_b, cast.owner_b).get("/").status_code == 200


def test_a_closed_business_is_purged_only_after_retention_and_with_the_typed_address(
    cast, db, public_client, settings
):
    # given: tenant B closed
    settings.TENANT_CLOSURE_RETENTION_DAYS = 30
    client = operator_signed_in(public_client)
    tenant = cast.tenant_b
    schema = tenant.schema_name
    _act(client, tenant, "close", reason="closing down", confirmation="beta")
    # when: purged during the retention period
    early = _act(client, tenant, "purge", reason="retention over", confirmation="beta")
    # then
    assert early.status_code == 400
    assert schema_exists(schema)
    assert Tenant.objects.get(pk=tenant.pk).status == TenantStatus.CLOSED
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        client = operator_signed_in(public_client)
        # when: after it, with the wrong address
        wrong = _act(client, tenant, "purge", reason="retention over", confirmation="alpha")
        assert wrong.status_code == 400 and schema_exists(schema)
        # when: after it, confirmed
        done = _act(client, tenant, "purge", reason="retention over", confirmation="beta")
    # then: the schema and the row are gone, the log is not
    assert done.status_code == 302
    assert not schema_exists(schema)
    assert not Tenant.objects.filter(pk=tenant.pk).exists()
    kinds = list(
        OperatorAction.objects.filter(schema_name=schema)
        .order_by("at")
        .values_list("kind", "tenant")
    )
    assert kinds == [(OperatorActionKind.CLOSE, None), (OperatorActionKind.PURGE, None)]
    assert schema_exists(cast.tenant_a.schema_name)


def test_an_active_business_cannot_be_purged(cast, db, public_client):
    # given
    client = operator_signed_in(public_client)
    # when
    response = _act(client, cast.tenant_b, "purge", reason="oops", confirmation="beta")
    # then
    assert response.status_code == 400
    assert schema_exists(cast.tenant_b.schema_name)
    assert Tenant.objects.get(pk=cast.tenant_b.pk).status == TenantStatus.ACTIVE


def test_a_closed_business_can_be_exported_and_reopened_within_retention(cast, db, public_client):
    # given: a client in each business, tenant A closed
    ClientFactory(tenant=cast.tenant_a, name="Alice Alpha")
    ClientFactory(tenant=cast.tenant_b, name="Bert Beta")
    connection.set_schema_to_public()
    client = operator_signed_in(public_client)
    _act(client, cast.tenant_a, "close", reason="closing", confirmation="alpha.localhost")
    # when
    response = client.post(f"/console/tenants/{cast.tenant_a.pk}/export/")
    # then: A's client file, not B's, and the export is logged
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    text = archive.read("clients.csv").decode("utf-8-sig")
    assert "Alice Alpha" in text and "Bert Beta" not in text
    assert OperatorAction.objects.filter(
        tenant=cast.tenant_a, kind=OperatorActionKind.EXPORT, operator_email=OPERATOR
    ).exists()
    # when: reopened
    reopened = _act(client, cast.tenant_a, "reactivate", reason="changed their mind")
    # then
    assert reopened.status_code == 302
    tenant = Tenant.objects.get(pk=cast.tenant_a.pk)
    assert tenant.status == TenantStatus.ACTIVE and tenant.purge_after is None


def test_tenant_actions_are_for_operators_only(cast, db, public_client, owner_a):
    # given: a plain public user and a tenant's owner
    get_user_model().objects.create_user("plain@platform.test", "Plain-Pass-2026", full_name="P")
    public_client.force_login(get_user_model().objects.get(email="plain@platform.test"))
    # when
    plain = _act(public_client, cast.tenant_b, "close", reason="x", confirmation="beta")
    owner = owner_a.post(
        f"/console/tenants/{cast.tenant_b.pk}/close/",
        {"close-reason": "x", "close-confirmation": "beta"},
    )
    # then
    assert plain.status_code == 404 and owner.status_code == 404
    assert Tenant.objects.get(pk=cast.tenant_b.pk).status == TenantStatus.ACTIVE


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_console_page_of_a_business_is_translated(cast, db, public_client, language):
    # given
    client = operator_signed_in(public_client)
    client.post("/language/", {"language": language})
    # when
    html = client.get(f"/console/tenants/{cast.tenant_b.pk}/").content.decode()
    # then
    expected = "Close the business" if language == "en" else "关闭此机构"
    assert expected in html


def test_the_purge_command_follows_the_same_rules_and_log(cast, db, public_client, settings):
    from django.core.management import CommandError, call_command

    # given: tenant B closed, an operator
    settings.TENANT_CLOSURE_RETENTION_DAYS = 30
    client = operator_signed_in(public_client)
    _act(client, cast.tenant_b, "close", reason="closing down", confirmation="beta")
    schema = cast.tenant_b.schema_name
    args = ["beta", "--operator", OPERATOR, "--reason", "retention over"]
    # when: during retention, or unconfirmed after it
    with pytest.raises(CommandError):
        call_command("tenant_purge", *args, "--confirm", "beta")
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        with pytest.raises(CommandError):
            call_command("tenant_purge", *args)
        assert schema_exists(schema)
        listed = io.StringIO()
        call_command("tenant_purge", stdout=listed)
        # when: confirmed after it
        call_command("tenant_purge", *args, "--confirm", "beta", stdout=io.StringIO())
    # then
    assert "beta.localhost" in listed.getvalue()
    assert not schema_exists(schema)
    entry = OperatorAction.objects.get(schema_name=schema, kind=OperatorActionKind.PURGE)
    assert (entry.operator_email, entry.reason) == (OPERATOR, "retention over")
