"""Filling an existing client file from new values: the one rule shared by an import row
merged into the file it matches (imports) and by a merge of two files (clients.merge).

Nothing on file is lost: an empty field takes the new value, a filled one keeps its own
unless the caller names it in ``take`` (the fields the user chose from the other side);
custom values and other phones are added, spend is added up; health texts that differ
are joined (the newcomer marked with where it came from) and a yes/no is yes if either
side says yes. The result goes through the same checks as any edit: the erased-file
refusal, ``full_clean`` and the audit trail."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from clients.models import Client, ClientHealth
from clients.services import (
    HEALTH_FIELDS,
    ClientData,
    client_health_update,
    client_update,
    health_derive,
    refuse_erased,
)

HEALTH_FLAGS = ("has_surgery_history", "has_drug_allergy", "has_chronic_condition")
HEALTH_TEXT_FIELDS = tuple(f for f in HEALTH_FIELDS if f not in (*HEALTH_FLAGS, "pregnancy"))


def _empty(value) -> bool:
    return value in (None, "", [], {})


def join_text(kept: str, new: str, source: str = "") -> str:
    """Both texts, the new one marked with ``source``; nothing repeated."""
    kept, new = (kept or "").strip(), (new or "").strip()
    if not new or new in kept:
        return kept
    if not kept:
        return new
    return f"{kept}\n[{source}] {new}" if source else f"{kept}\n{new}"


def health_fill(health: ClientHealth, values: dict, *, source: str = "") -> list[str]:
    """Fill a health record (saved or not) from new values; returns the fields changed."""
    changed = []
    for name, value in values.items():
        old = getattr(health, name)
        if name in HEALTH_FLAGS:
            new = old or bool(value)
        elif name == "pregnancy":  # a choice: the one on file stands
            new = old or value
        else:
            new = join_text(old, value, source)
        if new != old:
            setattr(health, name, new)
            changed.append(name)
    health_derive(health)
    return changed


def _fill_value(client: Client, name: str, value, take: set[str]):
    current = getattr(client, name)
    if name in take:
        return value
    if name == "custom":
        return {**value, **current}
    if name == "other_phones":
        extra = [p for p in value if p not in current and p != client.mobile]
        return [*current, *extra]
    if name == "opening_spend":
        return current + value
    return value if _empty(current) else current


@transaction.atomic
def client_fill(
    *,
    client: Client,
    values: dict,
    take: Iterable[str] = (),
    health: dict | None = None,
    source: str = "",
    actor=None,
    note: str = "",
) -> Client:
    """Fill ``client`` from ``values`` (client field → value; ``opening_spend`` is added)
    and its health record from ``health``, through the client services' own writes."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    refuse_erased(client)
    take = set(take)
    values = dict(values)
    spend = values.pop("opening_spend", 0)
    filled = {}
    for name, value in values.items():
        new = _fill_value(client, name, value, take)
        if new != getattr(client, name):
            filled[name] = new
    if filled:
        client = client_update(client=client, data=ClientData(filled), actor=actor, note=note)
    if spend:
        client.opening_spend += spend
        client.save(update_fields=["opening_spend", "updated_at"])
    if health:
        record = ClientHealth.objects.filter(client=client).first() or ClientHealth()
        changed = health_fill(record, health, source=source)
        if changed:
            client_health_update(
                client=client,
                values={name: getattr(record, name) for name in changed},
                updated_by=actor,
            )
    return client
