"""Signing businesses up, keeping the pool of spare schemas full, and what operators do
to a business: suspend, reactivate, close, export and, after the retention period, purge.

Signup never waits for migrations: ``tenant_spare_create`` (run by a Celery task) makes
fully migrated schemas ahead of time, and ``tenant_signup`` claims one with
``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent signups never share a spare. Spares are
ordinary registered tenants, so ``migrate_schemas`` keeps them current on every deploy —
unlike a cloned template schema, which would silently lag behind. When the pool is empty
signup falls back to creating and migrating a schema in the request (slow, but correct).
"""

from __future__ import annotations

import secrets as _secrets
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.utils import schema_context

from tenants.models import Domain, OperatorAction, OperatorActionKind, Tenant, TenantStatus

RESERVED_SUBDOMAINS = frozenset(
    {
        "www",
        "api",
        "admin",
        "static",
        "media",
        "mail",
        "smtp",
        "imap",
        "pop",
        "ftp",
        "app",
        "console",
        "dashboard",
        "help",
        "support",
        "status",
        "billing",
        "signup",
        "login",
        "auth",
        "account",
        "accounts",
        "docs",
        "blog",
        "cdn",
        "assets",
        "public",
        "demo",
        "test",
        "dev",
        "staging",
        "operator",
        "root",
        "system",
        "webhooks",
    }
)


class ProvisioningError(Exception):
    """Signup could not complete; nothing was left behind."""


@dataclass(frozen=True)
class SignupResult:
    tenant: Tenant
    domain: Domain
    owner_id: int
    login_token: str


def tenant_domain_for(subdomain: str) -> str:
    return f"{subdomain}.{settings.TENANT_BASE_DOMAIN}"


def tenant_portal_url(domain: str, path: str = "/") -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{domain}{port}{path}"


def subdomain_is_taken(subdomain: str) -> bool:
    return Domain.objects.filter(domain=tenant_domain_for(subdomain)).exists()


def _new_schema_name() -> str:
    return f"t_{_secrets.token_hex(6)}"


def tenant_spare_create() -> Tenant:
    """Create and migrate one spare schema (slow: runs every tenant migration)."""
    with schema_context(settings.PUBLIC_SCHEMA_NAME):
        tenant = Tenant(schema_name=_new_schema_name(), status=TenantStatus.SPARE)
        tenant.save(verbosity=0)
    return tenant


# A business's status and what came with it; written only by the services below (the admin
# shows them read-only).
STATUS_FIELDS = (
    "status",
    "suspended_at",
    "suspension_reason",
    "closed_at",
    "closure_reason",
    "purge_after",
)
SPARE_POOL_LOCK = 7_301_001  # pg advisory lock key: one refill at a time


def spare_pool_refill(*, target: int | None = None) -> int:
    """Top the pool of spare schemas up to ``target``; returns how many were made.
    Concurrent refills would overshoot the target, so only one runs at a time."""
    target = settings.TENANT_SPARE_POOL_SIZE if target is None else target
    made = 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SPARE_POOL_LOCK])
        if not cursor.fetchone()[0]:
            return 0
    try:
        while Tenant.objects.filter(status=TenantStatus.SPARE).count() < target:
            tenant_spare_create()
            made += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SPARE_POOL_LOCK])
    return made


def _claim_spare() -> Tenant | None:
    return (
        Tenant.objects.select_for_update(skip_locked=True)
        .filter(status=TenantStatus.SPARE)
        .order_by("created_at")
        .first()
    )


def public_tenant_ensure(*, domains: list[str]) -> Tenant:
    """The public schema's own tenant row and its domains (idempotent)."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "Public", "status": TenantStatus.PUBLIC},
    )
    for index, name in enumerate(domains):
        Domain.objects.get_or_create(
            domain=name, defaults={"tenant": tenant, "is_primary": index == 0}
        )
    return tenant


def tenant_signup(
    *,
    business_name: str,
    business_type: str,
    subdomain: str,
    owner_name: str,
    owner_email: str,
    owner_password: str,
    language: str,
    time_zone: str,
    currency: str,
) -> SignupResult:
    """Turn a spare schema (or, with none left, a new one) into a working business with
    its owner. All or nothing: a failure leaves no tenant, domain, schema or user."""
    from accounts.services import login_token_issue, owner_create
    from billing.services import subscription_start
    from scheduling.setup import starting_menu_seed

    if connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
        raise ProvisioningError("Signup runs in the public schema.")
    with transaction.atomic():
        tenant = _claim_spare()
        if tenant is None:
            # Schema DDL is transactional in PostgreSQL: a later failure drops it again.
            tenant = Tenant(schema_name=_new_schema_name(), status=TenantStatus.SPARE)
            tenant.save(verbosity=0)
        tenant.name = business_name
        tenant.business_type = business_type
        tenant.language = language
        tenant.time_zone = time_zone
        tenant.currency = currency
        tenant.status = TenantStatus.ACTIVE
        tenant.activated_at = timezone.now()
        tenant.full_clean(exclude=["schema_name"])
        tenant.save(
            update_fields=[
                "name",
                "business_type",
                "language",
                "time_zone",
                "currency",
                "status",
                "activated_at",
            ]
        )
        domain = Domain(domain=tenant_domain_for(subdomain), tenant=tenant, is_primary=True)
        domain.full_clean()
        domain.save()
        # A trial on the default plan with billing on; the default plan, no end, without.
        subscription_start(tenant=tenant)
        with schema_context(tenant.schema_name):
            owner = owner_create(
                full_name=owner_name,
                email=owner_email,
                password=owner_password,
                language=language,
            )
            # The business type's starting service menu and hours, which the owner edits.
            starting_menu_seed(business_type=business_type, owner=owner)
            token = login_token_issue(user=owner)
        transaction.on_commit(_queue_pool_refill)
    return SignupResult(tenant=tenant, domain=domain, owner_id=owner.pk, login_token=token)


def _queue_pool_refill() -> None:
    from tenants.tasks import refill_spare_pool

    if settings.TENANT_SPARE_POOL_SIZE:
        refill_spare_pool.delay()


class OperatorError(models.TextChoices):
    """Why an operator's status change was refused (``ValidationError.code``)."""

    REASON_REQUIRED = "reason_required", _("Give a reason.")
    CONFIRMATION = "confirmation", _("Type the business's address exactly to confirm.")
    WRONG_STATUS = "wrong_status", _("The business is not in a state that allows this.")
    RETENTION = "retention", _("The data is kept until %(until)s; it cannot be purged before.")


def _refuse(code: OperatorError, field: str, **params) -> ValidationError:
    return ValidationError({field: ValidationError(code.label, code=code.value, params=params)})


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise _refuse(OperatorError.REASON_REQUIRED, "reason")
    return reason[:200]


def _confirm(tenant: Tenant, confirmation: str) -> None:
    """The operator typed the business's subdomain (or its full address)."""
    typed = (confirmation or "").strip().lower()
    if not typed or typed not in {tenant.subdomain, tenant.primary_domain_name}:
        raise _refuse(OperatorError.CONFIRMATION, "confirmation")


def _locked(tenant: Tenant, *statuses: str) -> Tenant:
    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    if tenant.status not in statuses:
        raise _refuse(OperatorError.WRONG_STATUS, "__all__")
    return tenant


def operator_action_record(
    *, tenant: Tenant, kind: OperatorActionKind, operator, reason: str = ""
) -> OperatorAction:
    action = OperatorAction(
        tenant=tenant,
        tenant_name=tenant.name or tenant.schema_name,
        schema_name=tenant.schema_name,
        domain=tenant.primary_domain_name,
        kind=kind,
        reason=reason,
        operator_email=operator.email,
    )
    action.full_clean(exclude=["tenant"])
    action.save()
    return action


def _end_sessions(tenant: Tenant) -> None:
    from accounts.services import sessions_end_all

    with schema_context(tenant.schema_name):
        sessions_end_all()


@transaction.atomic
def tenant_suspend(*, tenant: Tenant, operator, reason: str) -> Tenant:
    """Nobody of the business can sign in until an operator reactivates it; no data moves."""
    reason = _reason(reason)
    tenant = _locked(tenant, TenantStatus.ACTIVE)
    tenant.status = TenantStatus.SUSPENDED
    tenant.suspended_at = timezone.now()
    tenant.suspension_reason = reason
    tenant.save(update_fields=["status", "suspended_at", "suspension_reason"])
    _end_sessions(tenant)
    operator_action_record(
        tenant=tenant, kind=OperatorActionKind.SUSPEND, operator=operator, reason=reason
    )
    return tenant


@transaction.atomic
def tenant_reactivate(*, tenant: Tenant, operator, reason: str) -> Tenant:
    """A suspended business, or a closed one whose data is still kept, works again."""
    reason = _reason(reason)
    tenant = _locked(tenant, TenantStatus.SUSPENDED, TenantStatus.CLOSED)
    tenant.status = TenantStatus.ACTIVE
    tenant.suspended_at = None
    tenant.suspension_reason = ""
    tenant.closed_at = None
    tenant.closure_reason = ""
    tenant.purge_after = None
    tenant.save(update_fields=list(STATUS_FIELDS))
    operator_action_record(
        tenant=tenant, kind=OperatorActionKind.REACTIVATE, operator=operator, reason=reason
    )
    return tenant


@transaction.atomic
def tenant_close(*, tenant: Tenant, operator, reason: str, confirmation: str) -> Tenant:
    """Close a business: staff are signed out and shown a closed page; the data stays,
    read-only for the operator's export, until the retention period ends."""
    reason = _reason(reason)
    tenant = _locked(tenant, TenantStatus.ACTIVE, TenantStatus.SUSPENDED)
    _confirm(tenant, confirmation)
    now = timezone.now()
    tenant.status = TenantStatus.CLOSED
    tenant.closed_at = now
    tenant.closure_reason = reason
    tenant.purge_after = now + timedelta(days=settings.TENANT_CLOSURE_RETENTION_DAYS)
    tenant.save(update_fields=["status", "closed_at", "closure_reason", "purge_after"])
    _end_sessions(tenant)
    operator_action_record(
        tenant=tenant, kind=OperatorActionKind.CLOSE, operator=operator, reason=reason
    )
    return tenant


def tenant_purgeable(tenant: Tenant) -> bool:
    return (
        tenant.status == TenantStatus.CLOSED
        and tenant.purge_after is not None
        and timezone.now() >= tenant.purge_after
    )


@transaction.atomic
def tenant_purge(*, tenant: Tenant, operator, reason: str, confirmation: str) -> OperatorAction:
    """The only path that drops a business's schema: a closed business whose retention
    period is over, confirmed by typing its address. The log entry survives the tenant."""
    reason = _reason(reason)
    tenant = _locked(tenant, TenantStatus.CLOSED)
    _confirm(tenant, confirmation)
    if not tenant_purgeable(tenant):
        until = formats.date_format(timezone.localtime(tenant.purge_after), "DATE_FORMAT")
        raise _refuse(OperatorError.RETENTION, "__all__", until=until)
    action = operator_action_record(
        tenant=tenant, kind=OperatorActionKind.PURGE, operator=operator, reason=reason
    )
    tenant.delete(force_drop=True)
    return action


def tenant_export(*, tenant: Tenant, operator) -> tempfile.SpooledTemporaryFile:
    """A zip of the business's client file (the list export as its owner would get it),
    for handing over a closing business's data. Recorded in the operator log."""
    from accounts.models import User
    from accounts.roles import Role
    from clients.selectors import client_list
    from clients.services import phone_region
    from imports import export

    archive = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    with schema_context(tenant.schema_name):
        owner = (
            User.objects.filter(roles__contains=[Role.OWNER]).order_by("-is_active", "pk").first()
        )
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            if owner is not None:
                cols = export.columns(owner, region=phone_region())
                clients = client_list(user=owner)
                with zipped.open("clients.csv", "w") as handle:
                    for chunk in export.csv_stream(clients, cols):
                        handle.write(chunk.encode("utf-8"))
    operator_action_record(tenant=tenant, kind=OperatorActionKind.EXPORT, operator=operator)
    archive.seek(0)
    return archive


def _refuse_currency_change(tenant: Tenant) -> None:
    """Money is written in the business's currency: once the till holds any (a bill, a
    card, an expense…), changing it would relabel those amounts, so it is refused."""
    from finance.summary import money_recorded

    with schema_context(tenant.schema_name):
        recorded = money_recorded()
    if recorded:
        refusal = ValidationError(
            _(
                "The currency cannot be changed once money has been recorded in it "
                "(bills, payments, cards or expenses)."
            ),
            code="currency_in_use",
        )
        raise ValidationError({"currency": refusal})


def tenant_settings_update(*, tenant: Tenant, **fields) -> Tenant:
    allowed = {
        "name",
        "phone",
        "address",
        "logo",
        "time_zone",
        "currency",
        "language",
        "require_two_factor",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not settable here: {', '.join(sorted(unknown))}")
    # The tenants table is in the public schema, which every tenant's search path includes.
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if "currency" in fields and fields["currency"] != tenant.currency:
            _refuse_currency_change(tenant)
        for name, value in fields.items():
            setattr(tenant, name, value)
        tenant.full_clean(exclude=["schema_name"])
        tenant.save(update_fields=sorted(fields))
    return tenant


@transaction.atomic
def tenant_verticals_set(*, tenant: Tenant, keys, actor=None) -> Tenant:
    """Turn on the trades ``keys`` beside the one the business type picks (a salon that
    adds medical aesthetics, an optical shop with a contact-lens clinic); the others go
    off. Turning one off hides its pages and keeps its records. Audited."""
    from audit import services as audit
    from audit.models import Action
    from verticals import registry

    tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
    primary = registry.for_business_type(tenant.business_type or "")
    known = {v.key for v in registry.all_verticals()}
    wanted = set(keys)
    unknown = wanted - known
    if unknown:
        raise ValidationError(
            {
                "verticals": _("There is no clinical module “%(key)s”.")
                % {"key": sorted(unknown)[0]}
            },
            code="unknown_vertical",
        )
    if primary is not None:
        wanted.discard(primary.key)
    # Registration order, so the stored list (and its audit entry) reads the same each time.
    chosen = [v.key for v in registry.all_verticals() if v.key in wanted]
    before = {"extra_verticals": list(tenant.extra_verticals or [])}
    if before["extra_verticals"] == chosen:
        return tenant
    # A trade beside the one the business type picks is a plan feature (turning one off,
    # or a business type without a trade picking its first, never needs it).
    trades = len(chosen) + (1 if primary is not None else 0)
    if trades > 1 and set(chosen) - set(before["extra_verticals"]):
        from billing import limits

        limits.require_feature(tenant, "second_vertical", field="verticals")
    tenant.extra_verticals = chosen
    tenant.full_clean(exclude=["schema_name"])
    tenant.save(update_fields=["extra_verticals"])
    audit.record_change(
        action=Action.UPDATE,
        actor=actor,
        object_type="clinical_modules",
        object_id=tenant.pk,
        client_id=None,
        before=before,
        after={"extra_verticals": chosen},
    )
    return tenant
