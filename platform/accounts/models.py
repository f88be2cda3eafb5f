from __future__ import annotations

import hashlib

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability, ExtraCapability, Role, capabilities_for
from core.crypto import EncryptedTextField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("roles", [Role.OWNER])
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Each tenant schema has its own table of them (its staff);
    the public schema's table holds the platform operators."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=120)
    roles = ArrayField(
        models.CharField(max_length=20, choices=Role.choices),
        default=list,
        blank=True,
        verbose_name=_("roles"),
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("operator admin access"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)
    totp_secret = EncryptedTextField(_("two-factor secret"), blank=True, default="")
    totp_confirmed_at = models.DateTimeField(_("two-factor enabled"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @cached_property
    def capabilities(self) -> frozenset[str]:
        if not self.is_active:
            return frozenset()
        return capabilities_for(self.roles)

    def can(self, capability: Capability) -> bool:
        # Through the enum only: a capability spelt as a string escapes renames and
        # typos silently, and "is owner" is ``is_owner``, not a capability.
        if not isinstance(capability, Capability | ExtraCapability):
            raise TypeError(f"can() takes a Capability, not {capability!r}")
        return capability in self.capabilities

    @property
    def is_owner(self) -> bool:
        """Owners run the business; some rules (who may give clinical roles, who may make
        an owner) are theirs alone, whatever capabilities other roles are given later."""
        return self.is_active and Role.OWNER in self.roles

    @property
    def has_two_factor(self) -> bool:
        return bool(self.totp_secret and self.totp_confirmed_at)

    def role_labels(self) -> list[str]:
        return [Role(role).label for role in self.roles if role in Role.values]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An owner's or manager's invitation to join; only the token's hash is stored."""

    email = models.EmailField(_("email address"))
    full_name = models.CharField(_("full name"), max_length=120)
    roles = ArrayField(models.CharField(max_length=20, choices=Role.choices), default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    @property
    def is_open(self) -> bool:
        return not self.accepted_at and not self.revoked_at and self.expires_at > timezone.now()


class StaffPolicy(models.Model):
    """The business's rules on staff access; one row. Only an owner may change it
    (``accounts.services.staff_policy_update``): it widens what managers may grant."""

    managers_grant_clinical_roles = models.BooleanField(
        _("managers may give clinical roles"),
        default=False,
        help_text=_(
            "Lets managers invite practitioners, give or take away clinical roles, and "
            "deactivate practitioners. Clinical roles open medical history."
        ),
    )

    class Meta:
        verbose_name = _("staff access rules")

    def __str__(self) -> str:
        return "staff access rules"


class LoginToken(models.Model):
    """A single-use, short-lived token that signs a new owner into their portal right after
    signup on the public site (whose cookies cannot reach the tenant's host)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"login token for user {self.user_id}"


class UserSession(models.Model):
    """Which sessions belong to whom, so ending a user's access ends every session."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"
