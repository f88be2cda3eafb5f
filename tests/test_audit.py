from datetime import date

from django_tenants.utils import tenant_context

from audit.models import AuditEntry, AuditSeal
from audit.services import GENESIS, diff, entry_digest, record, seal


def test_entries_are_chained_to_the_previous_one(cast, db):
    with tenant_context(cast.tenant_a):
        first = record(action="create", object_type="client", object_id=1, client_id=1)
        fields, changes = diff(
            {"name": "甲", "national_id": "x"},
            {"name": "乙", "national_id": "y"},
            sensitive={"national_id"},
        )
        second = record(
            action="update",
            object_type="client",
            object_id=1,
            client_id=1,
            fields=fields,
            changes=changes,
        )
        assert fields == ["name", "national_id"] and changes == {"name": ["甲", "乙"]}
        seal()
        one, two = (AuditSeal.objects.get(entry_id=e.pk) for e in (first, second))
        previous = (
            AuditSeal.objects.filter(position__lt=one.position)
            .order_by("-position")
            .values_list("chain_hash", flat=True)
            .first()
        )
        assert two.position == one.position + 1
        assert two.chain_hash == entry_digest(AuditEntry.objects.get(pk=second.pk), one.chain_hash)
        assert one.chain_hash == entry_digest(
            AuditEntry.objects.get(pk=first.pk), previous or GENESIS
        )


import pytest  # noqa: E402
from django.core.management import CommandError, call_command  # noqa: E402
from django.db import DatabaseError, connection, transaction  # noqa: E402

from audit.models import ClientAuditKey  # noqa: E402
from audit.services import changes_of, forget_client, verify_chain  # noqa: E402
from clients.services import ClientData, client_update  # noqa: E402
from tests.factories import ClientFactory  # noqa: E402

VALID_ID = "11010519491231002X"


# The client the trail is about: a name and a phone, so a create records both.
AUDITED = {"name": "审计客户", "mobile": "+8613812345678"}


def test_entries_cannot_be_updated_or_deleted_even_with_raw_sql(cast, db):
    ClientFactory(tenant=cast.tenant_a, **AUDITED)
    with tenant_context(cast.tenant_a):
        entry = AuditEntry.objects.order_by("-id").first()
        for attempt in (
            lambda: AuditEntry.objects.filter(pk=entry.pk).update(note="tampered"),
            lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
            lambda: connection.cursor().execute(
                "UPDATE audit_auditentry SET note = 'x' WHERE id = %s", [entry.pk]
            ),
            lambda: connection.cursor().execute("DELETE FROM audit_auditentry"),
            lambda: connection.cursor().execute("TRUNCATE audit_auditentry"),
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                attempt()
        assert AuditEntry.objects.get(pk=entry.pk).note == entry.note


def _tamper(sql, params):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")


@pytest.mark.parametrize("how", ["edit", "delete"])
def test_audit_verify_flags_an_edited_or_deleted_entry(cast, db, how):
    client = ClientFactory(tenant=cast.tenant_a, **AUDITED)
    with tenant_context(cast.tenant_a):
        for n in range(3):
            client_update(client=client, data=ClientData({"occupation": f"职业{n}"}))
        assert verify_chain()[1] is None
        ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
        victim = ids[-2]
        if how == "edit":
            _tamper("UPDATE audit_auditentry SET note = 'nothing happened' WHERE id = %s", [victim])
            expected = victim
        else:
            _tamper("DELETE FROM audit_auditentry WHERE id = %s", [victim])
            expected = victim
        assert verify_chain()[1] == expected
    connection.set_schema_to_public()
    with pytest.raises(CommandError):
        call_command("audit_verify", schema=cast.tenant_a.schema_name)
    call_command("audit_verify", schema=cast.tenant_b.schema_name)


def test_client_changes_and_views_are_recorded_and_sensitive_values_never(
    cast, owner_a, practitioner_a
):
    response = owner_a.post("/clients/new/", {"name": "记录我", "national_id": VALID_ID})
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        from clients.models import Client

        client = Client.objects.get(name="记录我")
        created = AuditEntry.objects.get(action="create", client_id=client.pk)
        assert created.actor_label.endswith(f"<{cast.owner_a}>")
        assert "national_id" in created.fields
        assert "national_id" not in changes_of(created) and VALID_ID not in str(created.changes)
        assert "记录我" not in str(created.changes)  # sealed with the client's key
        assert changes_of(created)["name"] == [None, "记录我"]
    owner_a.get(f"/clients/{client.pk}/")  # the owner sees the full ID
    practitioner_a.get(f"/clients/{client.pk}/health/")
    with tenant_context(cast.tenant_a):
        actions = set(
            AuditEntry.objects.filter(client_id=client.pk).values_list("action", flat=True)
        )
        assert {"create", "view_full_id", "view_health"} <= actions


def test_erasure_shreds_the_clients_audit_values_and_the_chain_still_holds(cast, db):
    from privacy.services import client_erase

    client = ClientFactory(tenant=cast.tenant_a, **AUDITED)
    with tenant_context(cast.tenant_a):
        client_update(client=client, data=ClientData({"address": "上海市淮海中路1号"}))
        client_erase(client=client, actor=None)
        assert not ClientAuditKey.objects.filter(client_id=client.pk).exists()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT changes::text, note FROM audit_auditentry WHERE client_id = %s", [client.pk]
            )
            stored = " ".join(" ".join(row) for row in cursor.fetchall())
        for secret in ("审计客户", "13812345678", "淮海中路"):
            assert secret not in stored
        entry = AuditEntry.objects.filter(client_id=client.pk, action="update").first()
        assert changes_of(entry) is None
        assert verify_chain()[1] is None
        forget_client(client.pk)  # idempotent


def test_only_owners_browse_the_trail_and_only_their_own(
    cast, owner_a, front_desk_a, practitioner_a, owner_b, django_assert_max_num_queries
):
    client = ClientFactory(tenant=cast.tenant_a, **AUDITED)
    assert front_desk_a.get("/audit/").status_code == 403
    assert practitioner_a.get("/audit/").status_code == 403
    assert front_desk_a.get(f"/clients/{client.pk}/audit/").status_code == 403
    page = owner_a.get("/audit/", {"client": client.pk}).content.decode()
    assert "审计客户" in page
    assert "审计客户" not in owner_b.get("/audit/").content.decode()
    tab = owner_a.get(f"/clients/{client.pk}/audit/").content.decode()
    assert "审计客户" in tab
    with tenant_context(cast.tenant_a):
        for n in range(20):
            client_update(client=client, data=ClientData({"occupation": f"职业{n}"}))
    with django_assert_max_num_queries(14):
        owner_a.get("/audit/")


def test_the_trail_reads_in_the_viewers_language(cast, db, owner_a):
    from accounts.models import User
    from clients.models import Flag
    from visits.services import visit_create

    client = ClientFactory(tenant=cast.tenant_a, **AUDITED, gender="male")
    with tenant_context(cast.tenant_a):
        client_update(
            client=client,
            data=ClientData(
                {"gender": "female", "flags": [Flag.IMPORTANT], "date_of_birth": date(1990, 5, 3)}
            ),
        )
        doctor = User.objects.get(email="doctor@alpha.test")
        visit_create(
            client=client,
            values={"visited_on": date(2026, 3, 1), "practitioner": doctor, "satisfaction": 5},
        )
    english = owner_a.get("/audit/", {"client": client.pk}).content.decode()
    assert "client file" in english and f"file {client.file_number}" in english
    assert "<strong>gender</strong>: Male → Female" in english
    assert "<strong>practitioner</strong>: — → Dr. Pat Practitioner" in english
    with tenant_context(cast.tenant_a):
        User.objects.filter(email="owner@alpha.test").update(language="zh-hans")
    chinese = owner_a.get("/audit/", {"client": client.pk}).content.decode()
    assert "客户档案" in chinese and f"档案 {client.file_number}" in chinese
    assert "<strong>性别</strong>: 男 → 女" in chinese
    assert "重要" in chinese and "gender" not in chinese and "client file" not in chinese
