"""The audit trail (seeds 000, 003): who did what to which client's data, and who looked
at health data or a full ID number. One row per event, in every tenant schema.

Rows never change once written. They hold no foreign keys (a merged or erased client and
a removed staff account must not rewrite history), only ids and a name snapshot.

Entries are written freely, by as many transactions at once as the clinic runs, and
chained after they commit: a sealer appends one ``AuditSeal`` per entry, in the order it
finds them committed, holding the keyed hash of the entry's content and the previous
seal's hash. An edited, deleted or reordered entry breaks the chain
(``manage.py audit_verify``); seals are append-only like the entries."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField


class Action(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    VIEW_HEALTH = "view_health", _("Viewed health data")
    VIEW_FULL_ID = "view_full_id", _("Viewed full ID number")
    MERGE = "merge", _("Merged")
    ERASE = "erase", _("Erased")
    IMPORT = "import", _("Imported")
    EXPORT = "export", _("Exported")
    CONSENT = "consent", _("Consent recorded")


class AuditEntry(models.Model):
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor_id = models.IntegerField(null=True, blank=True)
    actor_label = models.CharField(_("who"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # What was touched: a short type key ("client", "health", "visit", "contact", …) and id.
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    # The client the event belongs to, kept as a plain id so it survives merge and erasure.
    client_id = models.IntegerField(null=True, blank=True)
    fields = ArrayField(models.CharField(max_length=80), default=list, blank=True)
    # {field: [old, new]} for non-sensitive fields only; sensitive ones are named in
    # ``fields`` without values.
    changes = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["client_id", "-id"], name="audit_client"),
            models.Index(fields=["actor_id", "-id"], name="audit_actor"),
            # Repeated views of one client by one user fold into one entry (record_view).
            models.Index(fields=["client_id", "actor_id", "action", "-at"], name="audit_view"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"


class AuditSeal(models.Model):
    """The chain: ``position`` is the order entries were sealed in, which is their commit
    order as the sealer saw it, not their id order (an id taken by a transaction that
    commits later is sealed later). ``chain_hash`` covers the entry's content and the
    previous seal's hash."""

    position = models.BigIntegerField(primary_key=True)
    entry_id = models.BigIntegerField(unique=True)
    chain_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"seal {self.position} of entry {self.entry_id}"


class ClientAuditKey(models.Model):
    """A per-client key that seals the old/new values of that client's audit entries.
    Erasing the client deletes the key (crypto-shredding): the entries, which can never
    change, keep their chain but no longer reveal anything about the person."""

    client_id = models.IntegerField(unique=True)
    key = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"audit key of client {self.client_id}"
