"""``{% load till %}``: small reads of the till for other apps' pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag
def live_bill(appointment):
    """The appointment's bill that is not void, or None (the appointment page's button)."""
    from finance.models import Bill, BillStatus

    return Bill.objects.filter(appointment=appointment).exclude(status=BillStatus.VOID).first()
