"""How audit entries read on screen, in the reader's language.

Entries are stored in a language-neutral form: an object type key ("client", "visit"),
model field names, raw old/new values and, for notes, a message template with its
arguments (``audit.services.note``). Apps register what their object types are called
and which model describes their fields; this module turns a page of entries into rows a
person can read, translating at display time as Django's admin log does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ObjectType:
    key: str
    label: Any  # lazy text
    model: type[models.Model] | None = None


_types: dict[str, ObjectType] = {}


def register(kind: ObjectType) -> None:
    _types[kind.key] = kind


# Names of values some entries carry beside model fields.
EXTRA_LABELS = {"moved": _("records moved")}


def type_choices() -> list[tuple[str, str]]:
    """The registered object types as (key, label) in the reader's language."""
    return sorted(((kind.key, str(kind.label)) for kind in _types.values()), key=lambda c: c[1])


def object_label(key: str) -> str:
    kind = _types.get(key)
    return str(kind.label) if kind else key


def _model_field(object_type: str, name: str):
    kind = _types.get(object_type)
    if kind is None or kind.model is None:
        return None
    try:
        return kind.model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a field since removed reads as its name
        return None


def field_label(object_type: str, name: str) -> str:
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    found = _model_field(object_type, name)
    label = getattr(found, "verbose_name", None)
    return str(label) if label else name


def _plain_value(value) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if value is True:
        return gettext("Yes")
    if value is False:
        return gettext("No")
    if isinstance(value, list):
        return ", ".join(_plain_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_plain_value(v)}" for k, v in value.items())
    return str(value)


def value_text(object_type: str, name: str, value, names: dict | None = None) -> str:
    """One stored value as the reader sees it: choices by their label, dates in the
    reader's format, yes/no in words, a related row (a staff member) by its name when
    ``names`` (from ``_related_names``) has it."""
    found = _model_field(object_type, name)
    if isinstance(found, models.ForeignKey) and value not in (None, ""):
        return (names or {}).get((found.related_model, str(value)), f"#{value}")
    choices = dict(getattr(found, "flatchoices", None) or [])
    base = getattr(found, "base_field", None)  # ArrayField of choices (flags)
    if base is not None and not choices:
        choices = dict(getattr(base, "flatchoices", None) or [])
    if choices:
        if isinstance(value, list):
            return ", ".join(str(choices.get(v, v)) for v in value) or "—"
        if value in choices:
            return str(choices[value])
    if isinstance(found, models.DateTimeField) and isinstance(value, str) and value:
        # An instant (an appointment's start) in the business's time zone, with its time.
        from datetime import datetime

        from django.utils import timezone

        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return date_format(moment, "SHORT_DATETIME_FORMAT")
    if isinstance(found, models.DateField) and isinstance(value, str) and value:
        try:
            from datetime import date

            return date_format(date.fromisoformat(value[:10]), "SHORT_DATE_FORMAT")
        except ValueError:
            pass
    return _plain_value(value)


def note_text(note: str) -> str:
    """A note written by ``audit.services.note`` in the reader's language; older or
    free-form notes as they were written."""
    if not note.startswith("{"):
        return note
    try:
        parsed = json.loads(note)
        return gettext(parsed["msg"]) % parsed.get("args", {})
    except (ValueError, KeyError, TypeError):
        return note


@dataclass
class Change:
    label: str
    old: str = ""
    new: str = ""
    shown: bool = True  # False: a sensitive field, named without its values


@dataclass
class Row:
    entry: Any
    what: str
    note: str
    erased: bool
    changes: list[Change] = field(default_factory=list)


def _custom_labels() -> dict[str, str]:
    kind = _types.get("custom_field")
    if kind is None or kind.model is None:
        return {}
    return dict(kind.model.objects.values_list("key", "label"))


def _related_names(entries: list, changes: list[dict | None]) -> dict:
    """Names of the rows that foreign-key values point at: one query per related model
    on the page, whatever the number of entries."""
    wanted: dict[type[models.Model], set] = {}
    for entry, values in zip(entries, changes, strict=True):
        for name, pair in (values or {}).items():
            found = _model_field(entry.object_type, name)
            if isinstance(found, models.ForeignKey) and isinstance(pair, list):
                wanted.setdefault(found.related_model, set()).update(
                    str(v) for v in pair if v not in (None, "")
                )
    names = {}
    for model, ids in wanted.items():
        pks = [int(i) for i in ids if i.isdigit()]
        for pk, obj in model._default_manager.in_bulk(pks).items():
            names[(model, str(pk))] = str(obj)
    return names


def rows(entries: list, changes: list[dict | None]) -> list[Row]:
    custom = None
    names = _related_names(entries, changes)
    out = []
    for entry, values in zip(entries, changes, strict=True):
        row = Row(
            entry=entry,
            what=object_label(entry.object_type),
            note=note_text(entry.note),
            erased=values is None,
        )
        values = values or {}
        shown = list(entry.fields) + [n for n in values if n not in entry.fields]
        for name in shown:
            if name == "custom" and name in values:
                # Custom field values live in one JSON column: one line per field.
                if custom is None:
                    custom = _custom_labels()
                old, new = (values[name][0] or {}), (values[name][1] or {})
                for key in sorted(set(old) | set(new)):
                    if old.get(key) != new.get(key):
                        row.changes.append(
                            Change(
                                custom.get(key, key),
                                _plain_value(old.get(key)),
                                _plain_value(new.get(key)),
                            )
                        )
                continue
            label = field_label(entry.object_type, name)
            if name in values:
                old, new = values[name]
                row.changes.append(
                    Change(
                        label,
                        value_text(entry.object_type, name, old, names),
                        value_text(entry.object_type, name, new, names),
                    )
                )
            else:
                row.changes.append(Change(label, shown=False))
        out.append(row)
    return out
