"""Plans and each business's subscription to one, in the public schema.

A plan's limits are blank for "unlimited"; its prices are one ``PlanPrice`` row per
currency the plan is sold in. Stripe price ids arrive from the environment with checkout;
until then they stay blank.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from tenants.models import Currency, Tenant


class Plan(models.Model):
    code = models.SlugField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("Short and permanent, e.g. clinic; Stripe's records refer to it."),
    )
    name_en = models.CharField(_("name in English"), max_length=80)
    name_zh = models.CharField(_("name in Chinese"), max_length=80)
    staff_seats = models.PositiveIntegerField(
        _("staff seats"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    clients = models.PositiveIntegerField(
        _("clients"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    sms_per_month = models.PositiveIntegerField(
        _("text messages per month"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    storage_mb = models.PositiveIntegerField(
        _("storage (MB)"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    online_booking = models.BooleanField(_("online booking"), default=True)
    api_access = models.BooleanField(_("API access"), default=False)
    second_vertical = models.BooleanField(_("a second trade's clinical modules"), default=False)
    is_default = models.BooleanField(
        _("default plan"),
        default=False,
        help_text=_(
            "New businesses start on it, and every business is on it while billing is off."
        ),
    )
    active = models.BooleanField(_("offered"), default=True)
    ordering = models.PositiveSmallIntegerField(_("position in lists"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["ordering", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="billing_one_default_plan",
                violation_error_message=_("Only one plan can be the default."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The plan's name in the language of the page."""
        if (translation.get_language() or "").startswith("zh"):
            return self.name_zh or self.name_en
        return self.name_en or self.name_zh

    def clean(self) -> None:
        errors = {}
        if self.is_default and not self.active:
            errors["is_default"] = ValidationError(
                _("The default plan must be offered."), code="default_inactive"
            )
        elif self.is_default:
            other = Plan.objects.filter(is_default=True).exclude(pk=self.pk).first()
            if other is not None:
                errors["is_default"] = ValidationError(
                    _("“%(name)s” is the default plan; untick it there first."),
                    code="second_default",
                    params={"name": other.name},
                )
        if errors:
            raise ValidationError(errors)


class PlanPrice(models.Model):
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="prices"
    )
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    monthly = models.DecimalField(
        _("monthly price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    yearly = models.DecimalField(
        _("yearly price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    stripe_monthly_price_id = models.CharField(
        _("Stripe monthly price id"), max_length=80, blank=True
    )
    stripe_yearly_price_id = models.CharField(
        _("Stripe yearly price id"), max_length=80, blank=True
    )

    class Meta:
        verbose_name = _("plan price")
        verbose_name_plural = _("plan prices")
        ordering = ["plan", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "currency"], name="billing_one_price_per_currency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan.code} {self.currency} {self.monthly}/{self.yearly}"


class SubscriptionStatus(models.TextChoices):
    TRIALING = "trialing", _("Trial")
    ACTIVE = "active", _("Subscribed")
    PAST_DUE = "past_due", _("Payment overdue")
    SUSPENDED_UNPAID = "suspended_unpaid", _("Suspended for non-payment")
    CLOSED = "closed", _("Subscription closed")


class Interval(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly")


class Subscription(models.Model):
    """A business's plan and where it stands with paying for it."""

    tenant = models.OneToOneField(
        Tenant,
        verbose_name=_("business"),
        on_delete=models.CASCADE,
        related_name="subscription",
    )
    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(
        _("subscription status"),
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
        db_index=True,
    )
    trial_ends_at = models.DateTimeField(_("trial ends"), null=True, blank=True)
    current_period_end = models.DateTimeField(_("paid until"), null=True, blank=True)
    interval = models.CharField(
        _("billed"), max_length=8, choices=Interval.choices, default=Interval.MONTHLY
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    past_due_since = models.DateTimeField(_("payment overdue since"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended for non-payment"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("ends at the end of the period"), default=False)
    stripe_customer_id = models.CharField(
        _("Stripe customer"), max_length=80, blank=True, db_index=True
    )
    stripe_subscription_id = models.CharField(
        _("Stripe subscription"), max_length=80, blank=True, db_index=True
    )
    stripe_price_id = models.CharField(_("Stripe price"), max_length=80, blank=True)
    # When Stripe last told us about this subscription (the event's ``created``): an older
    # event arriving late never overwrites a newer state.
    stripe_synced_at = models.DateTimeField(_("synced with Stripe"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.tenant} · {self.plan.code} · {self.status}"


class BillingEvent(models.Model):
    """One Stripe webhook event, stored once by its id (a replay finds it and does
    nothing), with what handling it did; the console shows a business's events as its
    billing log."""

    stripe_event_id = models.CharField(_("Stripe event"), max_length=80, unique=True)
    type = models.CharField(_("type"), max_length=80)
    tenant = models.ForeignKey(
        Tenant,
        verbose_name=_("business"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="billing_events",
    )
    created = models.DateTimeField(_("sent by Stripe"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    payload = models.JSONField(_("payload"))
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("billing event")
        verbose_name_plural = _("billing events")
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["tenant", "-created"], name="billing_event_tenant_idx")]

    def __str__(self) -> str:
        return f"{self.stripe_event_id} {self.type}"
