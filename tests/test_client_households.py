"""Households on the client file: family members are linked by staff who edit client files,
a client is in one household at most, a household of one ends, every change is audited;
the Details tab lists the members with links and takes a family member by file number or
mobile; another business cannot reach a household through it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from clients import households
from clients.models import Client, Household
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory


@pytest.fixture
def desk(cast, db):
    with tenant_context(cast.tenant_a):
        yield staff_member(cast.tenant_a, cast.front_desk_a)


def _marketer(cast):
    from accounts.services import staff_create

    staff_create(
        full_name="Mia Marketing",
        email="mia@alpha.test",
        password=cast.password,
        roles=["marketing"],
    )
    return staff_member(cast.tenant_a, "mia@alpha.test")


def test_adding_a_family_member_makes_one_household_and_a_third_joins_it(cast, desk):
    # given
    mother, daughter, son = (ClientFactory(tenant=cast.tenant_a) for _ in range(3))
    # when
    household = households.household_add_member(actor=desk, client=mother, relative=daughter)
    again = households.household_add_member(actor=desk, client=son, relative=daughter)
    # then
    assert again.pk == household.pk
    assert set(household.members.values_list("pk", flat=True)) == {
        mother.pk,
        daughter.pk,
        son.pk,
    }
    mother.refresh_from_db()
    assert sorted(m.pk for m in households.members_of(mother)) == sorted([daughter.pk, son.pk])
    assert households.same_household(mother.pk, son.pk)
    audited = AuditEntry.objects.filter(object_type="client", fields=["household"])
    assert set(audited.values_list("client_id", flat=True)) == {mother.pk, daughter.pk, son.pk}
    assert AuditEntry.objects.filter(object_type="household", object_id=str(household.pk))


def test_a_client_in_another_household_must_leave_it_first(cast, desk):
    a1, a2, b1, b2 = (ClientFactory(tenant=cast.tenant_a) for _ in range(4))
    households.household_add_member(actor=desk, client=a1, relative=a2)
    other = households.household_add_member(actor=desk, client=b1, relative=b2)
    with pytest.raises(ValidationError) as refused:
        households.household_add_member(actor=desk, client=a1, relative=b1)
    assert refused.value.code == "in_household"
    b1.refresh_from_db()
    assert b1.household_id == other.pk
    assert not households.same_household(a1.pk, b1.pk)


def test_the_last_member_left_ends_the_household(cast, desk):
    mother, daughter = ClientFactory(tenant=cast.tenant_a), ClientFactory(tenant=cast.tenant_a)
    household = households.household_add_member(actor=desk, client=mother, relative=daughter)
    households.household_remove_member(actor=desk, client=daughter)
    mother.refresh_from_db()
    daughter.refresh_from_db()
    assert mother.household_id is None and daughter.household_id is None
    assert not Household.objects.filter(pk=household.pk).exists()
    assert AuditEntry.objects.filter(
        object_type="household", object_id=str(household.pk), action="delete"
    ).exists()
    with pytest.raises(ValidationError) as refused:
        households.household_remove_member(actor=desk, client=daughter)
    assert refused.value.code == "no_household"


def test_a_role_that_cannot_edit_client_files_cannot_link_them(cast, db):
    with tenant_context(cast.tenant_a):
        marketer = _marketer(cast)
        one, two = ClientFactory(tenant=cast.tenant_a), ClientFactory(tenant=cast.tenant_a)
        with pytest.raises(ValidationError) as refused:
            households.household_add_member(actor=marketer, client=one, relative=two)
        assert refused.value.code == "forbidden"
        assert not Household.objects.exists() or one.household_id is None
        one.refresh_from_db()
        assert one.household_id is None


def test_an_erased_file_joins_no_household(cast, desk):
    one, two = ClientFactory(tenant=cast.tenant_a), ClientFactory(tenant=cast.tenant_a)
    Client.objects.filter(pk=two.pk).update(erased_at="2026-01-01T00:00:00Z")
    two.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        households.household_add_member(actor=desk, client=one, relative=two)
    assert refused.value.code == "erased"


# ---------- the Details tab ----------


def test_the_details_tab_links_a_family_member_by_mobile_and_lists_the_members(cast, front_desk_a):
    with tenant_context(cast.tenant_a):
        mother = ClientFactory(tenant=cast.tenant_a, name="王芳")
        daughter = ClientFactory(tenant=cast.tenant_a, name="李小雨", mobile="+8613812345678")
    # when
    done = front_desk_a.post(
        f"/clients/{mother.pk}/household/", {"action": "add", "relative": "138 1234 5678"}
    )
    # then
    assert done.status_code == 302
    page = front_desk_a.get(f"/clients/{mother.pk}/").content.decode()
    assert f'href="/clients/{daughter.pk}/"' in page and "李小雨" in page
    assert 'value="leave"' in page
    other_side = front_desk_a.get(f"/clients/{daughter.pk}/").content.decode()
    assert f'href="/clients/{mother.pk}/"' in other_side
    left = front_desk_a.post(f"/clients/{daughter.pk}/household/", {"action": "leave"})
    assert left.status_code == 302
    with tenant_context(cast.tenant_a):
        assert not Client.objects.filter(pk__in=[mother.pk, daughter.pk], household__isnull=False)


def test_an_unknown_family_member_is_refused_beside_the_field(cast, front_desk_a):
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
    response = front_desk_a.post(
        f"/clients/{client.pk}/household/", {"action": "add", "relative": "C999999"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "No client has this file number or mobile phone." in page
    assert 'id="id_relative_errors"' in page
    same = front_desk_a.post(
        f"/clients/{client.pk}/household/", {"action": "add", "relative": client.file_number}
    )
    assert same.status_code == 400
    assert "Choose another client than this one." in same.content.decode()


def test_a_role_without_client_editing_sees_the_household_but_no_form(cast, db):
    with tenant_context(cast.tenant_a):
        _marketer(cast)
        one, two = ClientFactory(tenant=cast.tenant_a), ClientFactory(tenant=cast.tenant_a)
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        households.household_add_member(actor=desk, client=one, relative=two)
    marketer = signed_in(cast.tenant_a, cast.host_a, "mia@alpha.test")
    page = marketer.get(f"/clients/{one.pk}/").content.decode()
    assert f'href="/clients/{two.pk}/"' in page and 'value="leave"' not in page
    refused = marketer.post(f"/clients/{one.pk}/household/", {"action": "leave"})
    assert refused.status_code == 403
    with tenant_context(cast.tenant_a):
        one.refresh_from_db()
        assert one.household_id is not None


def test_another_business_cannot_link_or_unlink_tenant_as_clients(cast, owner_b, twins):
    # given: a client of A in a household, and a client of B with the same id
    one, theirs = twins(Client, lambda tenant: ClientFactory(tenant=tenant))
    with tenant_context(cast.tenant_a):
        two = ClientFactory(tenant=cast.tenant_a, mobile="+8613912345678")
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        households.household_add_member(actor=desk, client=one, relative=two)
    # when: B takes "its" client out, and tries to link it to A's client by mobile
    owner_b.post(f"/clients/{theirs.pk}/household/", {"action": "leave"})
    added = owner_b.post(
        f"/clients/{theirs.pk}/household/", {"action": "add", "relative": "+8613912345678"}
    )
    # then: B's own client was in none and finds no such client; A's household is whole
    assert added.status_code == 400
    assert "No client has this file number or mobile phone." in added.content.decode()
    with tenant_context(cast.tenant_a):
        one.refresh_from_db()
        assert one.household_id is not None and households.same_household(one.pk, two.pk)
    with tenant_context(cast.tenant_b):
        assert not Household.objects.exists()


# ---------- export, erasure and merge ----------


def test_erasure_takes_the_client_out_and_ends_a_household_of_one(cast, desk):
    from privacy.services import client_erase

    mother, daughter = ClientFactory(tenant=cast.tenant_a), ClientFactory(tenant=cast.tenant_a)
    household = households.household_add_member(actor=desk, client=mother, relative=daughter)
    assert households.household_export(mother, user=desk) == {
        "in_household": True,
        "household_name": "",
        "other_members": 1,
    }
    client_erase(client=daughter, actor=staff_member(cast.tenant_a, cast.owner_a))
    mother.refresh_from_db()
    daughter.refresh_from_db()
    assert daughter.erased_at and daughter.household_id is None and mother.household_id is None
    assert not Household.objects.filter(pk=household.pk).exists()


def test_a_merge_keeps_the_merged_files_household(cast, desk):
    from clients.merge import client_merge

    kept, duplicate, sister = (ClientFactory(tenant=cast.tenant_a) for _ in range(3))
    household = households.household_add_member(actor=desk, client=duplicate, relative=sister)
    client_merge(kept=kept, merged=duplicate, actor=desk)
    kept.refresh_from_db()
    assert kept.household_id == household.pk
    assert households.same_household(kept.pk, sister.pk)
    assert list(household.members.values_list("pk", flat=True).order_by("pk")) == sorted(
        [kept.pk, sister.pk]
    )


def test_merging_the_two_members_of_a_household_ends_it(cast, desk):
    from clients.merge import client_merge

    kept, duplicate = ClientFactory(tenant=cast.tenant_a), ClientFactory(tenant=cast.tenant_a)
    household = households.household_add_member(actor=desk, client=kept, relative=duplicate)
    client_merge(kept=kept, merged=duplicate, actor=desk)
    kept.refresh_from_db()
    assert kept.household_id is None
    assert not Household.objects.filter(pk=household.pk).exists()
