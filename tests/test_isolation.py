"""Tenant B can neither sign in with A's accounts nor see or touch A's data."""

from datetime import UTC, date, datetime

import pytest
from django.contrib.sessions.models import Session
from django_tenants.utils import tenant_context

from accounts.models import User
from clients.models import Client, ClientHealth
from contactlog.models import ContactEntry
from privacy.models import ConsentRecord
from tests.conftest import portal_client, signed_in
from tests.factories import ClientFactory, ContactEntryFactory, VisitFactory
from tests.test_client_pages import FORM_PAGES, LIVE_ONLY_PAGES, READ_PAGES, _text, _writes
from visits.models import Visit


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


def test_the_logo_of_a_is_not_served_on_b(cast, db, storage):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from tenants.services import tenant_settings_update

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


# --- rows of the same id in both tenants ------------------------------------------------
# Tenant B holds a row with the very id of tenant A's, so a page that answered B with A's
# row (a lookup outside the schema, a cache or file keyed by id alone) would show it.

NAMES = {"a": "Ada Alpha", "b": "Bea Beta"}
# The writes below are dated 1 March 2026, and a visit or contact may not lie in the future.
AFTER_THE_WRITES = pytest.mark.clock(datetime(2026, 3, 20, 4, 0, tzinfo=UTC))


def _sides(cast, viewer: str):
    """(viewer's tenant, its owner's client, its name; the other tenant, the other name)."""
    mine, theirs = viewer, "b" if viewer == "a" else "a"
    tenants = {"a": cast.tenant_a, "b": cast.tenant_b}
    hosts = {"a": (cast.host_a, cast.owner_a), "b": (cast.host_b, cast.owner_b)}
    browser = signed_in(tenants[mine], *hosts[mine])
    return tenants[mine], browser, NAMES[mine], tenants[theirs], NAMES[theirs]


def _namer(cast):
    return lambda tenant: NAMES["a" if tenant.pk == cast.tenant_a.pk else "b"]


@pytest.mark.parametrize("viewer", ["a", "b"])
def test_each_tenant_reads_its_own_client_through_an_id_both_hold(cast, twins, viewer):
    # given
    client_a, _client_b = twins(Client, lambda tenant: ClientFactory(name=_namer(cast)(tenant)))
    _mine, browser, my_name, _theirs, their_name = _sides(cast, viewer)
    # when / then
    for path in READ_PAGES + FORM_PAGES + LIVE_ONLY_PAGES:
        response = browser.get(path.format(pk=client_a.pk))
        assert response.status_code == 200, path
        text = _text(response)
        assert my_name in text and their_name not in text, path


@AFTER_THE_WRITES
@pytest.mark.parametrize("viewer", ["a", "b"])
def test_each_tenant_writes_to_its_own_client_through_an_id_both_hold(cast, twins, viewer):
    # given
    client_a, _client_b = twins(Client, lambda tenant: ClientFactory(name=_namer(cast)(tenant)))
    mine, browser, my_name, theirs, their_name = _sides(cast, viewer)
    with tenant_context(mine):
        staff = User.objects.order_by("pk").first().pk
    # when
    for path, data in _writes(staff):
        assert browser.post(path.format(pk=client_a.pk), data).status_code == 302, path
    with tenant_context(mine):
        number = Client.objects.get(pk=client_a.pk).file_number
    erase = browser.post(f"/clients/{client_a.pk}/privacy/erase/", {"file_number": number})
    # then: the viewer's file took every write, the other tenant's none
    assert erase.status_code == 302
    with tenant_context(mine):
        client = Client.objects.get(pk=client_a.pk)
        assert client.erased_at is not None and client.visit_count == 1
        assert ConsentRecord.objects.filter(client=client).count() == 1
        assert ContactEntry.objects.filter(client=client).count() == 1
    with tenant_context(theirs):
        client = Client.objects.get(pk=client_a.pk)
        assert client.name == their_name and client.erased_at is None
        assert client.visit_count == 0 and not ClientHealth.objects.exists()
        assert not ConsentRecord.objects.exists() and not ContactEntry.objects.exists()


@AFTER_THE_WRITES
@pytest.mark.parametrize("viewer", ["a", "b"])
def test_each_tenant_reaches_its_own_visit_and_follow_up_through_ids_both_hold(cast, twins, viewer):
    # given: a visit and a follow-up of the same ids in both tenants
    visit_a, _visit_b = twins(Visit, lambda tenant: VisitFactory(client__name=_namer(cast)(tenant)))
    entry_a, _entry_b = twins(
        ContactEntry,
        lambda tenant: ContactEntryFactory(
            client__name=_namer(cast)(tenant), next_follow_up=date(2026, 3, 1)
        ),
    )
    mine, browser, my_name, theirs, their_name = _sides(cast, viewer)
    # when / then: each page shows the viewer's own row
    for path in (
        f"/visits/{visit_a.pk}/edit/",
        f"/visits/{visit_a.pk}/delete/",
        f"/contacts/{entry_a.pk}/edit/",
        f"/contacts/{entry_a.pk}/delete/",
    ):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert my_name in page.content.decode() and their_name not in page.content.decode()
    follow_ups = browser.get("/follow-ups/?who=all").content.decode()
    assert my_name in follow_ups and their_name not in follow_ups
    # when: the viewer marks the follow-up done and deletes the visit
    assert browser.post(f"/contacts/{entry_a.pk}/done/").status_code == 302
    assert browser.post(f"/visits/{visit_a.pk}/delete/").status_code == 302
    # then
    with tenant_context(mine):
        assert not Visit.objects.filter(pk=visit_a.pk).exists()
        assert ContactEntry.objects.get(pk=entry_a.pk).follow_up_done_at is not None
    with tenant_context(theirs):
        assert Visit.objects.get(pk=visit_a.pk).client.name == their_name
        assert ContactEntry.objects.get(pk=entry_a.pk).follow_up_done_at is None
