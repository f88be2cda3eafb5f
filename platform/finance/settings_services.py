"""The till's settings (``FinanceSettings``): tax, the payment methods the till takes, how
far staff without the approval capability may discount, card transfers between family
members and the seller's details printed on receipts. Changed only here, audited.

A change applies to bills made from now on: each bill copied its tax settings when it was
made (``finance.bills.bill_create``), so nothing already written changes."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from finance.models import FinanceSettings, PaymentMethod

FIELDS = (
    "tax_rate",
    "tax_mode",
    "tax_label",
    "methods",
    "discount_limit_percent",
    "allow_card_transfers",
    "seller_tax_id",
    "receipt_footer",
)


def _snapshot(row: FinanceSettings) -> dict:
    values = {name: getattr(row, name) for name in FIELDS}
    values["methods"] = list(values["methods"] or [])
    for name in ("tax_rate", "discount_limit_percent"):
        values[name] = str(values[name])
    return values


def finance_settings_update(*, actor, values: dict) -> FinanceSettings:
    """Change the till's settings from ``values`` (field → value, any of ``FIELDS``).
    Needs ``settings.manage``; refuses with a translated error beside the field."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"Not till settings: {sorted(unknown)}")
    if actor is None or not actor.can(Capability.MANAGE_SETTINGS):
        raise ValidationError(
            _("Only an owner or a manager may change the till's settings."), code="forbidden"
        )
    with transaction.atomic():
        FinanceSettings.load()
        row = FinanceSettings.objects.select_for_update().get(singleton=True)
        before = _snapshot(row)
        for name, value in values.items():
            if name == "methods":
                value = sorted(set(value or []), key=[m.value for m in PaymentMethod].index)
            elif name in ("tax_label", "seller_tax_id", "receipt_footer"):
                value = (value or "").strip()
            elif name in ("tax_rate", "discount_limit_percent"):
                value = Decimal(value) if value is not None else Decimal(0)
            setattr(row, name, value)
        if "methods" in values and not row.methods:
            raise ValidationError(
                {"methods": _("Choose at least one payment method the till takes.")},
            )
        row.full_clean(exclude=["singleton"])
        row.save(update_fields=list(values))
        audit.record_change(
            action=Action.UPDATE,
            actor=actor,
            object_type="finance_settings",
            object_id=row.pk,
            client_id=None,
            before=before,
            after=_snapshot(row),
        )
    return row
