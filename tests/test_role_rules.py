"""Roles cannot be climbed: one rule (accounts.services.roles_grantable_by) decides which
roles someone may give, take away, invite to, withdraw and switch off; each path is
checked on the database, not only on the answer."""

import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts import services
from accounts.models import Invitation, StaffPolicy, User
from contactlog.models import ContactEntry
from contactlog.services import contact_follow_up_done
from tests.conftest import PASSWORD, portal_client, signed_in, staff_member
from tests.factories import ClientFactory, ContactEntryFactory

MANAGER = "mia@alpha.test"


def _staff(cast, email, roles, *, active=True) -> User:
    with tenant_context(cast.tenant_a):
        user = services.staff_create(
            full_name=email.split("@")[0].title(), email=email, password=PASSWORD, roles=roles
        )
        if not active:
            User.objects.filter(pk=user.pk).update(is_active=False)
        return user


def _allow_clinical(cast, allowed=True) -> None:
    with tenant_context(cast.tenant_a):
        services.staff_policy_update(
            changed_by=User.objects.get(email=cast.owner_a), managers_grant_clinical_roles=allowed
        )


@pytest.fixture
def manager_a(cast, db):
    _staff(cast, MANAGER, ["manager"])
    return signed_in(cast.tenant_a, cast.host_a, MANAGER)


def _set_roles(client, member, roles):
    return client.post(f"/accounts/staff/{member.pk}/", {"action": "roles", "roles": roles})


def _invite(client, email, roles):
    return client.post(
        "/accounts/staff/", {"full_name": "New Person", "email": email, "roles": roles}
    )


@pytest.mark.parametrize("role", ["owner", "practitioner"])
def test_a_manager_cannot_invite_an_owner_or_a_clinical_role(cast, manager_a, role):
    # when
    response = _invite(manager_a, "climber@alpha.test", [role])
    # then
    assert response.status_code == 400
    assert "roles" in response.context["form"].errors
    with tenant_context(cast.tenant_a):
        assert not Invitation.objects.filter(email="climber@alpha.test").exists()
        # and the service refuses it too, whatever form sent it
        with pytest.raises(ValidationError) as refused:
            services.staff_invite(
                invited_by=User.objects.get(email=MANAGER),
                email="climber@alpha.test",
                full_name="Climber",
                roles=[role],
                portal_url="http://alpha.localhost",
            )
        assert refused.value.error_dict["roles"][0].code in {"role_not_grantable", "owner_only"}
        assert not Invitation.objects.filter(email="climber@alpha.test").exists()


def test_a_manager_invites_front_desk_and_marketing_staff(cast, manager_a):
    # when
    response = _invite(manager_a, "newdesk@alpha.test", ["front_desk", "marketing"])
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        invitation = Invitation.objects.get(email="newdesk@alpha.test")
        assert invitation.roles == ["front_desk", "marketing"]


def test_the_invite_form_offers_a_manager_only_the_roles_they_may_give(cast, manager_a):
    offered = {
        value
        for value, _label in manager_a.get("/accounts/staff/")
        .context["form"]
        .fields["roles"]
        .choices
    }
    assert offered == {"manager", "front_desk", "marketing"}


def test_a_managers_staff_page_offers_only_the_roles_they_may_give(cast, manager_a):
    desk = manager_a.get(f"/accounts/staff/{staff_member(cast.tenant_a, cast.front_desk_a).pk}/")
    owner = manager_a.get(f"/accounts/staff/{staff_member(cast.tenant_a, cast.owner_a).pk}/")
    offered = {value for value, _label in desk.context["form"].fields["roles"].choices}
    assert offered == {"manager", "front_desk", "marketing"}
    assert 'name="roles"' not in owner.content.decode()
    assert "only an owner can change their roles" in owner.content.decode()


def test_a_manager_cannot_give_themselves_the_practitioner_role(cast, manager_a):
    # given: even where managers may give clinical roles to others
    _allow_clinical(cast)
    me = staff_member(cast.tenant_a, MANAGER)
    # when
    response = _set_roles(manager_a, me, ["manager", "practitioner"])
    # then
    assert response.status_code == 400
    assert "access you do not have" in response.content.decode()
    with tenant_context(cast.tenant_a):
        me.refresh_from_db()
        assert me.roles == ["manager"]
    assert manager_a.get("/clients/").status_code == 200  # still signed in, nothing gained


def test_changing_ones_own_roles_to_open_less_is_allowed(cast, manager_a):
    me = staff_member(cast.tenant_a, MANAGER)
    response = _set_roles(manager_a, me, ["front_desk"])
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        me.refresh_from_db()
        assert me.roles == ["front_desk"]


def test_a_manager_cannot_change_an_owners_or_a_practitioners_roles(cast, manager_a):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    # when
    demote = _set_roles(manager_a, owner, ["front_desk"])
    retrain = _set_roles(manager_a, doctor, ["front_desk"])
    promote = _set_roles(
        manager_a, staff_member(cast.tenant_a, cast.front_desk_a), ["practitioner"]
    )
    # then
    assert demote.status_code == retrain.status_code == promote.status_code == 400
    assert "You cannot give or take away these roles" in retrain.content.decode()
    with tenant_context(cast.tenant_a):
        assert User.objects.get(email=cast.owner_a).roles == ["owner"]
        assert User.objects.get(email=cast.practitioner_a).roles == ["practitioner"]
        assert User.objects.get(email=cast.front_desk_a).roles == ["front_desk"]


@pytest.mark.parametrize("target", ["owner", "practitioner"])
def test_a_manager_cannot_deactivate_an_owner_or_a_practitioner(cast, manager_a, target):
    # given: a second owner, so the last-owner rule is not what stops it
    _staff(cast, "second-owner@alpha.test", ["owner"])
    email = "second-owner@alpha.test" if target == "owner" else cast.practitioner_a
    member = staff_member(cast.tenant_a, email)
    # when
    response = manager_a.post(f"/accounts/staff/{member.pk}/", {"action": "deactivate"})
    # then
    assert response.status_code == 400
    with tenant_context(cast.tenant_a):
        member.refresh_from_db()
        assert member.is_active and member.deactivated_at is None
    assert (
        'value="deactivate"' not in manager_a.get(f"/accounts/staff/{member.pk}/").content.decode()
    )


def test_a_manager_deactivates_and_reactivates_the_front_desk(cast, manager_a):
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    assert (
        manager_a.post(f"/accounts/staff/{desk.pk}/", {"action": "deactivate"}).status_code == 302
    )
    with tenant_context(cast.tenant_a):
        desk.refresh_from_db()
        assert not desk.is_active
    assert (
        manager_a.post(f"/accounts/staff/{desk.pk}/", {"action": "reactivate"}).status_code == 302
    )
    with tenant_context(cast.tenant_a):
        desk.refresh_from_db()
        assert desk.is_active


def test_a_manager_cannot_reactivate_an_owner(cast, manager_a):
    # given: an owner someone switched off
    former = _staff(cast, "former-owner@alpha.test", ["owner"], active=False)
    # when
    response = manager_a.post(f"/accounts/staff/{former.pk}/", {"action": "reactivate"})
    # then
    assert response.status_code == 400
    with tenant_context(cast.tenant_a):
        former.refresh_from_db()
        assert not former.is_active


def test_a_manager_cannot_withdraw_an_owners_invitation_of_a_practitioner(cast, manager_a):
    # given
    with tenant_context(cast.tenant_a):
        invitation = services.staff_invite(
            invited_by=User.objects.get(email=cast.owner_a),
            email="nurse@alpha.test",
            full_name="Nurse",
            roles=["practitioner"],
            portal_url="http://alpha.localhost",
        )
    # when
    response = manager_a.post(f"/accounts/staff/invitations/{invitation.pk}/revoke/", follow=True)
    # then
    assert "You cannot give or take away these roles" in response.content.decode()
    with tenant_context(cast.tenant_a):
        invitation.refresh_from_db()
        assert invitation.revoked_at is None


def test_the_front_desk_can_change_nobodys_roles(cast, front_desk_a):
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    response = _set_roles(front_desk_a, desk, ["owner"])
    assert response.status_code == 403
    with tenant_context(cast.tenant_a):
        desk.refresh_from_db()
        assert desk.roles == ["front_desk"]
        assert services.roles_grantable_by(desk) == frozenset()


def test_when_the_owner_allows_it_a_manager_gives_and_takes_clinical_roles(
    cast, owner_a, manager_a
):
    # given: the owner ticks the box on the Roles page
    response = owner_a.post("/accounts/roles/", {"managers_grant_clinical_roles": "on"})
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        assert StaffPolicy.objects.get().managers_grant_clinical_roles
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    # when
    invited = _invite(manager_a, "nurse@alpha.test", ["practitioner"])
    promoted = _set_roles(manager_a, desk, ["practitioner"])
    switched_off = manager_a.post(f"/accounts/staff/{doctor.pk}/", {"action": "deactivate"})
    # then
    assert invited.status_code == promoted.status_code == switched_off.status_code == 302
    with tenant_context(cast.tenant_a):
        assert Invitation.objects.get(email="nurse@alpha.test").roles == ["practitioner"]
        desk.refresh_from_db()
        doctor.refresh_from_db()
        assert desk.roles == ["practitioner"] and not doctor.is_active
        # and still never an owner
        assert "owner" not in services.roles_grantable_by(User.objects.get(email=MANAGER))


def test_only_an_owner_may_let_managers_give_clinical_roles(cast, manager_a):
    # when
    response = manager_a.post("/accounts/roles/", {"managers_grant_clinical_roles": "on"})
    # then
    assert response.status_code == 400
    with tenant_context(cast.tenant_a):
        assert not services.staff_policy().managers_grant_clinical_roles
        with pytest.raises(ValidationError):
            services.staff_policy_update(
                changed_by=User.objects.get(email=MANAGER), managers_grant_clinical_roles=True
            )
        assert not services.staff_policy().managers_grant_clinical_roles
    assert (
        'name="managers_grant_clinical_roles"'
        not in manager_a.get("/accounts/roles/").content.decode()
    )


def test_a_managers_invitation_stops_working_once_they_may_no_longer_give_its_roles(
    cast, manager_a, django_capture_on_commit_callbacks
):
    # given: a manager invited a practitioner while owners allowed it
    _allow_clinical(cast)
    with django_capture_on_commit_callbacks(execute=True):
        assert _invite(manager_a, "nurse@alpha.test", ["practitioner"]).status_code == 302
    link = re.search(r"(/accounts/invitation/\S+/)", mail.outbox[-1].body).group(1)
    # when: the owner takes the permission back
    _allow_clinical(cast, allowed=False)
    # then
    newcomer = portal_client(cast.host_a)
    assert newcomer.get(link).status_code == 404
    joined = newcomer.post(
        link, {"full_name": "N", "password1": "Nurse-Pass-2026", "password2": "Nurse-Pass-2026"}
    )
    assert joined.status_code == 404
    with tenant_context(cast.tenant_a):
        assert not User.objects.filter(email="nurse@alpha.test").exists()


def test_an_owner_gives_every_role_and_owners_are_spelled_is_owner(cast, db):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        assert services.roles_grantable_by(owner) == {
            "owner",
            "manager",
            "practitioner",
            "front_desk",
            "marketing",
        }
    assert owner.is_owner and not staff_member(cast.tenant_a, cast.practitioner_a).is_owner
    owner.is_active = False
    assert not owner.is_owner
    with pytest.raises(TypeError):
        owner.can("settings.manage")


# Completing someone else's follow-up follows the rule of editing it.


def test_the_front_desk_cannot_complete_a_practitioners_follow_up(cast, front_desk_a, owner_a):
    # given
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    entry = ContactEntryFactory(
        tenant=cast.tenant_a,
        client=ClientFactory(tenant=cast.tenant_a),
        staff=doctor,
        next_follow_up=timezone.localdate(),
    )
    # when
    response = front_desk_a.post(f"/contacts/{entry.pk}/done/")
    # then
    assert response.status_code == 404
    with tenant_context(cast.tenant_a):
        entry.refresh_from_db()
        assert entry.follow_up_done_at is None
        with pytest.raises(PermissionDenied):
            contact_follow_up_done(entry=entry, actor=User.objects.get(email=cast.front_desk_a))
        assert ContactEntry.objects.get(pk=entry.pk).follow_up_done_at is None
    # and someone who may edit it (a manager of staff) may complete it
    assert owner_a.post(f"/contacts/{entry.pk}/done/").status_code == 302
    with tenant_context(cast.tenant_a):
        entry.refresh_from_db()
        assert entry.follow_up_done_by_id == staff_member(cast.tenant_a, cast.owner_a).pk


# Password reset is limited like login.


def _reset(client, email, **extra):
    # The email leaves through the outbox when the request commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/accounts/password/reset/", {"email": email}, **extra)


def test_password_reset_is_limited_per_account(cast, db, settings):
    # given
    settings.PASSWORD_RESET_LIMIT = 2
    for n in range(2):
        client = portal_client(cast.host_a)
        assert _reset(client, cast.front_desk_a, REMOTE_ADDR=f"192.0.2.{n}").status_code == 302
    # when: a third request from yet another address
    refused = _reset(portal_client(cast.host_a), cast.front_desk_a, REMOTE_ADDR="192.0.2.99")
    # then
    assert refused.status_code == 429
    assert "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_password_reset_is_limited_per_client_address_across_accounts(cast, db, settings):
    # given: one address asking for many accounts (the address may ask 4 times the limit)
    settings.PASSWORD_RESET_LIMIT = 1
    emails = [cast.owner_a, cast.practitioner_a, cast.front_desk_a, "nobody@alpha.test"]
    for email in emails:
        assert _reset(portal_client(cast.host_a), email).status_code == 302
    # when
    refused = _reset(portal_client(cast.host_a), "someone-else@alpha.test")
    # then
    assert refused.status_code == 429
    assert len(mail.outbox) == 3  # the unknown address got nothing, as before


def test_the_password_reset_limit_speaks_the_users_language(cast, db, settings):
    settings.PASSWORD_RESET_LIMIT = 1
    client = portal_client(cast.host_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    _reset(client, cast.owner_a)
    refused = _reset(client, cast.owner_a)
    assert refused.status_code == 429
    assert "重置密码的请求太多" in refused.content.decode()
    assert len(mail.outbox) == 1
