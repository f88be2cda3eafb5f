"""The audit trail reads as what happened: only the fields that changed, one entry for a
run of looks at the same file, and filters an owner can narrow it with."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import override_settings
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from audit.services import changes_of
from clients.services import ClientData, client_health_update, client_update
from tests.factories import ClientFactory

NOON = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)


# The client whose changes are read back: a name and a phone, so a create records both.
CHANGED = {"name": "变更客户", "mobile": "+8613812345678"}


def test_a_new_client_lists_only_the_fields_that_have_a_value(cast, db, owner_a):
    # given / when a file is created with a name and a mobile only
    response = owner_a.post("/clients/new/", {"name": "只填两项", "mobile": "13812345678"})
    # then its entry names those fields, not every empty one as "— → —"
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        from clients.models import Client

        client = Client.objects.get(name="只填两项")
        created = AuditEntry.objects.get(action="create", client_id=client.pk)
        assert set(created.fields) == {"name", "mobile"}
        assert set(changes_of(created)) == {"name", "mobile"}
    page = owner_a.get("/audit/", {"client": client.pk}).content.decode()
    assert "— → —" not in page


def test_an_update_lists_only_the_fields_whose_value_changed(cast, db):
    with tenant_context(cast.tenant_a):
        # given a file with an empty address
        client = ClientFactory(**CHANGED, occupation="教师")
        # when the form saves every field but only the occupation differs
        client_update(
            client=client,
            data=ClientData({**CHANGED, "occupation": "医生", "address": ""}),
        )
        # then only the occupation is recorded
        entry = AuditEntry.objects.filter(client_id=client.pk, action="update").get()
        assert entry.fields == ["occupation"]
        assert changes_of(entry) == {"occupation": ["教师", "医生"]}


def test_changing_one_health_field_records_only_that_field_and_no_change_records_nothing(cast, db):
    with tenant_context(cast.tenant_a):
        # given a health record saved once
        client = ClientFactory(**CHANGED)
        values = {"drug_allergies": "青霉素", "notes": ""}
        client_health_update(client=client, values=values, updated_by=None)
        first = AuditEntry.objects.filter(client_id=client.pk, object_type="health").get()
        # the allergy and the flag it implies; the empty note is not a change
        assert first.fields == ["drug_allergies", "has_drug_allergy"]
        # when the full form is saved again with one field changed
        client_health_update(client=client, values={**values, "notes": "随访"}, updated_by=None)
        # and once more with nothing changed
        client_health_update(client=client, values={**values, "notes": "随访"}, updated_by=None)
        # then the second entry names the one field, without its value, and the third
        # save left no entry
        entries = list(
            AuditEntry.objects.filter(client_id=client.pk, object_type="health").order_by("id")
        )
        assert [e.fields for e in entries] == [first.fields, ["notes"]]
        assert "随访" not in str(entries[1].changes) and changes_of(entries[1]) == {}


@pytest.mark.clock(NOON)
@override_settings(AUDIT_VIEW_WINDOW_SECONDS=600)
def test_repeated_views_of_one_clients_health_by_one_user_in_the_window_are_one_entry(
    cast, db, practitioner_a, owner_a
):
    with tenant_context(cast.tenant_a):
        client = ClientFactory(**CHANGED)

    def views():
        with tenant_context(cast.tenant_a):
            return AuditEntry.objects.filter(client_id=client.pk, action="view_health")

    # given the practitioner opens the health tab, then reloads it and its form
    assert practitioner_a.get(f"/clients/{client.pk}/health/").status_code == 200
    with time_machine.travel(NOON + timedelta(minutes=4), tick=False):
        practitioner_a.get(f"/clients/{client.pk}/health/")
        practitioner_a.get(f"/clients/{client.pk}/health/edit/")
    # then that is one look
    assert views().count() == 1
    # when the owner looks too, and the practitioner comes back after the window
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        owner_a.get(f"/clients/{client.pk}/health/")
    with time_machine.travel(NOON + timedelta(minutes=15), tick=False):
        practitioner_a.get(f"/clients/{client.pk}/health/")
    # then each is recorded
    assert views().count() == 3
    assert views().values("actor_label").distinct().count() == 2


def _entries_on_page(page: str, client) -> int:
    return page.count(f"/clients/{client.pk}/")


def test_the_trail_filters_by_client_file_record_kind_and_date(cast, db, owner_a, owner_b):
    # given two clients with changes on different days
    with tenant_context(cast.tenant_a):
        with time_machine.travel(datetime(2026, 11, 2, 4, 0, tzinfo=UTC)):
            first = ClientFactory(**CHANGED)
            client_update(client=first, data=ClientData({"occupation": "教师"}))
        with time_machine.travel(datetime(2026, 11, 20, 4, 0, tzinfo=UTC)):
            second = ClientFactory(name="另一位", mobile="+8613812345678")
            client_health_update(client=second, values={"notes": "随访"}, updated_by=None)
    # when the owner filters by the first client's file number
    page = owner_a.get("/audit/", {"file_number": first.file_number}).content.decode()
    # then only its entries show
    assert _entries_on_page(page, first) == 2 and _entries_on_page(page, second) == 0
    # by kind of record and by action
    page = owner_a.get("/audit/", {"object_type": "health"}).content.decode()
    assert _entries_on_page(page, second) == 1 and _entries_on_page(page, first) == 0
    page = owner_a.get(
        "/audit/", {"file_number": first.file_number, "action": "update"}
    ).content.decode()
    assert _entries_on_page(page, first) == 1
    # by date
    page = owner_a.get(
        "/audit/", {"start": "2026-11-10", "end": "2026-11-30", "object_type": "client"}
    ).content.decode()
    assert _entries_on_page(page, second) == 1 and _entries_on_page(page, first) == 0
    # and another business's owner filtering by the same file number sees none of it
    other = owner_b.get("/audit/", {"file_number": first.file_number}).content.decode()
    assert _entries_on_page(other, first) == 0 and "变更客户" not in other
    with tenant_context(cast.tenant_a):
        assert AuditEntry.objects.filter(client_id=first.pk).count() == 2


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_date_range_that_ends_before_it_starts_is_refused_beside_the_field(
    cast, db, owner_a, language
):
    # given an entry on record
    with tenant_context(cast.tenant_a):
        from accounts.models import User

        client = ClientFactory(**CHANGED)
        User.objects.filter(email=cast.owner_a).update(language=language)
    # when the owner asks for a range that ends before it starts
    response = owner_a.get("/audit/", {"start": "2026-12-01", "end": "2026-11-01"})
    page = response.content.decode()
    # then the page says so next to the end date and does not filter on it
    assert response.status_code == 200
    expected = {"en": "The end date is before the start date.", "zh-hans": "结束日期早于开始日期。"}
    assert 'id="id_end_errors"' in page and expected[language] in page
    assert _entries_on_page(page, client) >= 1
