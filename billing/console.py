"""The operator console's billing overview (public schema): businesses by plan and
status, monthly recurring revenue per currency, trials ending soon, and the businesses
behind with payment."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from billing.models import Interval, PlanPrice, Subscription, SubscriptionStatus
from tenants.views import OperatorRequiredMixin

TRIAL_WINDOW_DAYS = 7
CENT = Decimal("0.01")


def counts_by_plan_and_status() -> list[dict]:
    """One row per plan and status: ``plan`` (name), ``status`` (label), ``count``."""
    labels = dict(SubscriptionStatus.choices)
    rows = (
        Subscription.objects.values("plan__name_en", "plan__name_zh", "plan__code", "status")
        .annotate(count=Count("id"))
        .order_by("plan__code", "status")
    )
    return [
        {
            "plan_code": row["plan__code"],
            "plan_en": row["plan__name_en"],
            "plan_zh": row["plan__name_zh"],
            "status": row["status"],
            "status_label": labels.get(row["status"], row["status"]),
            "count": row["count"],
        }
        for row in rows
    ]


def monthly_recurring_revenue() -> dict[str, Decimal]:
    """Per currency, the monthly worth of active subscriptions at their plan's price in
    their currency (a yearly price counts a twelfth). Trials, overdue and suspended
    subscriptions are not revenue, nor is one without a Stripe subscription (a business from
    before billing, or a plan an operator granted). Two queries whatever the number of
    businesses."""
    prices = {(p.plan_id, p.currency): p for p in PlanPrice.objects.all()}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    active = (
        Subscription.objects.filter(status=SubscriptionStatus.ACTIVE)
        .exclude(stripe_subscription_id="")
        .values_list("plan_id", "currency", "interval", "tenant__currency")
    )
    for plan_id, currency, interval, tenant_currency in active:
        currency = currency or tenant_currency
        price = prices.get((plan_id, (currency or "").upper()))
        if price is None:
            continue
        amount = price.yearly / 12 if interval == Interval.YEARLY else price.monthly
        totals[price.currency] += amount
    return {c: totals[c].quantize(CENT, rounding=ROUND_HALF_UP) for c in sorted(totals)}


def trials_ending(days: int = TRIAL_WINDOW_DAYS):
    now = timezone.now()
    return (
        Subscription.objects.filter(
            status=SubscriptionStatus.TRIALING,
            trial_ends_at__gte=now,
            trial_ends_at__lt=now + timedelta(days=days),
        )
        .select_related("tenant", "plan")
        .order_by("trial_ends_at")
    )


def behind_with_payment():
    return (
        Subscription.objects.filter(
            status__in=[SubscriptionStatus.PAST_DUE, SubscriptionStatus.SUSPENDED_UNPAID]
        )
        .select_related("tenant", "plan")
        .order_by("status", "past_due_since", "suspended_at")
    )


class ConsoleBillingView(OperatorRequiredMixin, View):
    template_name = "billing/console_billing.html"

    def get(self, request):
        context = {
            "counts": counts_by_plan_and_status(),
            "mrr": monthly_recurring_revenue(),
            "trials": list(trials_ending()),
            "trial_days": TRIAL_WINDOW_DAYS,
            "behind": list(behind_with_payment()),
        }
        return render(request, self.template_name, context)
