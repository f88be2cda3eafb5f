"""What every vertical's clinical records share: their links to the client (PROTECT: a
client with records is erased, never deleted) and, optionally, to the visit they were
written for, and how a change to one is put in the audit trail."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def client_field(vertical: str) -> models.ForeignKey:
    return models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name=f"{vertical}_%(class)s_set",
        verbose_name=_("client"),
    )


def visit_field() -> models.ForeignKey:
    return models.ForeignKey(
        "visits.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visit"),
    )


def staff_field(label=None) -> models.ForeignKey:
    """The staff member who wrote the record (kept as empty if their account goes)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=label or _("recorded by"),
    )


def snapshot(obj, fields) -> dict:
    """The audited fields of a record as JSON-ready values (dates, times and decimals as
    their ISO text)."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, dt.date | dt.time | Decimal):
            value = str(value)
        out[name] = value
    return out


def audit_change(action, actor, object_type, pk, client_id, before, after, sensitive=()):
    """One line of the audit trail for a change to a clinical record of ``client_id``."""
    from audit import services as audit

    audit.record_change(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=pk,
        client_id=client_id,
        before=before,
        after=after,
        sensitive=sensitive,
    )
