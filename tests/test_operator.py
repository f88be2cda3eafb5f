from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from tenants.models import Tenant, TenantStatus
from tests.conftest import operator_signed_in, portal_client, signed_in


def test_operator_console_lists_tenants_with_type_date_status_and_staff(cast, db, public_client):
    client = operator_signed_in(public_client)
    response = client.get("/console/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Aesthetics" in html and "Beta Dental" in html
    assert "Medical aesthetic clinic" in html and "Dental practice" in html
    keys = [c.key for c in response.context["counters"]]
    rows = {t.name: dict(zip(keys, counts, strict=True)) for t, counts in response.context["rows"]}
    # this month's messages (notifications.wiring) are counted too
    month = {"sms_segments_month": 0, "emails_month": 0}
    assert rows["Alpha Aesthetics"] == {"staff": 3, "clients": 0, **month}
    assert rows["Beta Dental"] == {"staff": 1, "clients": 0, **month}


def test_console_is_for_operators_only(cast, db, public_client, owner_a):
    assert public_client.get("/console/").status_code == 302
    get_user_model().objects.create_user(
        "plain@platform.test", "Plain-Pass-2026", full_name="Plain"
    )
    public_client.force_login(get_user_model().objects.get(email="plain@platform.test"))
    assert public_client.get("/console/").status_code == 404
    # a tenant's owner has no console on their own host
    assert owner_a.get("/console/").status_code == 404


def test_suspending_blocks_the_portal_and_logins_and_reactivating_restores_it(
    cast, db, public_client, owner_a
):
    # given
    client = operator_signed_in(public_client)
    # when
    client.post(
        f"/console/tenants/{cast.tenant_a.pk}/suspend/",
        {"suspend-reason": "unpaid", "suspend-confirm": "on"},
    )
    # then: the signed-in owner sees the suspended page, and nobody can sign in
    page = owner_a.get("/")
    assert page.status_code == 403 and "suspended" in page.content.decode()
    login = portal_client(cast.host_a).post(
        "/accounts/login/", {"email": cast.owner_a, "password": cast.password}
    )
    assert login.status_code == 403
    assert Tenant.objects.get(pk=cast.tenant_a.pk).status == TenantStatus.SUSPENDED
    # and: tenant B is unaffected
    assert signed_in(cast.tenant_b, cast.host_b, cast.owner_b).get("/").status_code == 200
    # when
    client.post(f"/console/tenants/{cast.tenant_a.pk}/reactivate/", {"reactivate-reason": "paid"})
    # then: no data was lost and logins work again
    with tenant_context(cast.tenant_a):
        from accounts.models import User

        assert User.objects.count() == 3
    relogin = portal_client(cast.host_a).post(
        "/accounts/login/", {"email": cast.owner_a, "password": cast.password}
    )
    assert relogin.status_code == 302


def test_the_console_costs_the_same_queries_for_many_tenants(
    cast, db, public_client, django_assert_max_num_queries
):
    from tenants.services import tenant_signup

    client = operator_signed_in(public_client)
    with django_assert_max_num_queries(10):
        before = len(client.get("/console/").context["rows"])
    for n in range(4):
        tenant_signup(
            business_name=f"Extra {n}",
            business_type="optical",
            subdomain=f"extra{n}",
            owner_name="E",
            owner_email=f"e{n}@x.test",
            owner_password="Extra-Pass-2026",
            language="en",
            time_zone="UTC",
            currency="USD",
        )
    with django_assert_max_num_queries(10):
        response = client.get("/console/")
    assert len(response.context["rows"]) == before + 4


def test_django_admin_serves_the_public_schema(cast, db, public_client):
    client = operator_signed_in(public_client)
    assert client.get("/admin/tenants/tenant/").status_code == 200
