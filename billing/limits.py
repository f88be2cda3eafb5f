"""What a business's plan allows, checked where it bites.

With billing off (``settings.BILLING_ENABLED`` false) nothing here refuses anything: a
development or self-hosted install runs without limits. With billing on, the plan of the
business's subscription decides; a blank limit is unlimited.

What counts:

- staff seats: the business's active staff accounts plus its open invitations (an
  invitation becomes an account when accepted, so it holds the seat meanwhile);
- clients: client files not erased on request (an erased file keeps only its number and
  no personal data, so it takes no place);
- storage: the sizes of the business's stored files (``filestore.StoredFile.size``);
- text messages: what the outbox has sent this month, passed in by the caller.

Usage is read in the business's own schema, so another business's staff, clients and
files never count towards this one's.

Refusals are ``ValidationError(code="plan_limit")`` (or ``"plan_feature"`` for a feature
the plan lacks), wrapped under ``field`` when one is given, naming the limit and the plan
and pointing to the billing page.
"""

from __future__ import annotations

from contextlib import nullcontext

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Plan, Subscription
from tenants.models import Tenant

BILLING_PATH = "/settings/billing/"
LIMIT_CODE = "plan_limit"
FEATURE_CODE = "plan_feature"

STAFF_SEATS = "staff_seats"
CLIENTS = "clients"
STORAGE = "storage"
SMS = "sms"

LIMIT_LABELS = {
    STAFF_SEATS: _("staff seats"),
    CLIENTS: _("clients"),
    STORAGE: _("storage (MB)"),
    SMS: _("text messages per month"),
}

FEATURES = {
    "second_vertical": _("a second trade's clinical modules"),
    "online_booking": _("online booking"),
    "api_access": _("API access"),
}

MB = 1024 * 1024


def enabled() -> bool:
    return bool(getattr(settings, "BILLING_ENABLED", False))


def plan_of(tenant: Tenant) -> Plan:
    """The plan of the business's subscription, read without writing; the default plan
    when it has no subscription yet."""
    subscription = Subscription.objects.select_related("plan").filter(tenant_id=tenant.pk).first()
    if subscription is not None:
        return subscription.plan
    from billing.services import plan_default

    return plan_default()


def _in_schema(tenant: Tenant):
    if getattr(connection, "schema_name", None) == tenant.schema_name:
        return nullcontext()
    from django_tenants.utils import tenant_context

    return tenant_context(tenant)


def usage(tenant: Tenant, limit: str) -> int:
    """How much of ``limit`` the business uses now (storage in bytes)."""
    with _in_schema(tenant):
        if limit == STAFF_SEATS:
            from accounts.models import Invitation, User

            users = User.objects.filter(is_active=True).count()
            invitations = Invitation.objects.filter(
                accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
            ).count()
            return users + invitations
        if limit == CLIENTS:
            from clients.models import Client

            return Client.objects.filter(erased_at=None).count()
        if limit == STORAGE:
            from django.db.models import Sum
            from filestore.models import StoredFile

            return StoredFile.objects.aggregate(total=Sum("size"))["total"] or 0
    raise ValueError(f"unknown limit {limit!r}")


def allowance(plan: Plan, limit: str) -> int | None:
    """The plan's cap on ``limit`` (storage in bytes); None is unlimited."""
    if limit == STORAGE:
        return None if plan.storage_mb is None else plan.storage_mb * MB
    if limit == SMS:
        return plan.sms_per_month
    return getattr(plan, limit)


def _wrap(error: ValidationError, field: str | None) -> ValidationError:
    return ValidationError({field: error}) if field else error


def limit_error(plan: Plan, limit: str, field: str | None = None) -> ValidationError:
    shown = plan.storage_mb if limit == STORAGE else allowance(plan, limit)
    error = ValidationError(
        _(
            "Your plan “%(plan)s” allows %(count)s %(limit)s. To add more, upgrade on the "
            "billing page."
        ),
        code=LIMIT_CODE,
        params={"plan": plan.name, "count": shown, "limit": LIMIT_LABELS[limit]},
    )
    return _wrap(error, field)


def room(tenant: Tenant, limit: str) -> int | None:
    """How many more ``limit`` units the business may add (None: no cap)."""
    if not enabled():
        return None
    cap = allowance(plan_of(tenant), limit)
    if cap is None:
        return None
    return max(cap - usage(tenant, limit), 0)


def check(tenant: Tenant, limit: str, adding: int = 1, *, field: str | None = None) -> None:
    """Refuse adding ``adding`` units of ``limit`` (bytes for storage) beyond the plan."""
    if not enabled() or adding <= 0:
        return
    plan = plan_of(tenant)
    cap = allowance(plan, limit)
    if cap is None:
        return
    if usage(tenant, limit) + adding > cap:
        raise limit_error(plan, limit, field)


def sms_allowance(tenant: Tenant, month=None) -> int | None:
    """Text messages the business may send in ``month`` (None: unlimited, or billing off).
    The allowance is the same every month; ``month`` is for the caller's clarity."""
    if not enabled():
        return None
    return plan_of(tenant).sms_per_month


def check_sms(tenant: Tenant, sent_this_month: int, segments: int = 1) -> None:
    """Refuse sending ``segments`` more text message parts beyond the month's allowance."""
    cap = sms_allowance(tenant)
    if cap is None:
        return
    if sent_this_month + segments > cap:
        raise limit_error(plan_of(tenant), SMS)


def has_feature(tenant: Tenant, feature: str) -> bool:
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}")
    if not enabled():
        return True
    return bool(getattr(plan_of(tenant), feature))


def require_feature(tenant: Tenant, feature: str, *, field: str | None = None) -> None:
    """Refuse what needs ``feature`` when the plan lacks it."""
    if has_feature(tenant, feature):
        return
    error = ValidationError(
        _("Your plan “%(plan)s” does not include %(feature)s. Upgrade on the billing page."),
        code=FEATURE_CODE,
        params={"plan": plan_of(tenant).name, "feature": FEATURES[feature]},
    )
    raise _wrap(error, field)
