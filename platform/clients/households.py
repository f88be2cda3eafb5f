"""Households: family members who share one (``clients.Household``). Where the owner
allows it, stored value and package sessions move between the cards of one household's
members (``finance.transfers``); nothing else depends on it.

Rules:

- Only staff who may edit client files (``clients.edit``) change a household; an erased
  file joins none.
- A client is in at most one household. Adding a client to a family member's household
  puts them in the member's household, or in a new one for both when neither has one; a
  client already in another household leaves it first.
- A household of one is no household: when the second-to-last member leaves, the last one
  is taken out too and the household is deleted.
- A household may have a name ("the Chen family"); anyone who may change it may rename
  it.
- Every change locks the files concerned (in id order, so two desks linking the same
  people cannot make two households) and is audited on each file it changes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients.errors import ClientErrorCode
from clients.models import Client, Household
from clients.services import refuse_erased

NAME_MAX = Household._meta.get_field("name").max_length


def _require_editor(actor) -> None:
    if actor is None or not actor.can(Capability.EDIT_CLIENTS):
        raise ValidationError(
            _("Only staff who may edit client files can change a household."),
            code=ClientErrorCode.FORBIDDEN,
        )


def _locked(*clients: Client) -> list[Client]:
    """The files locked in id order and read again under the lock (the caller's objects
    themselves, so they show the household they end up in)."""
    ids = sorted({c.pk for c in clients})
    list(Client.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    for client in clients:
        client.refresh_from_db()
    return list(clients)


def _set(client: Client, household: Household | None, actor) -> None:
    before = client.household_id
    client.household = household
    client.save(update_fields=["household", "updated_at"])
    audit.record_change(
        action=Action.UPDATE,
        actor=actor,
        object_type="client",
        object_id=client.pk,
        client_id=client.pk,
        before={"household": before},
        after={"household": client.household_id},
    )


def _audit_household(action: str, household: Household, actor, before: dict, after: dict):
    audit.record_change(
        action=action,
        actor=actor,
        object_type="household",
        object_id=household.pk,
        client_id=None,
        before=before,
        after=after,
    )


@transaction.atomic
def household_create(*, actor, name: str = "", members: list[Client]) -> Household:
    """A new household of ``members`` (at least two files, none in a household yet)."""
    _require_editor(actor)
    members = _locked(*members)
    if len({m.pk for m in members}) < 2:
        raise ValidationError(
            _("A household needs at least two clients."), code=ClientErrorCode.SAME_FILE
        )
    for member in members:
        refuse_erased(member)
        if member.household_id is not None:
            raise _in_another(member)
    household = Household(name=(name or "").strip()[:NAME_MAX])
    household.full_clean()
    household.save()
    _audit_household(Action.CREATE, household, actor, {}, {"name": household.name})
    for member in members:
        _set(member, household, actor)
    return household


@transaction.atomic
def household_rename(*, actor, client: Client, name: str) -> Household:
    """Give ``client``'s household a name ("" for none); audited on the household."""
    _require_editor(actor)
    (client,) = _locked(client)
    refuse_erased(client)
    if client.household_id is None:
        raise ValidationError(
            _("This client is in no household."), code=ClientErrorCode.NO_HOUSEHOLD
        )
    household = Household.objects.select_for_update().get(pk=client.household_id)
    name = " ".join((name or "").split())
    if len(name) > NAME_MAX:
        raise ValidationError(
            {
                "name": ValidationError(
                    _("A household's name has at most %(max)d characters.") % {"max": NAME_MAX},
                    code=ClientErrorCode.TOO_LONG,
                )
            }
        )
    if name != household.name:
        before = household.name
        household.name = name
        household.save(update_fields=["name"])
        _audit_household(Action.UPDATE, household, actor, {"name": before}, {"name": name})
    client.household = household
    return household


def _in_another(client: Client) -> ValidationError:
    return ValidationError(
        _("%(name)s is in another household already; take them out of it first.")
        % {"name": client.name},
        code=ClientErrorCode.IN_HOUSEHOLD,
    )


@transaction.atomic
def household_add_member(*, actor, client: Client, relative: Client) -> Household:
    """Put ``relative`` and ``client`` in one household: ``client``'s, ``relative``'s, or
    a new one for both (see the module's rules)."""
    _require_editor(actor)
    client, relative = _locked(client, relative)
    if client.pk == relative.pk:
        raise ValidationError(
            {
                "relative": ValidationError(
                    _("Choose another client than this one."), code=ClientErrorCode.SAME_FILE
                )
            }
        )
    refuse_erased(client)
    refuse_erased(relative)
    if client.household_id and relative.household_id:
        if client.household_id == relative.household_id:
            return client.household
        raise _in_another(relative)
    if client.household_id is None and relative.household_id is None:
        return household_create(actor=actor, members=[client, relative])
    household = client.household or relative.household
    joining = relative if client.household_id else client
    _set(joining, household, actor)
    return household


@transaction.atomic
def household_remove_member(*, actor, client: Client) -> None:
    """Take ``client`` out of their household; a household left with one member ends."""
    _require_editor(actor)
    (client,) = _locked(client)
    if client.household_id is None:
        raise ValidationError(
            _("This client is in no household."), code=ClientErrorCode.NO_HOUSEHOLD
        )
    _leave(client, actor)


def _leave(client: Client, actor) -> None:
    """``client`` (locked) leaves their household, which ends if one member is left."""
    household = Household.objects.select_for_update().get(pk=client.household_id)
    _set(client, None, actor)
    left = list(Client.objects.select_for_update().filter(household=household).order_by("pk"))
    if len(left) <= 1:
        for member in left:
            _set(member, None, actor)
        _audit_household(Action.DELETE, household, actor, {"name": household.name}, {})
        household.delete()


# ---------- the client's export, erasure and merge (clients.related) ----------


def household_export(client: Client, *, user) -> dict:
    """Whether the client is in a household, and how many others are in it (who they are
    is their own data, not this client's)."""
    return {
        "in_household": client.household_id is not None,
        "household_name": client.household.name if client.household_id else "",
        "other_members": len(members_of(client)),
    }


def household_erase(client: Client) -> None:
    """Erasure takes the client out of their household (a family tie is personal data)."""
    if client.household_id is not None:
        _leave(client, None)


def household_merge(kept: Client, merged: Client) -> None:
    """The kept file takes the merged file's household if it has none; the merged file
    then leaves its household (before it is deleted), which ends if one member is left."""
    if merged.household_id is None:
        return
    if kept.household_id is None:
        _set(kept, merged.household, None)
    _leave(merged, None)


def members_of(client: Client) -> list[Client]:
    """The other members of ``client``'s household (none without one), by name."""
    if client.household_id is None:
        return []
    return list(
        Client.objects.filter(household_id=client.household_id)
        .exclude(pk=client.pk)
        .only("id", "name", "file_number", "household_id")
        .order_by("sort_key", "id")
    )


def same_household(a_id: int, b_id: int) -> bool:
    """Whether the files ``a_id`` and ``b_id`` are two members of one household."""
    if a_id == b_id:
        return False
    households = dict(Client.objects.filter(pk__in=[a_id, b_id]).values_list("pk", "household_id"))
    first, second = households.get(a_id), households.get(b_id)
    return first is not None and first == second
