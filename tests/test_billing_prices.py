"""``manage.py billing_stripe_prices``: every plan price gets its Stripe prices once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from billing import stripe_api
from billing.models import Interval, PlanPrice


def _run() -> str:
    out = StringIO()
    call_command("billing_stripe_prices", stdout=out)
    return out.getvalue()


def test_prices_are_created_once_and_a_lost_one_is_made_again(stripe_standin, settings):
    settings.STRIPE_PRICE_IDS = []
    PlanPrice.objects.update(stripe_monthly_price_id="", stripe_yearly_price_id="")
    rows = list(PlanPrice.objects.select_related("plan").filter(plan__active=True))
    assert rows
    assert f"{2 * len(rows)} Stripe price(s) created." in _run()
    for row in PlanPrice.objects.select_related("plan").filter(plan__active=True):
        monthly = stripe_standin.prices[row.stripe_monthly_price_id]
        yearly = stripe_standin.prices[row.stripe_yearly_price_id]
        assert monthly["unit_amount"] == int(row.monthly * 100)
        assert monthly["currency"] == row.currency.lower()
        assert monthly["recurring"]["interval"] == "month"
        assert yearly["recurring"]["interval"] == "year"
        assert stripe_api.price_id(row.plan, row.currency, Interval.YEARLY) == yearly["id"]
    assert "0 Stripe price(s) created." in _run()
    lost = PlanPrice.objects.select_related("plan").first()
    del stripe_standin.prices[lost.stripe_monthly_price_id]
    assert "1 Stripe price(s) created." in _run()


def test_prices_named_in_the_environment_are_left_alone(stripe_standin):
    before = len(stripe_standin.requests)
    assert "0 Stripe price(s) created." in _run()
    assert not [r for r in stripe_standin.requests[before:] if r[0] == "POST"]


def test_without_a_key_the_command_says_billing_is_off(db, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_ENABLED = False
    with pytest.raises(CommandError, match="Billing is off"):
        _run()
