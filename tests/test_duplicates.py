"""Duplicate warnings on the client form and merging two files of the same person."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from audit.display import note_text
from audit.models import AuditEntry
from clients.duplicates import likely_duplicates
from clients.models import Client, ClientHealth
from clients.services import ClientData, client_create, client_health_update
from privacy.models import ConsentRecord
from privacy.services import consent_record
from tests.conftest import signed_in
from tests.factories import ClientFactory
from tests.money_source_helpers import billed_visit
from visits.models import Visit

VALID_ID = "11010519491231002X"

FORM = {
    "name": "李雷",
    "gender": "male",
    "date_of_birth": "1988-02-14",
    "mobile": "13912345678",
    "other_phones": "",
    "email": "",
    "national_id": "",
}


@pytest.mark.parametrize(
    ("existing", "posted", "reason"),
    [
        ({"mobile": "+8613912345678"}, {}, "phone"),
        ({"other_phones": ["+8613912345678"]}, {}, "phone"),
        ({"mobile": "+8613700000000"}, {"other_phones": "137 0000 0000"}, "phone"),
        ({"national_id": VALID_ID}, {"national_id": VALID_ID, "mobile": ""}, "national_id"),
        (
            {"date_of_birth": date(1988, 2, 14)},
            {"mobile": "", "name": "王芳"},
            "name_dob",
        ),
    ],
)
def test_a_new_file_is_held_when_a_likely_duplicate_exists(cast, owner_a, existing, posted, reason):
    # given
    other = ClientFactory(tenant=cast.tenant_a, name="王芳", **existing)
    # when
    response = owner_a.post("/clients/new/", {**FORM, **posted})
    # then: nothing saved, the warning names the other file and the reason
    assert response.status_code == 200
    held = response.context["duplicates"]
    assert [d.client.pk for d in held] == [other.pk]
    assert reason in held[0].reasons
    page = response.content.decode()
    assert other.file_number in page and "Save anyway" in page
    with tenant_context(cast.tenant_a):
        assert Client.objects.count() == 1


def test_the_warning_masks_the_other_files_phone(cast, owner_a):
    ClientFactory(tenant=cast.tenant_a, name="王芳", mobile="+8613912345678")
    page = owner_a.post("/clients/new/", FORM).content.decode()
    assert "+86139****5678" in page and "13912345678" not in page.replace('value="13912345678"', "")


def test_save_anyway_creates_the_second_file(cast, owner_a):
    ClientFactory(tenant=cast.tenant_a, name="王芳", mobile="+8613912345678")
    response = owner_a.post("/clients/new/", {**FORM, "save_anyway": "1"})
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        assert Client.objects.filter(mobile="+8613912345678").count() == 2


def test_an_edit_giving_another_files_id_number_is_held_then_saved_anyway(cast, owner_a):
    # given
    ClientFactory(tenant=cast.tenant_a, name="王芳", national_id=VALID_ID)
    mine = ClientFactory(tenant=cast.tenant_a, name="李雷", mobile="+8613912345678")
    edit = {**FORM, "national_id": VALID_ID}
    # when
    held = owner_a.post(f"/clients/{mine.pk}/edit/", edit)
    # then
    assert held.status_code == 200 and held.context["duplicates"][0].reasons == ["national_id"]
    with tenant_context(cast.tenant_a):
        mine.refresh_from_db()
        assert mine.national_id == ""
    # and: saved anyway
    assert (
        owner_a.post(f"/clients/{mine.pk}/edit/", {**edit, "save_anyway": "1"}).status_code == 302
    )
    with tenant_context(cast.tenant_a):
        mine.refresh_from_db()
        assert mine.national_id == VALID_ID


def test_an_edit_that_changes_no_identifying_field_is_not_held_again(cast, owner_a):
    ClientFactory(tenant=cast.tenant_a, name="王芳", mobile="+8613912345678")
    mine = ClientFactory(
        tenant=cast.tenant_a, name="李雷", mobile="+8613912345678", date_of_birth=date(1988, 2, 14)
    )
    response = owner_a.post(
        f"/clients/{mine.pk}/edit/", {**FORM, "occupation": "工程师", "gender": "male"}
    )
    assert response.status_code == 302


def test_the_duplicate_check_is_one_query(cast, db, django_assert_num_queries):
    for n in range(5):
        ClientFactory(
            tenant=cast.tenant_a,
            name=f"客户{n}",
            mobile=f"+86139000000{n:02d}",
            national_id=VALID_ID,
        )
    with tenant_context(cast.tenant_a):
        assert Client.objects.exists()  # the schema switch is not the check's query
        with django_assert_num_queries(1):
            found = likely_duplicates(
                {
                    "name": "客户1",
                    "date_of_birth": date(1990, 1, 1),
                    "mobile": "+8613900000001",
                    "other_phones": [],
                    "national_id": VALID_ID,
                }
            )
    assert len(found) == 5
    assert {tuple(d.reasons) for d in found} >= {("phone", "national_id"), ("national_id",)}


def _dangling_references(model_rels) -> dict:
    """For every foreign key to clients_client, rows whose client no longer exists."""
    dangling = {}
    with connection.cursor() as cursor:
        for rel in model_rels:
            if rel.many_to_many:
                continue
            table = rel.related_model._meta.db_table
            column = rel.field.column
            cursor.execute(
                f'SELECT count(*) FROM "{table}" t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '
                f'(SELECT 1 FROM clients_client c WHERE c.id = t."{column}")'
            )
            dangling[f"{table}.{column}"] = cursor.fetchone()[0]
    return dangling


def test_a_merge_moves_every_related_record_to_the_kept_file(cast, owner_a):
    # given: two files of one person, each with visits, health, referrals and consents
    with tenant_context(cast.tenant_a):
        kept = client_create(
            data=ClientData({"name": "陈静", "mobile": "+8613911112222"}), created_by=None
        )
        merged = client_create(
            data=ClientData({"name": "陈静", "email": "chen@example.com", "occupation": "设计师"}),
            created_by=None,
        )
        Client.objects.filter(pk=merged.pk).update(
            custom={"skin": "oily"}, opening_spend=Decimal("100")
        )
        friend = client_create(
            data=ClientData({"name": "朋友", "referred_by": merged}), created_by=None
        )
        billed_visit(client=kept, amount=Decimal("200"), visited_on=date(2024, 1, 5))
        billed_visit(client=merged, amount=Decimal("300"), visited_on=date(2024, 3, 9))
        billed_visit(client=merged, amount=Decimal("50"), visited_on=date(2023, 7, 1))
        client_health_update(client=kept, values={"drug_allergies": "青霉素"}, updated_by=None)
        client_health_update(
            client=merged, values={"drug_allergies": "磺胺", "notes": "孕期"}, updated_by=None
        )
        consent_record(client=merged, purpose="marketing_sms", granted=True, method="written")
    # when: the owner keeps the first file, taking the occupation from the second
    page = owner_a.get(f"/clients/{merged.pk}/merge/{kept.pk}/")
    assert page.status_code == 200 and "设计师" in page.content.decode()
    response = owner_a.post(
        f"/clients/{merged.pk}/merge/{kept.pk}/",
        {"take_email": "merged", "take_occupation": "merged", "take_mobile": "kept"},
    )
    # then
    assert response.status_code == 302 and response["Location"] == f"/clients/{kept.pk}/"
    with tenant_context(cast.tenant_a):
        assert not Client.objects.filter(pk=merged.pk).exists()
        kept.refresh_from_db()
        assert (kept.mobile, kept.email, kept.occupation) == (
            "+8613911112222",
            "chen@example.com",
            "设计师",
        )
        assert "chen@example.com" in kept.search_text
        assert kept.custom == {"skin": "oily"}
        assert Visit.objects.filter(client=kept).count() == 3
        assert kept.visit_count == 3 and kept.total_spend == Decimal("650")
        # the merged file's bills moved with it; the spend is the till's
        assert kept.bills.count() == 3
        assert (kept.first_visit_on, kept.last_visit_on) == (date(2023, 7, 1), date(2024, 3, 9))
        friend.refresh_from_db()
        assert friend.referred_by_id == kept.pk
        health = ClientHealth.objects.get()
        assert health.client_id == kept.pk
        assert health.drug_allergies == f"青霉素\n[{merged.file_number}] 磺胺"
        assert health.notes == "孕期"
        assert ConsentRecord.objects.get().client_id == kept.pk
        assert set(_dangling_references(Client._meta.related_objects).values()) == {0}
        entry = AuditEntry.objects.filter(action="merge", client_id=kept.pk).get()
        assert note_text(entry.note) == f"merged file {merged.file_number}"
        assert "陈静" not in str(entry.changes) and "chen@" not in str(entry.changes)


def test_a_file_that_was_referred_by_the_merged_one_does_not_refer_itself(cast, owner_a):
    with tenant_context(cast.tenant_a):
        merged = client_create(data=ClientData({"name": "甲"}), created_by=None)
        kept = client_create(
            data=ClientData({"name": "甲", "referred_by": merged}), created_by=None
        )
    assert owner_a.post(f"/clients/{merged.pk}/merge/{kept.pk}/", {}).status_code == 302
    with tenant_context(cast.tenant_a):
        kept.refresh_from_db()
        assert kept.referred_by_id is None


def test_the_merge_chooser_finds_the_file_to_keep_by_file_number(cast, owner_a):
    merged = ClientFactory(tenant=cast.tenant_a, name="甲")
    other = ClientFactory(tenant=cast.tenant_a, name="乙")
    page = owner_a.get(f"/clients/{merged.pk}/merge/", {"q": other.file_number}).content.decode()
    assert f"/clients/{merged.pk}/merge/{other.pk}/" in page
    assert f"/clients/{merged.pk}/merge/{merged.pk}/" not in page


def test_front_desk_and_practitioners_cannot_merge(cast, front_desk_a, practitioner_a):
    a, b = (
        ClientFactory(tenant=cast.tenant_a, name="甲"),
        ClientFactory(tenant=cast.tenant_a, name="乙"),
    )
    for client in (front_desk_a, practitioner_a):
        assert client.get(f"/clients/{a.pk}/merge/").status_code == 403
        assert client.post(f"/clients/{a.pk}/merge/{b.pk}/", {}).status_code == 403
    with tenant_context(cast.tenant_a):
        assert Client.objects.count() == 2


def test_a_manager_may_merge(cast, db):
    from accounts.services import staff_create

    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mia Manager",
            email="mgr@alpha.test",
            password="Pass-Word-1234",
            roles=["manager"],
        )
    manager = signed_in(cast.tenant_a, cast.host_a, "mgr@alpha.test")
    a, b = (
        ClientFactory(tenant=cast.tenant_a, name="甲"),
        ClientFactory(tenant=cast.tenant_a, name="乙"),
    )
    assert manager.post(f"/clients/{a.pk}/merge/{b.pk}/", {}).status_code == 302


def test_tenant_b_merges_only_its_own_files_through_ids_both_tenants_hold(cast, owner_b, twins):
    # given: two clients in each tenant, pairwise with the same ids
    def named(first, second):
        return lambda tenant: ClientFactory(name=first if tenant.pk == cast.tenant_a.pk else second)

    a, _b_twin = twins(Client, named("甲", "丙"))
    b, _b_other = twins(Client, named("乙", "丁"))
    # when: tenant B merges the files of those ids
    page = owner_b.get(f"/clients/{a.pk}/merge/{b.pk}/").content.decode()
    merged = owner_b.post(f"/clients/{a.pk}/merge/{b.pk}/", {})
    # then: B compared and merged its own files; A still has both of its own
    assert "丙" in page and "丁" in page and "甲" not in page and "乙" not in page
    assert merged.status_code == 302
    with tenant_context(cast.tenant_b):
        assert list(Client.objects.values_list("pk", flat=True)) == [b.pk]
    with tenant_context(cast.tenant_a):
        assert sorted(Client.objects.values_list("name", flat=True)) == ["乙", "甲"]


def test_tags_are_pooled_by_a_merge_not_offered_as_a_choice(cast, owner_a):
    from clients.models import Flag, Tag

    with tenant_context(cast.tenant_a):
        vip, new = Tag.objects.create(name="储值卡会员"), Tag.objects.create(name="老带新")
        kept = client_create(
            data=ClientData({"name": "周敏", "tags": [vip], "flags": [Flag.IMPORTANT]}),
            created_by=None,
        )
        merged = client_create(
            data=ClientData({"name": "周敏", "tags": [new], "custom": {"skin": "dry"}}),
            created_by=None,
        )
    page = owner_a.get(f"/clients/{merged.pk}/merge/{kept.pk}/").content.decode()
    assert "Tag.None" not in page and 'name="take_tags"' not in page
    assert "Important" in page and "['important']" not in page
    response = owner_a.post(
        f"/clients/{merged.pk}/merge/{kept.pk}/", {"take_tags": "merged", "take_flags": "merged"}
    )
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        kept.refresh_from_db()
        assert sorted(t.name for t in kept.tags.all()) == ["储值卡会员", "老带新"]
        assert kept.flags == []  # the merged file's (empty) flags were chosen
