"""Merging two files of the same person into one (seed 002: 自动检测重复条目).

The user keeps one file and picks, per differing field, whose value survives. Everything
that points at the other file moves to the kept one, found generically from
``Client._meta.related_objects``, so areas added later (visits, contact log, referrals,
appointments, bills, vertical records…) are moved without being named here. An area whose
rows cannot simply be re-pointed (a one-to-one row, a unique constraint on the client,
a denormalised copy) resolves that in its ``clients.related`` handler's ``merge``, which
runs first; a one-to-one row left on both files after that stays with the kept file and
the other one is deleted with the merged file."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.models import Action
from audit.services import note, record
from clients import fields as client_fields
from clients import related
from clients.errors import ClientErrorCode
from clients.fill import client_fill
from clients.models import Client, ClientHealth
from clients.services import HEALTH_FIELDS


def _empty(value) -> bool:
    return value in (None, "", [], {})


# The fields a merge asks about. Tags are not a choice: the kept file gets both files'
# tags (``_move_related``).
MERGE_FIELDS = client_fields.MERGED


def differing_fields(kept: Client, merged: Client) -> list[str]:
    return [f for f in MERGE_FIELDS if getattr(kept, f) != getattr(merged, f)]


def default_choices(kept: Client, merged: Client) -> set[str]:
    """Fields whose value is taken from the merged file unless the user says otherwise:
    those the kept file leaves empty and the merged one fills."""
    return {
        f
        for f in differing_fields(kept, merged)
        if _empty(getattr(kept, f)) and not _empty(getattr(merged, f))
    }


def _health_of(client: Client) -> dict:
    health = ClientHealth.objects.filter(client=client).first()
    if health is None:
        return {}
    return {name: getattr(health, name) for name in HEALTH_FIELDS}


def _move_related(kept: Client, merged: Client) -> list[str]:
    """Point every foreign key at ``merged`` to ``kept`` and give ``kept`` the merged
    file's many-to-many rows (its tags) too; returns the moved models' labels."""
    moved = []
    for field in Client._meta.many_to_many:
        rows = list(getattr(merged, field.name).all())
        if rows:
            getattr(kept, field.name).add(*rows)
            moved.append(field.related_model._meta.label)
    for rel in Client._meta.related_objects:
        model = rel.related_model
        if model is ClientHealth:
            continue  # merged above, field by field
        if rel.many_to_many:
            if rel.through._meta.auto_created:
                accessor = rel.get_accessor_name()
                getattr(kept, accessor).add(*getattr(merged, accessor).all())
                getattr(merged, accessor).clear()
                moved.append(model._meta.label)
            continue  # an explicit through model is moved by its own foreign keys
        name = rel.field.name
        rows = model._base_manager.filter(**{name: merged})
        if model is Client:
            rows = rows.exclude(pk=kept.pk)  # the kept file is not its own referrer
        if rel.one_to_one and model._base_manager.filter(**{name: kept}).exists():
            continue
        if rows.update(**{name: kept}):
            moved.append(model._meta.label)
    return moved


@transaction.atomic
def client_merge(
    *, kept: Client, merged: Client, take_from_merged: Iterable[str] = (), actor=None
) -> Client:
    """Merge ``merged`` into ``kept`` and delete ``merged``. ``take_from_merged`` names the
    client fields whose value comes from the merged file. Locks both rows (lower id
    first, so two merges of the same pair cannot deadlock)."""
    from finance import summary as finance_summary
    from visits.services import refresh_client_visit_stats

    if kept.pk == merged.pk:
        raise ValidationError(
            _("A file cannot be merged into itself."), code=ClientErrorCode.SAME_FILE
        )
    locked = {
        c.pk: c
        for c in Client.objects.select_for_update()
        .filter(pk__in=[kept.pk, merged.pk])
        .order_by("pk")
    }
    kept, merged = locked[kept.pk], locked[merged.pk]
    if kept.erased_at or merged.erased_at:
        raise ValidationError(_("An erased file cannot be merged."), code=ClientErrorCode.ERASED)

    unknown = set(take_from_merged) - set(MERGE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown client fields: {sorted(unknown)}")
    values = {name: getattr(merged, name) for name in take_from_merged}
    referrer = values.get("referred_by", kept.referred_by)
    if referrer is not None and referrer.pk in (kept.pk, merged.pk):
        values["referred_by"] = None

    for handler in related.handlers():
        if handler.merge is not None:
            handler.merge(kept, merged)
    health = _health_of(merged)
    moved = _move_related(kept, merged)

    kept = client_fill(
        client=kept,
        values={**values, "custom": merged.custom, "opening_spend": merged.opening_spend},
        take=values,
        health=health,
        source=merged.file_number,
        actor=actor,
    )
    discarded_photo = merged.photo.name if merged.photo else ""
    if merged.photo and not kept.photo:
        kept.photo, discarded_photo = merged.photo.name, ""
        kept.save(update_fields=["photo"])
    refresh_client_visit_stats([kept.pk])
    # The merged file's bills now point at the kept one and its opening spend is added:
    # the total spend is the till's again.
    finance_summary.refresh([kept.pk])

    merged_number = merged.file_number
    merged_pk = merged.pk
    merged.delete()
    if discarded_photo:
        storage = Client._meta.get_field("photo").storage
        transaction.on_commit(lambda: storage.delete(discarded_photo))

    fields = sorted(values)
    record(
        action=Action.MERGE,
        actor=actor,
        object_type="client",
        object_id=kept.pk,
        client_id=kept.pk,
        fields=fields,
        changes={"moved": moved},
        note=note(gettext_noop("merged file %(file)s"), file=merged_number),
    )
    record(
        action=Action.MERGE,
        actor=actor,
        object_type="client",
        object_id=merged_pk,
        client_id=merged_pk,
        note=note(gettext_noop("merged into file %(file)s"), file=kept.file_number),
    )
    kept.refresh_from_db()
    return kept
