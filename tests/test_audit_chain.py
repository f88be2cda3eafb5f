"""The audit chain is made after commit, without one lock serialising a business's writes,
and still shows an edited, deleted or reordered entry."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction
from django_tenants.utils import tenant_context

from audit import services as audit
from audit.models import AuditEntry, AuditSeal
from audit.services import record, seal, verify_chain
from clients.services import ClientData, client_update
from tests.factories import ClientFactory

# The client whose changes fill the trail: a name and a phone, so a create records both.
CHAINED = {"name": "链条客户", "mobile": "+8613812345678"}


def _tamper(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE audit_auditseal DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditseal ENABLE TRIGGER USER")
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")


def test_an_audited_write_does_not_wait_for_another_transactions_chain_lock(cast, db):
    # given another session holds the business's chain lock (as a sealer, or the old
    # per-write lock, would)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(%s, hashtext(%s))",
                [audit._LOCK_NAMESPACE, cast.tenant_a.schema_name],
            )
        with tenant_context(cast.tenant_a):
            client = ClientFactory(**CHAINED)
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            # when a client file is changed and audited in this transaction
            client_update(client=client, data=ClientData({"occupation": "教师"}))
            # then it went through without waiting for the lock
            assert AuditEntry.objects.filter(
                client_id=client.pk, action="update", fields=["occupation"]
            ).exists()
    finally:
        other.close()


def test_a_transactions_entries_are_sealed_once_after_it_commits(
    cast, db, django_capture_on_commit_callbacks
):
    with tenant_context(cast.tenant_a):
        # given a transaction writing several audited changes
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            transaction.atomic(),
        ):
            client = ClientFactory(**CHAINED)
            for n in range(3):
                client_update(client=client, data=ClientData({"occupation": f"职业{n}"}))
            ids = list(AuditEntry.objects.filter(client_id=client.pk).values_list("id", flat=True))
            # then nothing is chained before commit
            assert not AuditSeal.objects.filter(entry_id__in=ids).exists()
        # and one sealer chained all of them in id order once it committed
        assert sum(isinstance(callback, audit._Sealer) for callback in callbacks) == 1
        seals = list(
            AuditSeal.objects.filter(entry_id__in=ids)
            .order_by("position")
            .values_list("entry_id", flat=True)
        )
        assert seals == sorted(ids) and len(ids) == 4
        assert verify_chain()[1] is None


def test_an_entry_that_commits_after_a_later_id_is_chained_after_it(cast, db):
    with tenant_context(cast.tenant_a):
        seal()
        # given entry 1 takes its id first but its transaction commits after entry 2's,
        # so the sealer meets entry 2 first
        early = record(action="create", object_type="client", object_id=1, client_id=1)
        late = record(action="create", object_type="client", object_id=2, client_id=2)
        assert seal(since=late.pk) == 1
        # when entry 1's sealer runs
        assert seal(since=early.pk) == 1
        # then it is chained after entry 2, and the chain holds
        positions = dict(
            AuditSeal.objects.filter(entry_id__in=[early.pk, late.pk]).values_list(
                "entry_id", "position"
            )
        )
        assert positions[early.pk] == positions[late.pk] + 1
        assert verify_chain() == (AuditSeal.objects.count(), None, "")


def test_seals_cannot_be_updated_or_deleted(cast, db):
    with tenant_context(cast.tenant_a):
        ClientFactory(**CHAINED)
        seal()
        last = AuditSeal.objects.order_by("-position").first()
        for sql in (
            "UPDATE audit_auditseal SET chain_hash = 'x' WHERE position = %s",
            "DELETE FROM audit_auditseal WHERE position = %s",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
                connection.cursor().execute(sql, [last.position])
        assert AuditSeal.objects.get(position=last.position).chain_hash == last.chain_hash


def _three_updates():
    client = ClientFactory(**CHAINED)
    for n in range(3):
        client_update(client=client, data=ClientData({"occupation": f"职业{n}"}))
    assert verify_chain()[1] is None
    return list(AuditSeal.objects.order_by("position").values_list("entry_id", flat=True))


@pytest.mark.parametrize(
    "how", ["edit", "delete", "delete_with_seal", "reorder_seals", "swap_contents"]
)
def test_audit_verify_finds_an_edited_deleted_or_reordered_entry(cast, db, how):
    with tenant_context(cast.tenant_a):
        # given a sealed trail
        order = _three_updates()
        a, b, c = order[-3:]
        # when someone with the database's keys to the kingdom rewrites it
        if how == "edit":
            _tamper("UPDATE audit_auditentry SET note = 'nothing happened' WHERE id = %s", [b])
            expected = b
        elif how == "delete":
            _tamper("DELETE FROM audit_auditentry WHERE id = %s", [b])
            expected = b
        elif how == "delete_with_seal":
            _tamper("DELETE FROM audit_auditseal WHERE entry_id = %s", [b])
            _tamper("DELETE FROM audit_auditentry WHERE id = %s", [b])
            expected = c
        elif how == "reorder_seals":
            _tamper("UPDATE audit_auditseal SET entry_id = -1 WHERE entry_id = %s", [a])
            _tamper("UPDATE audit_auditseal SET entry_id = %s WHERE entry_id = %s", [a, b])
            _tamper("UPDATE audit_auditseal SET entry_id = %s WHERE entry_id = -1", [b])
            expected = b
        else:  # two entries trade places: each takes the other's content
            _tamper(
                "UPDATE audit_auditentry SET id = -id WHERE id IN (%s, %s)",
                [a, b],
            )
            _tamper("UPDATE audit_auditentry SET id = %s WHERE id = %s", [b, -a])
            _tamper("UPDATE audit_auditentry SET id = %s WHERE id = %s", [a, -b])
            expected = a
        # then verification names the first entry that no longer fits
        checked, broken, reason = verify_chain()
        assert broken == expected and reason
    connection.set_schema_to_public()
    with pytest.raises(CommandError, match=cast.tenant_a.schema_name):
        call_command("audit_verify", schema=cast.tenant_a.schema_name)
    call_command("audit_verify", schema=cast.tenant_b.schema_name)


def test_entries_left_unsealed_by_a_dead_writer_are_sealed_by_audit_seal(cast, db, capsys):
    # given entries whose after-commit sealer never ran (the process died)
    with tenant_context(cast.tenant_a):
        seal()
        client = ClientFactory(**CHAINED)
        waiting = AuditEntry.objects.filter(client_id=client.pk).values_list("id", flat=True)
        assert not AuditSeal.objects.filter(entry_id__in=list(waiting)).exists()
    # when the periodic sealer runs
    connection.set_schema_to_public()
    call_command("audit_seal", schema=cast.tenant_a.schema_name)
    # then they are in the chain
    assert f"{cast.tenant_a.schema_name}: 1 sealed" in capsys.readouterr().out
    with tenant_context(cast.tenant_a):
        assert AuditSeal.objects.filter(entry_id__in=list(waiting)).count() == 1
        assert verify_chain()[1] is None


def test_a_sealer_that_cannot_get_the_lock_leaves_its_entries_to_the_next_one(
    cast, db, monkeypatch
):
    # given a session that holds the chain lock and does not let go
    monkeypatch.setattr(audit, "SEAL_PATIENCE_SECONDS", 0.05)
    other = connections.create_connection("default")
    lock = [audit._LOCK_NAMESPACE, cast.tenant_a.schema_name]
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", lock)
        with tenant_context(cast.tenant_a):
            client = ClientFactory(**CHAINED)
            entry = AuditEntry.objects.get(client_id=client.pk)
            # when the sealer runs, it gives up instead of holding up the request
            assert seal() == 0
            assert not AuditSeal.objects.filter(entry_id=entry.pk).exists()
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", lock)
        # then the next sealer chains the entry
        with tenant_context(cast.tenant_a):
            assert seal() >= 1 and AuditSeal.objects.filter(entry_id=entry.pk).exists()
            assert verify_chain()[1] is None
    finally:
        other.close()
