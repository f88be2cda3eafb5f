"""Concurrent edits of one client file. The edit form carries the version it was opened
at and a signed snapshot of what it showed; when someone else saved in between, the
service refuses the save (EditConflict) and the conflict page compares three states of
every field: as the editor opened it, as it is saved now, and as the editor wants it.

The snapshot is signed (not encrypted) and travels through the browser, so it holds what
the editor could already see: the national ID only as its keyed hash."""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from clients import custom_fields
from clients import fields as client_fields
from clients.models import Client

_SALT = "clients.edit-snapshot"
_FIELDS = tuple((f.name, f.label) for f in client_fields.COMPARED)


def field_text(client: Client, name: str, tags=None) -> str:
    """A client field as plain text for side-by-side comparisons (conflict and merge
    pages): choices and flags by their labels, tags by name, lists joined."""
    if name == "national_id":
        return client.national_id_index
    if name == "referred_by":
        return client.referred_by.file_number if client.referred_by_id else ""
    if name == "preferred_staff":
        return str(client.preferred_staff) if client.preferred_staff_id else ""
    if name == "tags":
        names = tags if tags is not None else [t.name for t in client.tags.all()]
        return "、".join(sorted(names))
    if name in ("gender", "source", "preferred_channel", "language"):
        return str(getattr(client, f"get_{name}_display")()) if getattr(client, name) else ""
    if name == "flags":
        return "、".join(str(label) for label, _style in client.flag_badges)
    value = getattr(client, name)
    if isinstance(value, list):
        return ", ".join(value)
    return "" if value is None else str(value)


def state(client: Client, *, fields=(), tags=None) -> dict[str, str]:
    values = {name: field_text(client, name, tags) for name, _label in _FIELDS}
    for cf in fields:
        values[f"custom:{cf.key}"] = custom_fields.display(cf, client.custom.get(cf.key))
    return values


def snapshot(client: Client, *, fields=()) -> str:
    return signing.dumps(
        {"version": client.version, "state": state(client, fields=fields)}, salt=_SALT
    )


def read_snapshot(token: str) -> dict[str, str] | None:
    try:
        return signing.loads(token, salt=_SALT)["state"]
    except (signing.BadSignature, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    opened: str
    saved: str
    mine: str
    sensitive: bool

    @property
    def theirs(self) -> bool:
        return self.saved != self.opened

    @property
    def yours(self) -> bool:
        return self.mine != self.opened

    @property
    def clash(self) -> bool:
        return self.theirs and self.yours and self.mine != self.saved


def compare(*, opened: dict, current: Client, mine: dict, fields=()) -> list[FieldChange]:
    """Fields someone else changed or the editor changed, in form order. ``mine`` is the
    form's client values; tags there are Tag objects."""
    saved = state(current, fields=fields)
    proposed = Client(
        **{f.attname: getattr(current, f.attname) for f in Client._meta.concrete_fields}
    )
    for name, value in mine.items():
        if name != "tags":
            setattr(proposed, name, value)
    if mine.get("national_id"):
        from core.crypto import blind_index

        proposed.national_id_index = blind_index(mine["national_id"], purpose="national_id")
    wanted = state(proposed, fields=fields, tags=[t.name for t in mine.get("tags", [])])
    rows = []
    labels = [*_FIELDS, *((f"custom:{cf.key}", cf.label) for cf in fields)]
    for name, label in labels:
        row = FieldChange(
            name=name,
            label=str(label),
            opened=opened.get(name, ""),
            saved=saved[name],
            mine=wanted[name],
            sensitive=name == "national_id",
        )
        if row.theirs or row.yours:
            rows.append(row)
    return rows
