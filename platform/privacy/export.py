"""A client's whole file as data (subject-access request, seed 003: 保障数据安全): the
client's own fields, the health record for users who may read it, every area's part
through its ``clients.related`` handler (visits included). Values are JSON-safe once
encoded with DjangoJSONEncoder (dates, decimals)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.roles import Capability
from audit.models import Action
from audit.services import note, record
from clients import related
from clients.models import Client, CustomField
from clients.services import CLIENT_FIELDS, HEALTH_FIELDS

FORMAT = "clinicdesk.client-export/1"


def _client_fields(client: Client, *, full_id: bool) -> dict:
    data = {"file_number": client.file_number}
    for name in CLIENT_FIELDS:
        value = getattr(client, name)
        if name == "national_id" and not full_id:
            value = client.masked_national_id
        elif name in ("referred_by", "preferred_staff"):
            value = str(value) if value is not None else None
        elif name == "tags":
            value = [tag.name for tag in client.tags.all()]
        elif name == "custom":
            labels = {f.key: f.label for f in CustomField.objects.all()}
            value = {labels.get(key, key): stored for key, stored in client.custom.items()}
        data[name] = value
    data.update(
        {
            "visit_count": client.visit_count,
            "first_visit_on": client.first_visit_on,
            "last_visit_on": client.last_visit_on,
            "opening_spend": client.opening_spend,
            "total_spend": client.total_spend,
            "created_at": client.created_at,
            "erased_at": client.erased_at,
        }
    )
    return data


def client_export_data(*, client: Client, user) -> dict:
    """Everything the user may see of the client's file, JSON-safe. Health data only for
    users with clinical access; the full ID number only for those who may see it."""
    data = {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "client": _client_fields(client, full_id=user.can(Capability.VIEW_FULL_ID)),
    }
    if user.can(Capability.VIEW_HEALTH):
        health = getattr(client, "health", None)
        data["health"] = {name: getattr(health, name) for name in HEALTH_FIELDS} if health else None
    for handler in related.handlers():
        data[handler.key] = handler.export(client, user=user)
    return data


def record_export(*, client: Client, user, kind: str, included: list[str]) -> None:
    record(
        action=Action.EXPORT,
        actor=user,
        object_type="client",
        object_id=client.pk,
        client_id=client.pk,
        fields=included,
        note=note(
            gettext_noop("%(format)s export of file %(file)s"), format=kind, file=client.file_number
        ),
    )
