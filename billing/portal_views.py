"""The owner's billing page in the tenant portal: the plan, where the subscription
stands, usage against the plan's limits, and subscribing, changing plan or managing
cards through Stripe. Every answer here is for a signed-in user, so ``no-store``
(core.middleware)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from billing import checkout, limits
from billing.models import Interval, Plan, PlanPrice, SubscriptionStatus
from billing.services import subscription_for
from portal.mixins import CapabilityRequiredMixin


def usage(tenant) -> list[dict]:
    """Usage against the plan's limits, counted as the limits count it (billing.limits:
    open invitations take a seat, an erased file takes no client place). Text messages are
    not listed: nothing counts sent messages yet."""
    plan = limits.plan_of(tenant)
    stored = limits.usage(tenant, limits.STORAGE)
    return [
        {
            "label": _("Staff seats"),
            "used": limits.usage(tenant, limits.STAFF_SEATS),
            "limit": plan.staff_seats,
        },
        {
            "label": _("Clients"),
            "used": limits.usage(tenant, limits.CLIENTS),
            "limit": plan.clients,
        },
        {
            "label": _("Storage (MB)"),
            "used": round(Decimal(stored) / (1024 * 1024), 1),
            "limit": plan.storage_mb,
        },
    ]


def _money(amount, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _plans(tenant) -> list[dict]:
    rows = {
        p.plan_id: p for p in PlanPrice.objects.filter(currency=tenant.currency, plan__active=True)
    }
    return [
        {
            "plan": plan,
            "monthly": _money(rows[plan.pk].monthly, tenant.currency),
            "yearly": _money(rows[plan.pk].yearly, tenant.currency),
        }
        for plan in Plan.objects.filter(active=True).order_by("ordering", "id")
        if plan.pk in rows
    ]


def _with_stripe_forms(response):
    """The billing page's forms are answered with a redirect to Stripe's hosted checkout
    or customer portal, and browsers hold a form's redirects to ``form-action``: the page's
    policy names Stripe's (or the stand-in's) pages beside our own."""
    policy = settings.CONTENT_SECURITY_POLICY
    if policy and "form-action" in policy:
        origins = ["https://checkout.stripe.com", "https://billing.stripe.com"]
        if settings.STRIPE_API_BASE:
            parts = urlsplit(settings.STRIPE_API_BASE)
            origins.append(f"{parts.scheme}://{parts.netloc}")
        response["Content-Security-Policy"] = policy.replace(
            "form-action", "form-action " + " ".join(origins), 1
        )
    return response


def _base_url(request) -> str:
    return request.build_absolute_uri(reverse("portal:billing"))


class BillingView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS

    def get(self, request):
        tenant = connection.tenant
        subscription = subscription_for(tenant)
        session_id = request.GET.get("checkout", "")
        if settings.BILLING_ENABLED and session_id.startswith("cs_"):
            from billing import sync

            subscription = sync.refresh(subscription)
            subscription = subscription_for(tenant)
        price = PlanPrice.objects.filter(plan=subscription.plan, currency=tenant.currency).first()
        amount = None
        if price is not None:
            value = price.yearly if subscription.interval == Interval.YEARLY else price.monthly
            amount = _money(value, tenant.currency)
        context = {
            "billing_enabled": settings.BILLING_ENABLED,
            "subscription": subscription,
            "amount": amount,
            "usage": usage(tenant),
            "plans": _plans(tenant) if settings.BILLING_ENABLED else [],
            "paying": bool(subscription.stripe_subscription_id),
            "suspended": subscription.status == SubscriptionStatus.SUSPENDED_UNPAID,
            "is_owner": request.user.is_owner,
            "Interval": Interval,
            "in_trial": subscription.status == SubscriptionStatus.TRIALING,
        }
        return _with_stripe_forms(render(request, "billing/portal_billing.html", context))


class _OwnerAction(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS

    def role_allows(self, user) -> bool:
        return user.is_owner

    def _plan(self, request):
        plan = get_object_or_404(Plan, pk=request.POST.get("plan") or request.GET.get("plan") or 0)
        interval = request.POST.get("interval") or request.GET.get("interval") or ""
        return plan, interval

    def _refused(self, request, exc: ValidationError):
        for message in exc.messages:
            messages.error(request, message)
        return redirect("portal:billing")


class CheckoutView(_OwnerAction):
    def post(self, request):
        plan, interval = self._plan(request)
        try:
            url = checkout.checkout_start(
                tenant=connection.tenant,
                actor=request.user,
                plan=plan,
                interval=interval,
                base_url=_base_url(request),
            )
        except ValidationError as exc:
            return self._refused(request, exc)
        return redirect(url)


class CustomerPortalView(_OwnerAction):
    def post(self, request):
        try:
            url = checkout.portal_start(
                tenant=connection.tenant, actor=request.user, base_url=_base_url(request)
            )
        except ValidationError as exc:
            return self._refused(request, exc)
        return redirect(url)


class PlanChangeView(_OwnerAction):
    """GET: the prorated amount due now; POST: the change."""

    def get(self, request):
        plan, interval = self._plan(request)
        try:
            preview = checkout.plan_change_preview(
                tenant=connection.tenant, actor=request.user, plan=plan, interval=interval
            )
        except ValidationError as exc:
            return self._refused(request, exc)
        context = {
            "plan": plan,
            "interval": interval,
            "interval_label": Interval(interval).label,
            "amount_due": _money(preview.amount_due, preview.currency),
        }
        return render(request, "billing/portal_plan_change.html", context)

    def post(self, request):
        plan, interval = self._plan(request)
        try:
            checkout.plan_change(
                tenant=connection.tenant, actor=request.user, plan=plan, interval=interval
            )
        except ValidationError as exc:
            return self._refused(request, exc)
        messages.success(request, _("Plan changed."))
        return redirect("portal:billing")
