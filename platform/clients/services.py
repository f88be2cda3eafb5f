"""Writes to client files. Every derived column (search text, pinyin, sort key, blind
index) is set here, so no other code path can leave them stale."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from audit import services as audit
from audit.models import Action
from clients import fields as client_fields
from clients import search
from clients.errors import ClientErrorCode
from clients.models import (
    Client,
    ClientHealth,
    ClientSettings,
    CustomFieldSection,
    SavedList,
    Tag,
    client_photo_path,
)
from clients.validators import validate_file_prefix
from core.crypto import blind_index

# The client file's fields as the services accept them (clients.fields declares them).
CLIENT_FIELDS = client_fields.NAMES
HEALTH_FIELDS = (
    "has_surgery_history",
    "surgery_history",
    "has_drug_allergy",
    "drug_allergies",
    "other_allergies",
    "has_chronic_condition",
    "chronic_conditions",
    "current_medications",
    "pregnancy",
    "notes",
)


def client_settings() -> ClientSettings:
    settings_row, _created = ClientSettings.objects.get_or_create(pk=1)
    return settings_row


def refuse_erased(client: Client) -> None:
    """An erased file takes no new personal data: every write to a client's data
    (details, health, photo, visits, contacts, consents) checks this first."""
    if client.erased_at:
        raise ValidationError(_("This file was erased."), code=ClientErrorCode.ERASED)


def phone_region() -> str:
    """The tenant's default region for phone numbers (``ClientSettings.region``)."""
    return client_settings().region


def file_numbers_allocate(count: int, *, taken: Callable[[str], bool]) -> list[str]:
    """Allocate the next ``count`` file numbers, skipping any that ``taken`` says are in
    use (typed by hand or imported); holds a row lock on ClientSettings until commit."""
    row = ClientSettings.objects.select_for_update().get(pk=client_settings().pk)
    numbers: list[str] = []
    while len(numbers) < count:
        number = f"{row.file_prefix}{row.next_file_number:06d}"
        row.next_file_number += 1
        if not taken(number):
            numbers.append(number)
    row.save(update_fields=["next_file_number"])
    return numbers


def _next_file_number() -> str:
    in_use = Client.objects.filter
    return file_numbers_allocate(1, taken=lambda n: in_use(file_number=n).exists())[0]


def client_derive(client: Client) -> None:
    """Set every derived column from the client's own fields (importers call this too).
    An erased file is in no search index (its placeholder name would match, and the
    short-search index would count it)."""
    client.name = client.name.strip()
    client.sort_key = search.sort_key(client.name)
    if client.erased_at:
        client.name_pinyin = client.name_initials = client.search_text = ""
        client.name_grams = []
    else:
        client.name_pinyin = search.name_pinyin(client.name)
        client.name_initials = search.name_initials(client.name)
        client.name_grams = search.name_grams(client.name)
        client.search_text = search.search_text(
            name=client.name,
            file_number=client.file_number,
            email=client.email,
            phones=[client.mobile, *client.other_phones],
        )
    if client.national_id:
        client.national_id_index = blind_index(client.national_id, purpose="national_id")
        client.national_id_last4 = client.national_id[-4:]
    else:
        client.national_id_index = ""
        client.national_id_last4 = ""


@dataclass
class ClientData:
    """What a form or an importer hands to the services: field name → cleaned value."""

    values: dict = field(default_factory=dict)

    def apply_to(self, client: Client) -> None:
        unknown = set(self.values) - set(CLIENT_FIELDS)
        if unknown:
            raise ValueError(f"Unknown client fields: {sorted(unknown)}")
        for name, value in self.values.items():
            if name != "tags":  # many-to-many: set after the row is saved
                setattr(client, name, value)

    def save_relations(self, client: Client) -> None:
        if "tags" in self.values:
            client.tags.set(self.values["tags"])


class EditConflict(Exception):
    """The client was saved by someone else since the editor opened it."""

    def __init__(self, current: Client):
        super().__init__(f"client {current.pk} is at version {current.version}")
        self.current = current


# Named in the audit trail without their values (sensitive); every other client field's
# old and new values are recorded, sealed with the client's audit key.
SENSITIVE_FIELDS = frozenset({"national_id"})


def _audit_values(client: Client, names) -> dict:
    values = {}
    for name in names:
        if name == "tags":
            values[name] = sorted(t.name for t in client.tags.all()) if client.pk else []
        elif name in ("referred_by", "preferred_staff"):
            values[name] = str(getattr(client, name) or "")
        else:
            values[name] = getattr(client, name)
    return values


def _check_client_room(adding: int) -> None:
    """Refuse new client files beyond the business's plan (billing.limits)."""
    from django.db import connection

    from billing import limits

    tenant = getattr(connection, "tenant", None)
    if tenant is not None and getattr(tenant, "pk", None):
        limits.check(tenant, limits.CLIENTS, adding)


@transaction.atomic
def client_create(
    *, data: ClientData, created_by: User | None, health: dict | None = None
) -> Client:
    _check_client_room(1)
    client = Client(created_by=created_by)
    data.apply_to(client)
    client.file_number = _next_file_number()
    client_derive(client)
    client.full_clean()
    client.save()
    data.save_relations(client)
    fields, changes = audit.diff({}, _audit_values(client, data.values), sensitive=SENSITIVE_FIELDS)
    audit.record(
        action=Action.CREATE,
        actor=created_by,
        object_type="client",
        object_id=client.pk,
        client_id=client.pk,
        fields=fields,
        changes=changes,
        note=audit.note(gettext_noop("file %(file)s"), file=client.file_number),
    )
    if health is not None:
        client_health_update(client=client, values=health, updated_by=created_by)
    return client


@transaction.atomic
def client_update(
    *,
    client: Client,
    data: ClientData,
    expected_version: int | None = None,
    actor=None,
    note: str = "",
) -> Client:
    """Save changes to a client file. With ``expected_version`` (the version the editor
    opened), a file saved by someone else in between raises EditConflict instead of being
    silently overwritten. ``note``: why, for the audit trail (an import row, a merge)."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    refuse_erased(client)
    if expected_version is not None and client.version != expected_version:
        raise EditConflict(client)
    before = _audit_values(client, data.values)
    data.apply_to(client)
    client_derive(client)
    client.full_clean()
    client.version += 1
    client.save()
    data.save_relations(client)
    fields, changes = audit.diff(
        before, _audit_values(client, data.values), sensitive=SENSITIVE_FIELDS
    )
    if fields:
        audit.record(
            action=Action.UPDATE,
            actor=actor,
            object_type="client",
            object_id=client.pk,
            client_id=client.pk,
            fields=fields,
            changes=changes,
            note=note,
        )
    return client


def health_derive(health: ClientHealth) -> None:
    """A written history or allergy implies its yes/no flag (importers call this too)."""
    if health.drug_allergies:
        health.has_drug_allergy = True
    if health.surgery_history:
        health.has_surgery_history = True
    if health.chronic_conditions:
        health.has_chronic_condition = True


@transaction.atomic
def client_health_update(*, client: Client, values: dict, updated_by: User | None) -> ClientHealth:
    unknown = set(values) - set(HEALTH_FIELDS)
    if unknown:
        raise ValueError(f"Unknown health fields: {sorted(unknown)}")
    refuse_erased(client)
    health, _created = ClientHealth.objects.select_for_update().get_or_create(client=client)
    before = {name: getattr(health, name) for name in HEALTH_FIELDS}
    for name, value in values.items():
        setattr(health, name, value)
    health_derive(health)
    health.updated_by = updated_by
    health.full_clean()
    health.save()
    # Health values are sensitive: the trail names the fields that changed, never their
    # contents.
    audit.record_change(
        action=Action.UPDATE,
        actor=updated_by,
        object_type="health",
        object_id=client.pk,
        client_id=client.pk,
        before=before,
        after={name: getattr(health, name) for name in HEALTH_FIELDS},
        sensitive=HEALTH_FIELDS,
    )
    return health


RULE_FIELDS = (
    "file_prefix",
    "phone_region",
    "returning_min_visits",
    "vip_min_visits",
    "vip_min_spend",
    "dormant_after_months",
)


@transaction.atomic
def client_settings_update(**values) -> ClientSettings:
    """Change the tenant's client file rules (file number prefix, phone region, category
    thresholds); only the rules named are touched."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown client settings: {sorted(unknown)}")
    if "file_prefix" in values:
        values["file_prefix"] = values["file_prefix"].strip()
        try:
            validate_file_prefix(values["file_prefix"])
        except ValidationError as exc:
            raise ValidationError({"file_prefix": exc.error_list}) from exc
    row = ClientSettings.objects.select_for_update().get(pk=client_settings().pk)
    for name, value in values.items():
        setattr(row, name, value)
    row.full_clean()
    row.save(update_fields=list(values))
    return row


def tag_save(*, tag: Tag | None, values: dict) -> Tag:
    """Create a tag (``tag=None``) or rename / recolour one."""
    tag = tag or Tag()
    for name, value in values.items():
        setattr(tag, name, value)
    tag.full_clean()
    tag.save()
    return tag


def tag_delete(*, tag: Tag) -> None:
    """Delete a tag; the clients that carried it simply lose it."""
    tag.delete()


def section_save(*, section: CustomFieldSection | None, values: dict) -> CustomFieldSection:
    section = section or CustomFieldSection()
    for name, value in values.items():
        setattr(section, name, value)
    section.full_clean()
    section.save()
    return section


@transaction.atomic
def section_delete(*, section: CustomFieldSection) -> None:
    """Delete an empty custom-field section; one that still holds fields is refused."""
    if section.fields.exists():
        raise ValidationError(
            _("Move or retire this section's fields before deleting it."),
            code=ClientErrorCode.SECTION_NOT_EMPTY,
        )
    section.delete()


@transaction.atomic
def clients_tag(*, client_ids, tag: Tag, add: bool, actor: User | None) -> int:
    """Add ``tag`` to, or remove it from, these clients; returns how many changed. One
    audit entry per client changed."""
    through = Client.tags.through
    wanted = set(Client.objects.filter(pk__in=list(client_ids)).values_list("pk", flat=True))
    having = set(
        through.objects.filter(tag=tag, client_id__in=wanted).values_list("client_id", flat=True)
    )
    if add:
        changed = sorted(wanted - having)
        through.objects.bulk_create([through(client_id=pk, tag=tag) for pk in changed])
    else:
        changed = sorted(having)
        through.objects.filter(tag=tag, client_id__in=changed).delete()
    for pk in changed:
        audit.record(
            action=Action.UPDATE,
            actor=actor,
            object_type="client",
            object_id=pk,
            client_id=pk,
            fields=["tags"],
            changes={"tags": ["", tag.name] if add else [tag.name, ""]},
        )
    return len(changed)


def saved_list_create(*, owner: User, name: str, params, shared: bool) -> SavedList:
    from clients.filters import FILTER_PARAMS

    kept = {
        key: params.getlist(key)
        for key in FILTER_PARAMS
        if any(v.strip() for v in params.getlist(key))
    }
    return SavedList.objects.create(owner=owner, name=name.strip(), params=kept, shared=shared)


def saved_list_delete(*, saved: SavedList) -> None:
    saved.delete()


PHOTO_MAX_SIDE = 1024


def client_photo_set(*, client: Client, upload, actor: User | None = None) -> Client:
    """Store a new photo (or remove it with ``upload=None``). The image is re-encoded as a
    JPEG of at most 1024 px a side, which also drops its EXIF data (camera, GPS). The audit
    trail names the change, never the picture."""
    from io import BytesIO

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image, ImageOps

    refuse_erased(client)
    new_path = ""
    if upload is not None:
        with Image.open(upload) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            buffer = BytesIO()
            image.save(buffer, "JPEG", quality=85)
        new_path = default_storage.save(
            client_photo_path(client, "photo.jpg"), ContentFile(buffer.getvalue())
        )
    try:
        with transaction.atomic():
            row = Client.objects.select_for_update().get(pk=client.pk)
            old_path = row.photo.name
            row.photo = new_path
            row.save(update_fields=["photo", "updated_at"])
            audit.record(
                action=Action.UPDATE,
                actor=actor,
                object_type="client",
                object_id=row.pk,
                client_id=row.pk,
                fields=["photo"],
                note=audit.note(
                    gettext_noop("photo removed")
                    if not new_path
                    else gettext_noop("photo replaced")
                    if old_path
                    else gettext_noop("photo added")
                ),
            )
    except Exception:
        if new_path:
            default_storage.delete(new_path)
        raise
    if old_path:
        default_storage.delete(old_path)
    client.photo = new_path
    return client
