"""Tenant B can neither sign in with A's accounts nor see or touch A's data."""

from django.contrib.sessions.models import Session
from django_tenants.utils import tenant_context

from accounts.models import User
from tests.conftest import portal_client, signed_in


def test_a_user_of_tenant_a_cannot_log_in_on_tenant_b(cast, db):
    # when
    response = portal_client(cast.host_b).post(
        "/accounts/login/", {"email": cast.owner_a, "password": cast.password}
    )
    # then
    assert response.status_code == 400
    assert "not right" in response.content.decode()


def test_the_same_user_logs_in_on_their_own_tenant(cast, db):
    response = portal_client(cast.host_a).post(
        "/accounts/login/", {"email": cast.owner_a, "password": cast.password}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_session_cookie_from_tenant_a_is_anonymous_on_tenant_b(cast, db):
    # given: a real session on A
    client_a = portal_client(cast.host_a)
    client_a.post("/accounts/login/", {"email": cast.owner_a, "password": cast.password})
    session_cookie = client_a.cookies["sessionid"].value
    assert client_a.get("/").status_code == 200
    # when: the same cookie is replayed on B's host
    client_b = portal_client(cast.host_b)
    client_b.cookies["sessionid"] = session_cookie
    response = client_b.get("/")
    # then
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    with tenant_context(cast.tenant_b):
        assert not Session.objects.filter(session_key=session_cookie).exists()


def test_session_cookies_are_host_only(cast, db, settings):
    client = portal_client(cast.host_a)
    client.post("/accounts/login/", {"email": cast.owner_a, "password": cast.password})
    assert client.cookies["sessionid"]["domain"] == ""
    assert settings.SESSION_COOKIE_DOMAIN is None and settings.CSRF_COOKIE_DOMAIN is None


def test_staff_created_in_a_are_invisible_in_b(cast, db):
    # given
    with tenant_context(cast.tenant_a):
        User.objects.create_user(
            "new.hire@alpha.test", "x-Pass-12345", full_name="New Hire", roles=["front_desk"]
        )
    # when
    page = signed_in(cast.tenant_b, cast.host_b, cast.owner_b).get("/accounts/staff/")
    # then
    assert page.status_code == 200
    assert "New Hire" not in page.content.decode()
    with tenant_context(cast.tenant_b):
        assert not User.objects.filter(email="new.hire@alpha.test").exists()


def test_tenant_b_cannot_open_a_staff_member_of_a_by_id(cast, db):
    with tenant_context(cast.tenant_a):
        doctor = User.objects.get(email=cast.practitioner_a)
    with tenant_context(cast.tenant_b):
        assert not User.objects.filter(pk=doctor.pk, email=cast.practitioner_a).exists()
    response = signed_in(cast.tenant_b, cast.host_b, cast.owner_b).get(
        f"/accounts/staff/{doctor.pk}/"
    )
    assert response.status_code == 404


def test_lockout_on_a_does_not_lock_the_same_email_on_b(cast, db, settings):
    settings.LOGIN_LOCKOUT_FAILURES = 2
    client_a = portal_client(cast.host_a)
    for _ in range(2):
        client_a.post("/accounts/login/", {"email": "shared@x.test", "password": "wrong"})
    locked = client_a.post("/accounts/login/", {"email": "shared@x.test", "password": "wrong"})
    assert locked.status_code == 429
    on_b = portal_client(cast.host_b).post(
        "/accounts/login/", {"email": "shared@x.test", "password": "wrong"}
    )
    assert on_b.status_code == 400


def test_the_logo_of_a_is_not_served_on_b(cast, db, tmp_path, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from tenants.services import tenant_settings_update

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    path = default_storage.save(
        f"tenants/{cast.tenant_a.schema_name}/branding/logo.png", ContentFile(b"\x89PNG fake")
    )
    tenant_settings_update(tenant=cast.tenant_a, logo=path)
    assert portal_client(cast.host_a).get("/branding/logo").status_code == 200
    assert portal_client(cast.host_b).get("/branding/logo").status_code == 404


def test_unknown_hosts_get_not_found(cast, db):
    assert portal_client("nobody.localhost").get("/").status_code == 404


def test_cached_values_of_a_are_invisible_to_b(cast, db):
    from django.core.cache import cache

    with tenant_context(cast.tenant_a):
        cache.set("dashboard-summary", "alpha's numbers")
    with tenant_context(cast.tenant_b):
        assert cache.get("dashboard-summary") is None
    with tenant_context(cast.tenant_a):
        assert cache.get("dashboard-summary") == "alpha's numbers"
