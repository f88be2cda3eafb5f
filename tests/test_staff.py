import re

from django.contrib.sessions.models import Session
from django.core import mail
from django_tenants.utils import tenant_context

from accounts.models import Invitation, User
from tests.conftest import portal_client, signed_in


def test_owner_invites_staff_by_email_and_they_join_with_their_roles(
    cast, owner_a, django_capture_on_commit_callbacks
):
    # when: the email goes out once the invitation is committed
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_a.post(
            "/accounts/staff/",
            {
                "full_name": "Nina Nurse",
                "email": "nina@alpha.test",
                "roles": ["practitioner", "front_desk"],
            },
        )
    # then
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@alpha.test"]
    link = re.search(
        r"http://alpha\.localhost:\d+(/accounts/invitation/\S+/)", mail.outbox[0].body
    ).group(1)
    # and: accepting creates the account in A only
    newcomer = portal_client(cast.host_a)
    joined = newcomer.post(
        link,
        {
            "full_name": "Nina Nurse",
            "password1": "Nina-Secret-2026",
            "password2": "Nina-Secret-2026",
        },
    )
    assert joined.status_code == 302
    assert newcomer.get("/").status_code == 200
    with tenant_context(cast.tenant_a):
        nina = User.objects.get(email="nina@alpha.test")
        assert nina.roles == ["practitioner", "front_desk"]
        assert Invitation.objects.get(email="nina@alpha.test").accepted_at is not None
    # and: the link is spent, and never worked on B
    assert portal_client(cast.host_a).get(link).status_code == 404
    assert portal_client(cast.host_b).get(link).status_code == 404


def test_inviting_needs_at_least_one_role_and_a_fresh_email(owner_a, cast):
    no_role = owner_a.post("/accounts/staff/", {"full_name": "X", "email": "x@alpha.test"})
    assert "roles" in no_role.context["form"].errors
    taken = owner_a.post(
        "/accounts/staff/", {"full_name": "X", "email": cast.front_desk_a, "roles": ["marketing"]}
    )
    assert "already has an account" in str(taken.context["form"].errors["email"])


def test_owner_changes_roles(cast, owner_a):
    with tenant_context(cast.tenant_a):
        desk = User.objects.get(email=cast.front_desk_a)
    response = owner_a.post(
        f"/accounts/staff/{desk.pk}/", {"action": "roles", "roles": ["manager"]}
    )
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        desk.refresh_from_db()
        assert desk.roles == ["manager"]


def test_the_last_owner_cannot_lose_the_owner_role(cast, owner_a):
    with tenant_context(cast.tenant_a):
        owner = User.objects.get(email=cast.owner_a)
    response = owner_a.post(
        f"/accounts/staff/{owner.pk}/", {"action": "roles", "roles": ["manager"]}
    )
    assert response.status_code == 400
    assert "at least one active owner" in response.content.decode()


def test_deactivating_a_user_ends_their_sessions_at_once(cast, owner_a):
    # given: the front desk is signed in through a real login
    desk_client = portal_client(cast.host_a)
    desk_client.post("/accounts/login/", {"email": cast.front_desk_a, "password": cast.password})
    assert desk_client.get("/").status_code == 200
    with tenant_context(cast.tenant_a):
        desk = User.objects.get(email=cast.front_desk_a)
    # when
    owner_a.post(f"/accounts/staff/{desk.pk}/", {"action": "deactivate"})
    # then
    assert desk_client.get("/").status_code == 302
    with tenant_context(cast.tenant_a):
        desk.refresh_from_db()
        assert not desk.is_active
        assert not Session.objects.filter(
            session_key=desk_client.cookies["sessionid"].value
        ).exists()
    assert (
        portal_client(cast.host_a)
        .post("/accounts/login/", {"email": cast.front_desk_a, "password": cast.password})
        .status_code
        == 400
    )


def test_a_manager_cannot_make_someone_owner(cast, db):
    from accounts.services import staff_create

    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mia Manager",
            email="mia@alpha.test",
            password="Mia-Manager-2026",
            roles=["manager"],
        )
        desk = User.objects.get(email=cast.front_desk_a)
    manager = signed_in(cast.tenant_a, cast.host_a, "mia@alpha.test")
    response = manager.post(f"/accounts/staff/{desk.pk}/", {"action": "roles", "roles": ["owner"]})
    assert response.status_code == 400
