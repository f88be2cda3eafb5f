"""Writes to the contact log. Each write is one transaction with its audit entry; the
free-text summary and outcome are named in the audit trail but never copied into it,
so erasing them from the log erases them everywhere.

Who may write (the rule the pages follow too): logging a contact and completing a
follow-up need a role that edits client files or runs care messages; changing an entry
(editing, deleting, completing its follow-up) is for the staff member it names, the one
who wrote it, and anyone who manages staff."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients.services import refuse_erased
from contactlog.models import ContactEntry

CONTACT_FIELDS = (
    "contacted_at",
    "staff",
    "purpose",
    "channel",
    "summary",
    "outcome",
    "next_follow_up",
)
AUDIT_SENSITIVE = ("summary", "outcome")


def contact_may_log(user) -> bool:
    return user.can(Capability.EDIT_CLIENTS) or user.can(Capability.RUN_CAMPAIGNS)


def contact_may_change(user, entry: ContactEntry) -> bool:
    if not contact_may_log(user):
        return False
    return user.can(Capability.MANAGE_STAFF) or user.pk in (entry.staff_id, entry.created_by_id)


def _refuse_unless_may_change(actor, entry: ContactEntry) -> None:
    if not contact_may_change(actor, entry):
        raise PermissionDenied("This contact log entry is not yours to change.")


def _snapshot(entry: ContactEntry) -> dict:
    values = {
        name: getattr(entry, "staff_id" if name == "staff" else name) for name in CONTACT_FIELDS
    }
    values["follow_up_done_at"] = entry.follow_up_done_at
    return values


def _apply(entry: ContactEntry, values: dict) -> None:
    unknown = set(values) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown contact fields: {sorted(unknown)}")
    old_follow_up = entry.next_follow_up
    for name, value in values.items():
        setattr(entry, name, value)
    if entry.next_follow_up != old_follow_up:
        # A new or removed follow-up date is a new task: whatever was done was for the
        # old date.
        entry.follow_up_done_at = None
        entry.follow_up_done_by = None


def _record(action: str, entry: ContactEntry, before: dict, after: dict, actor) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type="contact",
        object_id=entry.pk,
        client_id=entry.client_id,
        before=before,
        after=after,
        sensitive=AUDIT_SENSITIVE,
    )


@transaction.atomic
def contact_create(*, client, values: dict, created_by=None) -> ContactEntry:
    refuse_erased(client)
    entry = ContactEntry(client=client, created_by=created_by)
    if "staff" not in values:
        entry.staff = created_by
    _apply(entry, values)
    entry.full_clean()
    entry.save()
    _record(Action.CREATE, entry, {}, _snapshot(entry), created_by)
    return entry


@transaction.atomic
def contact_update(*, entry: ContactEntry, values: dict, actor) -> ContactEntry:
    entry = (
        ContactEntry.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=entry.pk)
    )
    _refuse_unless_may_change(actor, entry)
    refuse_erased(entry.client)
    before = _snapshot(entry)
    _apply(entry, values)
    entry.full_clean()
    entry.save()
    _record(Action.UPDATE, entry, before, _snapshot(entry), actor)
    return entry


@transaction.atomic
def contact_delete(*, entry: ContactEntry, actor) -> None:
    _refuse_unless_may_change(actor, entry)
    before = _snapshot(entry)
    pk = entry.pk
    entry.delete()
    entry.pk = pk
    _record(Action.DELETE, entry, before, {}, actor)


@transaction.atomic
def contact_follow_up_done(*, entry: ContactEntry, actor) -> ContactEntry:
    """Mark the entry's follow-up done: the same rule as editing the entry. Marking it
    twice keeps the first time and person; an entry without a follow-up date has nothing
    to complete. The entry comes back with its client and staff member, ready to show."""
    entry = (
        ContactEntry.objects.select_for_update(of=("self",))
        .select_related("client", "staff")
        .get(pk=entry.pk)
    )
    _refuse_unless_may_change(actor, entry)
    if entry.next_follow_up is None or entry.follow_up_done_at is not None:
        return entry
    before = _snapshot(entry)
    entry.follow_up_done_at = timezone.now()
    entry.follow_up_done_by = actor
    entry.save(update_fields=["follow_up_done_at", "follow_up_done_by", "updated_at"])
    _record(Action.UPDATE, entry, before, _snapshot(entry), actor)
    return entry
