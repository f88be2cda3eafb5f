from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


def business_type_choices() -> list[tuple[str, str]]:
    """The business types the verticals serve, with their labels, in the order the
    vertical apps are installed: declared once, by each vertical (verticals.registry),
    and offered by signup, the landing page and ``Tenant.business_type``."""
    from verticals import registry

    return registry.business_type_choices()


def business_type_values() -> list[str]:
    return [value for value, _label in business_type_choices()]


class TenantStatus(models.TextChoices):
    # A migrated schema waiting in the pool; signup turns it into an active tenant.
    SPARE = "spare", _("Spare")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    # Closed by an operator: unreachable for staff, data kept until the retention period
    # ends and an operator purges it (the only path that drops the schema).
    CLOSED = "closed", _("Closed")
    PUBLIC = "public", _("Public site")


class Currency(models.TextChoices):
    CNY = "CNY", _("Chinese yuan (CNY)")
    HKD = "HKD", _("Hong Kong dollar (HKD)")
    TWD = "TWD", _("New Taiwan dollar (TWD)")
    SGD = "SGD", _("Singapore dollar (SGD)")
    USD = "USD", _("US dollar (USD)")
    EUR = "EUR", _("Euro (EUR)")
    GBP = "GBP", _("Pound sterling (GBP)")
    AUD = "AUD", _("Australian dollar (AUD)")
    CAD = "CAD", _("Canadian dollar (CAD)")
    JPY = "JPY", _("Japanese yen (JPY)")


class Tenant(TenantMixin):
    """One business. Its staff, clients and records live in its own schema; this row in
    the public schema holds what the platform needs before entering that schema."""

    name = models.CharField(_("business name"), max_length=120, blank=True)
    business_type = models.CharField(
        _("business type"), max_length=32, choices=business_type_choices, blank=True
    )
    # Verticals the owner turned on besides the one the business type picks (a salon that
    # adds medical aesthetics' records, a dental practice with an aesthetics corner).
    extra_verticals = ArrayField(
        models.CharField(max_length=32),
        default=list,
        blank=True,
        verbose_name=_("more trades"),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=TenantStatus.choices,
        default=TenantStatus.SPARE,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    activated_at = models.DateTimeField(_("signed up"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True)
    suspension_reason = models.CharField(_("reason for suspension"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closure_reason = models.CharField(_("reason for closing"), max_length=200, blank=True)
    purge_after = models.DateTimeField(_("data kept until"), null=True, blank=True)

    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY
    )
    language = models.CharField(_("default language"), max_length=10, default="zh-hans")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    logo = models.CharField(_("logo file"), max_length=300, blank=True)
    # {"mon": {"open": "09:00", "close": "18:00"} | null, ...}; null means closed.
    require_two_factor = models.BooleanField(_("require two-factor login"), default=False)

    # Spare schemas are created by a background task; no signup waits for migrations.
    auto_create_schema = True
    # Deleting the row never drops a business's data: only tenant_purge does, after the
    # retention period of a closed business.
    auto_drop_schema = False

    class Meta:
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or self.schema_name

    @property
    def is_usable(self) -> bool:
        return self.status == TenantStatus.ACTIVE

    @property
    def primary_domain_name(self) -> str:
        domain = self.get_primary_domain()
        return domain.domain if domain else ""

    @property
    def subdomain(self) -> str:
        return self.primary_domain_name.split(".", 1)[0]


class OperatorActionKind(models.TextChoices):
    SUSPEND = "suspend", _("Suspended")
    REACTIVATE = "reactivate", _("Reactivated")
    CLOSE = "close", _("Closed")
    EXPORT = "export", _("Exported the data")
    PURGE = "purge", _("Purged the data")
    GRANT_PLAN = "grant_plan", _("Granted a plan")
    EXTEND_TRIAL = "extend_trial", _("Extended the trial")


class OperatorAction(models.Model):
    """What an operator did to a business, kept in the public schema. The business's name
    and address are copied in, so the entry outlives a purge that deletes the tenant."""

    tenant = models.ForeignKey(
        Tenant,
        verbose_name=_("business"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="operator_actions",
    )
    tenant_name = models.CharField(_("business name"), max_length=120)
    schema_name = models.CharField(_("schema"), max_length=63)
    domain = models.CharField(_("address"), max_length=253, blank=True)
    kind = models.CharField(_("action"), max_length=16, choices=OperatorActionKind.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    operator_email = models.CharField(_("operator"), max_length=254)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("operator action")
        verbose_name_plural = _("operator actions")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.tenant_name}"


subdomain_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
    _("Use lowercase letters, digits and hyphens; start and end with a letter or digit."),
)


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")

    def __str__(self) -> str:
        return self.domain
