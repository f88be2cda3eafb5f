"""Writes of the privacy app: consent records and erasure of a client's file on request."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from audit.models import Action
from audit.services import forget_client, note, record
from clients import fields as client_fields
from clients import related
from clients.models import Client, ClientHealth
from clients.services import client_derive, refuse_erased
from privacy.errors import PrivacyErrorCode
from privacy.models import ConsentRecord


@transaction.atomic
def consent_record(
    *,
    client: Client,
    purpose: str,
    granted: bool,
    method: str,
    note: str = "",
    recorded_by=None,
    recorded_at: dt.datetime | None = None,
) -> ConsentRecord:
    """Append one grant or withdrawal; the newest record of a purpose is its state."""
    refuse_erased(client)
    consent = ConsentRecord(
        client=client,
        purpose=purpose,
        granted=granted,
        method=method,
        note=note.strip(),
        recorded_by=recorded_by,
        recorded_at=recorded_at or timezone.now(),
    )
    consent.full_clean()
    consent.save()
    record(
        action=Action.CONSENT,
        actor=recorded_by,
        object_type="consent",
        object_id=consent.pk,
        client_id=client.pk,
        fields=["purpose", "granted", "method"],
        changes={"purpose": [None, purpose], "granted": [None, granted], "method": [None, method]},
    )
    return consent


def consents_export(client: Client, *, user) -> list[dict]:
    return [
        {
            "purpose": c.purpose,
            "granted": c.granted,
            "recorded_at": c.recorded_at.isoformat(),
            "method": c.method,
            "note": c.note,
            "recorded_by": c.recorded_by.get_full_name() if c.recorded_by else "",
        }
        for c in ConsentRecord.objects.filter(client=client).select_related("recorded_by")
    ]


def consents_erase(client: Client) -> None:
    """Keep what was agreed and when (proof of consent); drop the free-text notes."""
    ConsentRecord.objects.filter(client=client).update(note="")


@transaction.atomic
def client_erase(*, client: Client, actor) -> Client:
    """Erase a client's personal and health data on request, in one transaction. The file
    stays as an anonymous row (file number, visit figures, visits' dates and amounts) so
    the books still add up; every area's own data goes through its related handler."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.erased_at:
        raise ValidationError(
            _("This file was already erased."), code=PrivacyErrorCode.ALREADY_ERASED
        )
    photo = client.photo.name if client.photo else ""

    for handler in related.handlers():
        handler.erase(client)
    ClientHealth.objects.filter(client=client).delete()

    for name, value in client_fields.erased_values().items():
        setattr(client, name, value)
    client.name = _("Erased client %(number)s") % {"number": client.file_number}
    client.photo = ""
    client.erased_at = timezone.now()
    client.version += 1
    client_derive(client)  # search columns, blind index: nothing left to find
    client.save()

    forget_client(client.pk)  # the trail's sealed values of this client become unreadable
    record(
        action=Action.ERASE,
        actor=actor,
        object_type="client",
        object_id=client.pk,
        client_id=client.pk,
        note=note(gettext_noop("erased file %(file)s"), file=client.file_number),
    )
    if photo:
        storage = Client._meta.get_field("photo").storage
        transaction.on_commit(lambda: storage.delete(photo))
    return client
