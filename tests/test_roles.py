"""What each role may and may not open."""

import pytest
from django_tenants.utils import tenant_context

from accounts.roles import ROLE_CAPABILITIES, Capability, Role
from tests.conftest import signed_in

PAGES = {
    "/": Capability.VIEW_DASHBOARD,
    "/accounts/staff/": Capability.MANAGE_STAFF,
    "/accounts/roles/": Capability.MANAGE_STAFF,
    "/settings/": Capability.MANAGE_SETTINGS,
    "/accounts/me/": Capability.VIEW_DASHBOARD,
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("path", list(PAGES))
def test_each_role_opens_exactly_the_pages_its_capabilities_allow(cast, db, role, path):
    # given
    from accounts.services import staff_create

    email = f"{role}@alpha-roles.test"
    with tenant_context(cast.tenant_a):
        staff_create(
            full_name=f"Role {role}", email=email, password="Some-Long-Pass-99", roles=[role]
        )
    client = signed_in(cast.tenant_a, cast.host_a, email)
    # when
    response = client.get(path)
    # then
    allowed = PAGES[path] in ROLE_CAPABILITIES[role]
    assert response.status_code == (200 if allowed else 403)


def test_front_desk_never_holds_the_medical_history_capability():
    assert Capability.VIEW_HEALTH not in ROLE_CAPABILITIES[Role.FRONT_DESK]
    assert Capability.VIEW_HEALTH not in ROLE_CAPABILITIES[Role.MARKETING]
    assert Capability.VIEW_HEALTH in ROLE_CAPABILITIES[Role.PRACTITIONER]


def test_the_sidebar_shows_only_what_the_role_opens(cast, front_desk_a, owner_a):
    desk_html = front_desk_a.get("/").content.decode()
    owner_html = owner_a.get("/").content.decode()
    assert 'href="/settings/"' not in desk_html and 'href="/accounts/staff/"' not in desk_html
    assert 'href="/settings/"' in owner_html and 'href="/accounts/staff/"' in owner_html


def test_anonymous_visitors_are_sent_to_the_login_page(cast, db):
    from tests.conftest import portal_client

    response = portal_client(cast.host_a).get("/settings/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/settings/"


def test_the_owner_can_inspect_every_role_and_its_permissions(owner_a):
    html = owner_a.get("/accounts/roles/").content.decode()
    for role in Role:
        assert str(role.label) in html
    assert str(Capability.VIEW_HEALTH.label) in html
