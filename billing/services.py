"""Writes to plans and subscriptions.

Operators change a business's subscription by hand (grant a plan, extend a trial); each
change is recorded in the operator log the console's other actions use
(``tenants.services.operator_action_record``), with the reason the operator gave.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Plan, PlanPrice, Subscription, SubscriptionStatus
from tenants.models import OperatorActionKind, Tenant

MAX_TRIAL_EXTENSION_DAYS = 365

# The plan fields an operator edits in the console (prices come separately).
PLAN_FIELDS = (
    "code",
    "name_en",
    "name_zh",
    "staff_seats",
    "clients",
    "sms_per_month",
    "storage_mb",
    "online_booking",
    "api_access",
    "second_vertical",
    "is_default",
    "active",
    "ordering",
)


class BillingError(models.TextChoices):
    """Why a billing change was refused (``ValidationError.code``)."""

    REASON_REQUIRED = "reason_required", _("Give a reason.")
    PLAN_INACTIVE = "plan_inactive", _("This plan is no longer offered.")
    SAME_PLAN = "same_plan", _("The business is already on this plan.")
    DAYS = "days", _("Extend by 1 to %(max)s days.")
    NOT_IN_TRIAL = (
        "not_in_trial",
        _(
            "Only a business in its trial, or one that has not paid yet, can have its trial "
            "extended."
        ),
    )
    DEFAULT_DEACTIVATE = (
        "default_deactivate",
        _("The default plan cannot be withdrawn; make another plan the default first."),
    )
    NO_PLAN = "no_plan", _("There is no plan on offer.")


def _refuse(code: BillingError, field: str, **params) -> ValidationError:
    return ValidationError({field: ValidationError(code.label, code=code.value, params=params)})


def _require_operator(operator) -> None:
    """Only platform operators (active superusers of the public schema) change plans."""
    if not (
        operator is not None
        and getattr(operator, "is_authenticated", False)
        and operator.is_superuser
        and operator.is_active
    ):
        raise PermissionDenied("Only platform operators change subscriptions.")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(BillingError.REASON_REQUIRED, "reason")
    return reason


def plan_default() -> Plan:
    """The plan new businesses start on: the one marked default, else the first offered."""
    plan = Plan.objects.filter(is_default=True, active=True).first()
    if plan is None:
        plan = Plan.objects.filter(active=True).first()
    if plan is None:
        raise ImproperlyConfigured("No billing plan is on offer; create one in the console.")
    return plan


def _trial_end():
    return timezone.now() + timedelta(days=settings.BILLING_TRIAL_DAYS)


def subscription_for(tenant: Tenant) -> Subscription:
    """The business's subscription, made on the default plan when it has none yet (a
    business from before billing, or one made outside signup): active, no trial end."""
    subscription = Subscription.objects.select_related("plan").filter(tenant_id=tenant.pk).first()
    if subscription is not None:
        return subscription
    subscription, _created = Subscription.objects.select_related("plan").get_or_create(
        tenant=tenant,
        defaults={"plan": plan_default(), "status": SubscriptionStatus.ACTIVE},
    )
    return subscription


@transaction.atomic
def subscription_start(*, tenant: Tenant) -> Subscription:
    """A new business's subscription (called by signup): with billing on, a trial on the
    default plan of ``BILLING_TRIAL_DAYS``; with billing off, the default plan, no end."""
    if settings.BILLING_ENABLED:
        status, trial_ends_at = SubscriptionStatus.TRIALING, _trial_end()
    else:
        status, trial_ends_at = SubscriptionStatus.ACTIVE, None
    subscription = Subscription(
        tenant=tenant, plan=plan_default(), status=status, trial_ends_at=trial_ends_at
    )
    subscription.full_clean()
    subscription.save()
    return subscription


def _locked_subscription(tenant: Tenant) -> Subscription:
    subscription_for(tenant)
    return Subscription.objects.select_for_update().select_related("plan").get(tenant=tenant)


def _record(tenant: Tenant, kind: OperatorActionKind, operator, reason: str) -> None:
    from tenants.services import operator_action_record

    operator_action_record(tenant=tenant, kind=kind, operator=operator, reason=reason[:200])


@transaction.atomic
def subscription_grant_plan(*, tenant: Tenant, plan: Plan, operator, reason: str) -> Subscription:
    """Put the business on ``plan`` by hand (a courtesy, a negotiated deal); its status and
    dates stay as they are. Recorded in the operator log with the plan's code."""
    _require_operator(operator)
    reason = _reason(reason)
    plan = Plan.objects.get(pk=plan.pk)
    if not plan.active:
        raise _refuse(BillingError.PLAN_INACTIVE, "plan")
    subscription = _locked_subscription(tenant)
    if subscription.plan_id == plan.pk:
        raise _refuse(BillingError.SAME_PLAN, "plan")
    subscription.plan = plan
    subscription.full_clean()
    subscription.save(update_fields=["plan", "updated_at"])
    _record(tenant, OperatorActionKind.GRANT_PLAN, operator, f"{plan.code} · {reason}")
    return subscription


@transaction.atomic
def subscription_extend_trial(*, tenant: Tenant, days: int, operator, reason: str) -> Subscription:
    """Give the business ``days`` more of trial, counted from its trial's end (or from now
    if that has passed). A business that has not paid yet (past due, suspended for
    non-payment, without a Stripe subscription) goes back into its trial; a paying or
    closed one is refused. Recorded in the operator log with the new end date."""
    _require_operator(operator)
    reason = _reason(reason)
    if not isinstance(days, int) or not 1 <= days <= MAX_TRIAL_EXTENSION_DAYS:
        raise _refuse(BillingError.DAYS, "days", max=MAX_TRIAL_EXTENSION_DAYS)
    subscription = _locked_subscription(tenant)
    unpaid = {SubscriptionStatus.PAST_DUE, SubscriptionStatus.SUSPENDED_UNPAID}
    in_trial = subscription.status == SubscriptionStatus.TRIALING
    never_paid = subscription.status in unpaid and not subscription.stripe_subscription_id
    if not (in_trial or never_paid):
        raise _refuse(BillingError.NOT_IN_TRIAL, "__all__")
    now = timezone.now()
    start = max(subscription.trial_ends_at or now, now)
    subscription.trial_ends_at = start + timedelta(days=days)
    subscription.status = SubscriptionStatus.TRIALING
    subscription.full_clean()
    subscription.save(update_fields=["trial_ends_at", "status", "updated_at"])
    until = timezone.localtime(subscription.trial_ends_at).date().isoformat()
    _record(tenant, OperatorActionKind.EXTEND_TRIAL, operator, f"+{days} → {until} · {reason}")
    return subscription


@dataclass(frozen=True)
class PriceInput:
    monthly: Decimal | None
    yearly: Decimal | None


def _price_errors(currency: str, exc: ValidationError) -> ValidationError:
    """A price row's errors under the console form's field names (price_<CUR>_<field>)."""
    return ValidationError(
        {
            f"price_{currency}_{name}" if name in {"monthly", "yearly"} else "__all__": errors
            for name, errors in exc.error_dict.items()
        }
    )


@transaction.atomic
def plan_save(*, plan: Plan | None, fields: dict, prices: dict[str, PriceInput], operator) -> Plan:
    """Create (``plan`` None) or change a plan and its prices. A currency with both
    prices empty is not offered (its row goes); one with a single price is refused beside
    the empty one. Errors name the console form's fields."""
    _require_operator(operator)
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise ValueError(f"Not settable here: {', '.join(sorted(unknown))}")
    if plan is None:
        plan = Plan()
    else:
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if (
            plan.is_default
            and fields.get("active", plan.active) is False
            and fields.get("is_default", True)
        ):
            raise _refuse(BillingError.DEFAULT_DEACTIVATE, "active")
    for name, value in fields.items():
        setattr(plan, name, value)
    plan.full_clean()
    plan.save()
    errors: dict[str, list] = {}
    existing = {p.currency: p for p in plan.prices.all()}
    for currency, price in prices.items():
        if price.monthly is None and price.yearly is None:
            if currency in existing:
                existing[currency].delete()
            continue
        row = existing.get(currency) or PlanPrice(plan=plan, currency=currency)
        row.monthly, row.yearly = price.monthly, price.yearly
        try:
            row.full_clean()
        except ValidationError as exc:
            for name, messages in _price_errors(currency, exc).message_dict.items():
                errors.setdefault(name, []).extend(messages)
            continue
        row.save()
    if errors:
        raise ValidationError(errors)
    return plan


@transaction.atomic
def plan_deactivate(*, plan: Plan, operator) -> Plan:
    """Stop offering a plan; the businesses on it keep it until moved."""
    _require_operator(operator)
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_default:
        raise _refuse(BillingError.DEFAULT_DEACTIVATE, "active")
    plan.active = False
    plan.save(update_fields=["active"])
    return plan


# --- paying and not paying (Stripe's webhooks and the hourly grace task) -----------------
#
# past_due (a payment failed; the business keeps working) -> after BILLING_GRACE_DAYS ->
# suspended_unpaid (its data is kept; it reaches only its billing page); a payment at any
# point -> active, both dates cleared. A trial that ends without a Stripe subscription ->
# suspended_unpaid. The dates on the row (past_due_since, suspended_at) are the record of
# when each step happened; the console shows them.


def subscription_mark_past_due(subscription: Subscription, *, at=None, save: bool = True):
    """A payment failed: past due from ``at`` (now) unless already past due, when the
    first date stands; a business already suspended for non-payment stays suspended."""
    if subscription.status == SubscriptionStatus.SUSPENDED_UNPAID:
        return subscription
    subscription.status = SubscriptionStatus.PAST_DUE
    if subscription.past_due_since is None:
        subscription.past_due_since = at or timezone.now()
    if save:
        subscription.save(update_fields=["status", "past_due_since", "updated_at"])
    return subscription


def subscription_mark_paid(subscription: Subscription, *, save: bool = True):
    """Paid: active again, the overdue and suspension dates cleared."""
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.past_due_since = None
    subscription.suspended_at = None
    if save:
        subscription.save(update_fields=["status", "past_due_since", "suspended_at", "updated_at"])
    return subscription


@dataclass(frozen=True)
class GraceResult:
    suspended_unpaid: int
    trial_expired: int


def subscription_enforce_grace(now=None) -> GraceResult:
    """The time-based steps, for every business at once (the hourly task): past due for
    longer than ``BILLING_GRACE_DAYS`` -> suspended for non-payment; a trial past its end
    with no Stripe subscription -> suspended for non-payment. Nothing with billing off.
    Each step is one UPDATE whose condition is re-checked row by row, so a payment
    arriving meanwhile is never overwritten."""
    if not settings.BILLING_ENABLED:
        return GraceResult(0, 0)
    now = now or timezone.now()
    overdue = Subscription.objects.filter(
        status=SubscriptionStatus.PAST_DUE,
        past_due_since__isnull=False,
        past_due_since__lte=now - timedelta(days=settings.BILLING_GRACE_DAYS),
    ).update(status=SubscriptionStatus.SUSPENDED_UNPAID, suspended_at=now, updated_at=now)
    expired = Subscription.objects.filter(
        status=SubscriptionStatus.TRIALING,
        trial_ends_at__isnull=False,
        trial_ends_at__lte=now,
        stripe_subscription_id="",
    ).update(status=SubscriptionStatus.SUSPENDED_UNPAID, suspended_at=now, updated_at=now)
    return GraceResult(suspended_unpaid=overdue, trial_expired=expired)
