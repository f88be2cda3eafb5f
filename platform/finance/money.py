"""Money arithmetic of the till: one rounding rule, used by every bill, report and export.

Amounts are ``Decimal`` in the bill's currency, never float. Each currency has a minor
unit (``minor_unit``: JPY has none, the others cents); ``quantize`` rounds half-up
(``ROUND_HALF_UP``: 0.005 → 0.01, 0.5 yen → 1 yen) to that unit. The database stores two
decimals; a JPY amount is a whole number within them.

The rounding rule of a bill (``compute_bill``), in this order:

1. **Per line**: ``gross = quantity × unit_price`` (exact: the services take unit prices
   only in whole minor units). The line's own discount is an
   amount, or a percentage of ``gross`` rounded half-up to the minor unit; either way
   never more than ``gross``. ``line subtotal = gross − line discount``.
2. **Bill discount**: an amount, or a percentage of the sum of the line subtotals rounded
   half-up; never more than that sum. It is spread over the lines in proportion to their
   subtotals, each share rounded half-up; the rounding remainder (what the rounded shares
   miss of the bill discount, plus or minus) goes on the line with the largest subtotal
   (the first of equals). A remainder that would take that line's share below zero or
   above its subtotal puts only what fits there and the rest on the next largest line,
   and so on — so the shares always sum exactly to the bill discount and no line goes
   negative. ``net = line subtotal − share``.
3. **Tax**, per line from ``net``, rounded half-up: prices including tax
   ``net × rate / (100 + rate)`` (the tax inside the price), prices excluding tax
   ``net × rate / 100`` (added on top).
4. **Bill**: ``subtotal = Σ gross``; ``discount_total = Σ line discounts + bill
   discount``; ``tax_total = Σ line taxes``; ``total = Σ net`` (``+ tax_total`` when tax
   is added to prices). So ``total = subtotal − discount_total (+ tax_total)``.

Percentages are of the amounts they name; the effective percentage of a discount (for the
role limit) is ``discount_percent``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal("0")
HUNDRED = Decimal("100")

# ISO 4217 currencies without a minor unit among those a business may choose (and a few
# more, should the list grow). Every other currency has cents.
_NO_MINOR_UNIT = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "XAF", "XOF"})

AMOUNT = "amount"
PERCENT = "percent"


def minor_unit(currency: str) -> int:
    """Decimal places of ``currency``'s smallest coin: 0 for JPY, 2 for CNY, GBP…"""
    return 0 if (currency or "").upper() in _NO_MINOR_UNIT else 2


def _exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def to_decimal(value) -> Decimal:
    """``value`` (Decimal, int or a numeric string) as a Decimal; float is refused, it has
    already lost the cents."""
    if isinstance(value, float):
        raise TypeError("money is never float")
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip() or "0")
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {value!r}") from error


def quantize(amount, currency: str) -> Decimal:
    """``amount`` rounded half-up to ``currency``'s minor unit."""
    return to_decimal(amount).quantize(_exponent(currency), rounding=ROUND_HALF_UP)


def is_exact(amount, currency: str) -> bool:
    """Whether ``amount`` needs no rounding in ``currency`` (12.5 yen does)."""
    value = to_decimal(amount)
    return value == quantize(value, currency)


def discount_percent(discount: Decimal, base: Decimal) -> Decimal:
    """The effective percentage ``discount`` is of ``base`` (0 when there is no base)."""
    if not base:
        return ZERO
    return to_decimal(discount) * HUNDRED / to_decimal(base)


@dataclass(frozen=True)
class LineInput:
    quantity: int
    unit_price: Decimal
    discount_kind: str = ""  # "", "amount" or "percent"
    discount_value: Decimal = ZERO


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal
    line_discount: Decimal
    bill_discount: Decimal
    net: Decimal
    tax: Decimal

    @property
    def subtotal(self) -> Decimal:
        """After the line's own discount, before its share of the bill's."""
        return self.gross - self.line_discount


@dataclass(frozen=True)
class BillAmounts:
    lines: tuple[LineAmounts, ...]
    subtotal: Decimal
    discount_total: Decimal
    bill_discount: Decimal
    tax_total: Decimal
    total: Decimal


def _discount(kind: str, value, base: Decimal, currency: str) -> Decimal:
    """A discount of ``kind`` on ``base``, rounded, between 0 and ``base``."""
    if not kind:
        return quantize(ZERO, currency)
    value = to_decimal(value)
    if value <= 0:
        return quantize(ZERO, currency)
    if kind == PERCENT:
        amount = quantize(base * min(value, HUNDRED) / HUNDRED, currency)
    elif kind == AMOUNT:
        amount = quantize(value, currency)
    else:
        raise ValueError(f"unknown discount kind {kind!r}")
    return min(amount, base)


def spread(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """``total`` shared over ``weights`` in proportion, each share rounded half-up, the
    remainder on the largest weight (then the next largest, as far as each can take it
    without going below zero or above its weight). Requires ``0 <= total <= Σ weights``
    when ``total`` is to fit; the shares always sum exactly to ``total``."""
    zero = quantize(ZERO, currency)
    base = sum(weights, ZERO)
    if not weights:
        return []
    if not base or not total:
        return [zero for _ in weights]
    shares = [quantize(total * w / base, currency) for w in weights]
    remainder = total - sum(shares, ZERO)
    # Largest first; among equals the first line.
    order = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    for i in order:
        if not remainder:
            break
        room_up = weights[i] - shares[i]
        room_down = shares[i]
        step = min(remainder, room_up) if remainder > 0 else max(remainder, -room_down)
        shares[i] += step
        remainder -= step
    if remainder:  # total exceeds the weights: the rest on the largest line anyway
        shares[order[0]] += remainder
    return shares


def tax_of(net: Decimal, *, rate, inclusive: bool, currency: str) -> Decimal:
    rate = to_decimal(rate)
    if not rate:
        return quantize(ZERO, currency)
    if inclusive:
        return quantize(net * rate / (HUNDRED + rate), currency)
    return quantize(net * rate / HUNDRED, currency)


def compute_bill(
    lines: Sequence[LineInput],
    *,
    currency: str,
    tax_mode: str,
    tax_rate=ZERO,
    discount_kind: str = "",
    discount_value=ZERO,
) -> BillAmounts:
    """Every computed amount of a bill from its lines and discounts (see the module's
    docstring for the rule). ``tax_mode`` is "inclusive" or "exclusive"."""
    inclusive = tax_mode != "exclusive"
    gross = [to_decimal(line.unit_price) * int(line.quantity) for line in lines]
    # The price is in the currency already; a gross that is not (a unit price of 0.5 yen)
    # is rounded like any other amount.
    gross = [quantize(g, currency) for g in gross]
    line_disc = [
        _discount(line.discount_kind, line.discount_value, g, currency)
        for line, g in zip(lines, gross, strict=True)
    ]
    subtotals = [g - d for g, d in zip(gross, line_disc, strict=True)]
    base = sum(subtotals, ZERO)
    bill_disc = _discount(discount_kind, discount_value, base, currency) if lines else ZERO
    shares = spread(bill_disc, subtotals, currency)
    amounts = []
    for g, d, s, share in zip(gross, line_disc, subtotals, shares, strict=True):
        net = s - share
        amounts.append(
            LineAmounts(
                gross=g,
                line_discount=d,
                bill_discount=share,
                net=net,
                tax=tax_of(net, rate=tax_rate, inclusive=inclusive, currency=currency),
            )
        )
    zero = quantize(ZERO, currency)
    nets = sum((a.net for a in amounts), zero)
    tax_total = sum((a.tax for a in amounts), zero)
    return BillAmounts(
        lines=tuple(amounts),
        subtotal=sum(gross, zero),
        discount_total=sum(line_disc, zero) + quantize(bill_disc, currency),
        bill_discount=quantize(bill_disc, currency),
        tax_total=tax_total,
        total=nets if inclusive else nets + tax_total,
    )
