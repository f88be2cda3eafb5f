"""Create the Stripe prices of every plan price that has none yet, and store their ids.

Run once against a Stripe account (or the loopback stand-in ``make run`` starts with
``CLINICDESK_STRIPE=standin``): each offered plan's monthly and yearly price per currency
becomes a recurring Stripe price whose id is kept on the plan's price row. Ids given in
``STRIPE_PRICE_IDS`` win over stored ones and are left alone.
"""

from __future__ import annotations

from decimal import Decimal

import stripe
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billing import stripe_api
from billing.models import Interval, PlanPrice

STRIPE_INTERVAL = {Interval.MONTHLY: "month", Interval.YEARLY: "year"}


def _cents(amount: Decimal) -> int:
    """Stripe's smallest unit; every currency the product sells in has two decimals."""
    return int((amount * 100).to_integral_value())


def _exists(client, price_id: str) -> bool:
    """A stored id Stripe no longer knows (another account, or a restarted stand-in) is
    made again."""
    try:
        client.v1.prices.retrieve(price_id)
    except stripe.InvalidRequestError:
        return False
    return True


class Command(BaseCommand):
    help = "Create missing Stripe prices for the plans on offer and store their ids."

    def handle(self, *args, **options):
        if not settings.BILLING_ENABLED:
            raise CommandError("Billing is off: set STRIPE_SECRET_KEY first.")
        client = stripe_api.client()
        created = 0
        rows = PlanPrice.objects.select_related("plan").filter(plan__active=True)
        for row in rows:
            for interval, amount, field in (
                (Interval.MONTHLY, row.monthly, "stripe_monthly_price_id"),
                (Interval.YEARLY, row.yearly, "stripe_yearly_price_id"),
            ):
                if any(
                    key == stripe_api.PriceKey(row.plan.code, row.currency, interval)
                    for key in stripe_api.env_price_keys()
                ):
                    continue
                stored = getattr(row, field)
                if stored and _exists(client, stored):
                    continue
                price = client.v1.prices.create(
                    params={
                        "currency": row.currency.lower(),
                        "unit_amount": _cents(amount),
                        "recurring": {"interval": STRIPE_INTERVAL[interval]},
                        "lookup_key": f"{row.plan.code}_{row.currency.lower()}_{interval}",
                        "product_data": {"name": f"{row.plan.name_en} ({row.plan.code})"},
                    }
                )
                with transaction.atomic():
                    PlanPrice.objects.filter(pk=row.pk).update(**{field: price.id})
                created += 1
        self.stdout.write(f"{created} Stripe price(s) created.")
