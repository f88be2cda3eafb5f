"""A household's name, set on the Details tab's household card: by staff who edit client
files, audited on the household, its length refused beside the field, and another
business cannot rename a household through it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from clients import households
from clients.models import Client, Household
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory


def _family(cast):
    with tenant_context(cast.tenant_a):
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        mother = ClientFactory(tenant=cast.tenant_a)
        son = ClientFactory(tenant=cast.tenant_a)
        household = households.household_add_member(actor=desk, client=mother, relative=son)
    return mother, son, household


def test_the_front_desk_names_the_household_on_the_details_tab(cast, front_desk_a):
    mother, son, household = _family(cast)
    # when
    done = front_desk_a.post(
        f"/clients/{mother.pk}/household/", {"action": "rename", "name": "  The  Chen family "}
    )
    # then: saved tidied, shown on both members' cards, audited on the household
    assert done.status_code == 302
    with tenant_context(cast.tenant_a):
        household.refresh_from_db()
        assert household.name == "The Chen family"
        entry = AuditEntry.objects.get(
            object_type="household", object_id=str(household.pk), action="update"
        )
        assert entry.actor_id == staff_member(cast.tenant_a, cast.front_desk_a).pk
        assert "name" in entry.fields
    page = front_desk_a.get(f"/clients/{son.pk}/").content.decode()
    assert "The Chen family" in page and 'value="rename"' in page
    # a second save of the same name audits nothing more
    front_desk_a.post(
        f"/clients/{son.pk}/household/", {"action": "rename", "name": "The Chen family"}
    )
    with tenant_context(cast.tenant_a):
        assert (
            AuditEntry.objects.filter(
                object_type="household", object_id=str(household.pk), action="update"
            ).count()
            == 1
        )


def test_a_name_too_long_is_refused_beside_the_field(cast, front_desk_a):
    mother, _son, household = _family(cast)
    response = front_desk_a.post(
        f"/clients/{mother.pk}/household/",
        {"action": "rename", "name": "x" * (households.NAME_MAX + 1)},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_name_errors"' in page and "at most" in page
    with tenant_context(cast.tenant_a):
        household.refresh_from_db()
        assert household.name == ""


def test_the_refusal_is_in_chinese_for_a_chinese_desk(cast, front_desk_a):
    from django.utils import translation

    mother, _son, _household = _family(cast)
    with tenant_context(cast.tenant_a):
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
            households.household_rename(
                actor=desk, client=mother, name="x" * (households.NAME_MAX + 1)
            )
    (text,) = refused.value.message_dict["name"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_role_that_cannot_edit_client_files_cannot_rename(cast, db):
    from accounts.services import staff_create

    mother, _son, household = _family(cast)
    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mia Marketing",
            email="mia@alpha.test",
            password=cast.password,
            roles=["marketing"],
        )
        marketer = staff_member(cast.tenant_a, "mia@alpha.test")
        with pytest.raises(ValidationError) as refused:
            households.household_rename(actor=marketer, client=mother, name="Ours")
        assert refused.value.code == "forbidden"
    client = signed_in(cast.tenant_a, cast.host_a, "mia@alpha.test")
    page = client.get(f"/clients/{mother.pk}/").content.decode()
    assert 'value="rename"' not in page
    posted = client.post(f"/clients/{mother.pk}/household/", {"action": "rename", "name": "X"})
    assert posted.status_code == 403
    with tenant_context(cast.tenant_a):
        household.refresh_from_db()
        assert household.name == ""


def test_another_business_cannot_rename_tenant_as_household(cast, owner_b, twins):
    # given: A's client in a household, and B's client with the same id in none
    one, _theirs = twins(Client, lambda tenant: ClientFactory(tenant=tenant))
    with tenant_context(cast.tenant_a):
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        two = ClientFactory(tenant=cast.tenant_a)
        household = households.household_add_member(actor=desk, client=one, relative=two)
    # when B renames "its" client's household
    response = owner_b.post(
        f"/clients/{one.pk}/household/", {"action": "rename", "name": "Ours"}, follow=True
    )
    # then it finds its own client, in no household; A's household keeps its name
    assert "This client is in no household." in response.content.decode()
    with tenant_context(cast.tenant_a):
        household.refresh_from_db()
        assert household.name == ""
    with tenant_context(cast.tenant_b):
        assert not Household.objects.exists()


def test_the_demo_household_is_made_once_and_named(cast, db):
    from clients.demo import seed_household

    with tenant_context(cast.tenant_a):
        first, second = ClientFactory(tenant=cast.tenant_a), ClientFactory(tenant=cast.tenant_a)
        household = seed_household()
        assert seed_household() is None
        assert Household.objects.count() == 1
        assert set(household.members.values_list("pk", flat=True)) == {first.pk, second.pk}
        assert household.name == f"{first.name}'s family"
