from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from audit.services import GENESIS, diff, entry_digest, record


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
        previous = (
            AuditEntry.objects.filter(id__lt=first.id)
            .order_by("-id")
            .values_list("chain_hash", flat=True)
            .first()
        )
        stored = AuditEntry.objects.get(pk=second.pk)
        assert stored.chain_hash == entry_digest(stored, first.chain_hash)
        assert first.chain_hash == entry_digest(
            AuditEntry.objects.get(pk=first.pk), previous or GENESIS
        )
