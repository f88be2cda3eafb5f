"""The till's money arithmetic (finance.money) and its template filter: the rounding rule
of the module's docstring, checked on examples and, with hypothesis, on any bill."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from finance import money
from finance.money import LineInput, compute_bill

D = Decimal


def test_minor_units_and_half_up_rounding():
    assert money.minor_unit("CNY") == 2
    assert money.minor_unit("GBP") == 2
    assert money.minor_unit("JPY") == 0
    assert money.quantize(D("0.005"), "CNY") == D("0.01")
    assert money.quantize(D("0.004"), "CNY") == D("0.00")
    assert money.quantize(D("2.5"), "JPY") == D("3")
    assert money.quantize(D("1.5"), "JPY") == D("2")
    assert money.quantize("12.345", "CNY") == D("12.35")
    assert money.is_exact(D("12.50"), "CNY") and not money.is_exact(D("12.5"), "JPY")
    with pytest.raises(TypeError):
        money.quantize(0.1, "CNY")


def test_a_bill_with_line_and_bill_discounts_and_inclusive_tax():
    bill = compute_bill(
        [
            LineInput(quantity=2, unit_price=D("100.00")),  # 200
            LineInput(  # 300 less 10% = 270
                quantity=1,
                unit_price=D("300.00"),
                discount_kind="percent",
                discount_value=D("10"),
            ),
            LineInput(  # 50 less 60 -> capped at 50
                quantity=1,
                unit_price=D("50.00"),
                discount_kind="amount",
                discount_value=D("60"),
            ),
        ],
        currency="CNY",
        tax_mode="inclusive",
        tax_rate=D("6"),
        discount_kind="amount",
        discount_value=D("10.00"),
    )
    gross = [line.gross for line in bill.lines]
    assert gross == [D("200.00"), D("300.00"), D("50.00")]
    assert [line.line_discount for line in bill.lines] == [D("0.00"), D("30.00"), D("50.00")]
    # 10 over subtotals 200 : 270 : 0 -> 4.26 (4.255 up), 5.74 (5.745 up would be 5.75,
    # the remainder -0.01 goes on the largest line).
    assert [line.bill_discount for line in bill.lines] == [D("4.26"), D("5.74"), D("0.00")]
    assert [line.net for line in bill.lines] == [D("195.74"), D("264.26"), D("0.00")]
    # Inclusive 6%: net × 6/106.
    assert [line.tax for line in bill.lines] == [D("11.08"), D("14.96"), D("0.00")]
    assert bill.subtotal == D("550.00")
    assert bill.discount_total == D("90.00")
    assert bill.tax_total == D("26.04")
    assert bill.total == D("460.00")


def test_exclusive_tax_is_added_per_line():
    bill = compute_bill(
        [LineInput(quantity=3, unit_price=D("0.35")), LineInput(quantity=1, unit_price=D("9.99"))],
        currency="GBP",
        tax_mode="exclusive",
        tax_rate=D("20"),
    )
    assert [line.tax for line in bill.lines] == [D("0.21"), D("2.00")]
    assert bill.tax_total == D("2.21")
    assert bill.total == D("1.05") + D("9.99") + D("2.21")


def test_the_remainder_never_takes_a_line_below_zero():
    # Five lines of one cent and a 40% bill discount: each share rounds to 0.00, the two
    # cents left over cannot all go on the first line.
    bill = compute_bill(
        [LineInput(quantity=1, unit_price=D("0.01")) for _ in range(5)],
        currency="CNY",
        tax_mode="inclusive",
        discount_kind="percent",
        discount_value=D("40"),
    )
    assert bill.bill_discount == D("0.02")
    assert sum(line.bill_discount for line in bill.lines) == D("0.02")
    assert all(line.net >= 0 for line in bill.lines)
    assert bill.total == D("0.03")


def test_yen_bills_are_whole_yen():
    bill = compute_bill(
        [LineInput(quantity=1, unit_price=D("1000")), LineInput(quantity=1, unit_price=D("333"))],
        currency="JPY",
        tax_mode="inclusive",
        tax_rate=D("10"),
        discount_kind="percent",
        discount_value=D("15"),
    )
    for value in [bill.total, bill.tax_total, bill.discount_total] + [
        getattr(line, f) for line in bill.lines for f in ("net", "tax", "bill_discount")
    ]:
        assert value == value.to_integral_value()
    assert bill.discount_total == D("200")  # 15% of 1333 = 199.95 -> 200


CURRENCIES = st.sampled_from(["CNY", "JPY", "GBP", "USD"])


@st.composite
def bills(draw):
    currency = draw(CURRENCIES)
    places = money.minor_unit(currency)
    cents = st.integers(min_value=0, max_value=5_000_000)

    def amount():
        return st.builds(lambda n: D(n).scaleb(-places), cents)

    def discount(base_amount=True):
        kind = draw(st.sampled_from(["", "amount", "percent"]))
        if kind == "percent":
            value = draw(st.decimals(min_value=0, max_value=100, places=2))
        elif kind == "amount":
            value = draw(amount())
        else:
            value = D("0")
        return kind, value

    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        kind, value = discount()
        lines.append(
            LineInput(
                quantity=draw(st.integers(min_value=1, max_value=20)),
                unit_price=draw(amount()),
                discount_kind=kind,
                discount_value=value,
            )
        )
    bill_kind, bill_value = discount()
    return dict(
        lines=lines,
        currency=currency,
        tax_mode=draw(st.sampled_from(["inclusive", "exclusive"])),
        tax_rate=draw(st.decimals(min_value=0, max_value=30, places=2)),
        discount_kind=bill_kind,
        discount_value=bill_value,
    )


@settings(max_examples=400, deadline=None)
@given(bills())
def test_any_bill_keeps_the_rounding_rule(args):
    bill = compute_bill(**args)
    currency = args["currency"]
    unit = D(1).scaleb(-money.minor_unit(currency))
    lines = bill.lines
    assert len(lines) == len(args["lines"])
    for given_line, line in zip(args["lines"], lines, strict=True):
        assert line.gross == given_line.unit_price * given_line.quantity
        assert 0 <= line.line_discount <= line.gross
        assert 0 <= line.bill_discount <= line.subtotal
        assert line.net == line.gross - line.line_discount - line.bill_discount
        assert line.net >= 0
        assert line.tax >= 0
        if args["tax_mode"] == "inclusive":
            assert line.tax <= line.net
        for value in (line.gross, line.line_discount, line.bill_discount, line.net, line.tax):
            assert value == value.quantize(unit)
    # The shares of the bill discount sum to it exactly.
    assert sum((line.bill_discount for line in lines), D(0)) == bill.bill_discount
    assert 0 <= bill.bill_discount <= sum((line.subtotal for line in lines), D(0))
    nets = sum((line.net for line in lines), D(0))
    taxes = sum((line.tax for line in lines), D(0))
    assert bill.tax_total == taxes
    assert bill.subtotal == sum((line.gross for line in lines), D(0))
    assert bill.total == (nets if args["tax_mode"] == "inclusive" else nets + taxes)
    assert bill.subtotal - bill.discount_total == nets
    assert bill.total >= 0
    for value in (bill.subtotal, bill.discount_total, bill.tax_total, bill.total):
        assert value == value.quantize(unit)


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(min_value=0, max_value=10**7, places=2),
    st.lists(st.decimals(min_value=0, max_value=10**6, places=2), min_size=1, max_size=12),
)
def test_spread_shares_sum_exactly_and_fit(total, weights):
    total = min(total, sum(weights, D(0)))
    shares = money.spread(total, weights, "CNY")
    assert sum(shares, D(0)) == total
    assert all(D(0) <= s <= w for s, w in zip(shares, weights, strict=True))


def test_discount_percent_is_of_its_base():
    assert money.discount_percent(D("15"), D("100")) == D("15")
    assert money.discount_percent(D("5"), D("0")) == D("0")


@pytest.mark.parametrize(
    ("language", "amount", "currency", "shown"),
    [
        ("en", D("1200"), "CNY", "CNY\u00a01,200.00"),
        ("zh-hans", D("1200"), "CNY", "CNY\u00a01,200.00"),
        ("en", D("1234567.5"), "JPY", "JPY\u00a01,234,568"),
        ("en", D("-12.5"), "GBP", "-GBP\u00a012.50"),
        ("en", D("0"), "USD", "USD\u00a00.00"),
        ("en", None, "USD", ""),
    ],
)
def test_the_money_filter(language, amount, currency, shown):
    template = Template("{% load money %}{{ amount|money:currency }}")
    with translation.override(language):
        assert template.render(Context({"amount": amount, "currency": currency})) == shown


def test_the_money_filter_refuses_float():
    template = Template("{% load money %}{{ amount|money:'CNY' }}")
    with pytest.raises(TypeError):
        template.render(Context({"amount": 1.5}))
