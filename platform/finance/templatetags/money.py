"""``{% load money %}`` ``{{ amount|money:currency }}``: an amount with its currency, in the
reader's number format — "CNY 1,200.00", "JPY 1,200", "-GBP 12.50". The ISO code, not a
symbol, because ¥ is both the yuan and the yen. Decimal only: a float is refused (it has
lost the cents already); an empty value shows as empty."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import formats, numberformat

from finance import money as m

register = template.Library()

NBSP = "\u00a0"


def format_money(amount, currency: str) -> str:
    """The text ``|money`` shows, for code outside templates (PDFs, exports' labels)."""
    if amount is None or amount == "":
        return ""
    if isinstance(amount, float):
        raise TypeError("money is never float")
    value = m.quantize(amount if isinstance(amount, Decimal) else m.to_decimal(amount), currency)
    places = m.minor_unit(currency)
    number = numberformat.format(
        abs(value),
        formats.get_format("DECIMAL_SEPARATOR"),
        decimal_pos=places,
        grouping=3,
        thousand_sep=",",
        force_grouping=True,
    )
    sign = "-" if value < 0 else ""
    code = (currency or "").upper()
    return f"{sign}{code}{NBSP}{number}" if code else f"{sign}{number}"


@register.filter(name="money")
def money(amount, currency: str = "") -> str:
    return format_money(amount, currency)
