"""Writes to staff accounts. Views and commands call these; none of them write models."""

from __future__ import annotations

import secrets as _secrets
import uuid
from datetime import timedelta

import pyotp
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import AccountErrorCode
from accounts.models import Invitation, LoginToken, StaffPolicy, User, UserSession, hash_token
from accounts.roles import (
    ROLE_CAPABILITIES,
    Capability,
    Role,
    capabilities_for,
    extra_capabilities,
)
from core.http import client_ip
from core.text import list_join

INVITATION_DAYS = 7
LOGIN_TOKEN_SECONDS = 120


def _field_error(field: str, message: str, code: AccountErrorCode) -> ValidationError:
    """An error beside ``field`` that keeps its code (Django drops a ``code`` given with a
    dict of messages)."""
    return ValidationError({field: ValidationError(message, code=code)})


def _clean_roles(roles: list[str]) -> list[str]:
    cleaned = [role for role in Role.values if role in set(roles)]
    if not cleaned:
        raise _field_error("roles", _("Choose at least one role."), AccountErrorCode.ROLES_REQUIRED)
    return cleaned


def _user_create(*, email: str, full_name: str, password: str, **fields) -> User:
    """The one place a user row is made: normalised, password validated and hashed."""
    user = User(email=email.strip().lower(), full_name=full_name.strip(), **fields)
    validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def owner_create(*, full_name: str, email: str, password: str, language: str = "") -> User:
    return _user_create(
        email=email,
        full_name=full_name,
        password=password,
        roles=[Role.OWNER],
        language=language,
    )


@transaction.atomic
def staff_create(
    *, full_name: str, email: str, password: str, roles: list[str], language: str = ""
) -> User:
    """Create a staff account directly (demo data, tests, imports)."""
    return _user_create(
        email=email,
        full_name=full_name,
        password=password,
        roles=_clean_roles(roles),
        language=language,
    )


def login_token_issue(*, user: User) -> str:
    token = _secrets.token_urlsafe(32)
    LoginToken.objects.create(
        user=user,
        token_hash=hash_token(token),
        expires_at=timezone.now() + timedelta(seconds=LOGIN_TOKEN_SECONDS),
    )
    return token


@transaction.atomic
def login_token_consume(*, token: str) -> User | None:
    """The user the token was issued for, once; None if unknown, used or expired."""
    row = (
        LoginToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if row is None or row.used_at or row.expires_at < timezone.now() or not row.user.is_active:
        return None
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    return row.user


# Capabilities that open medical data: a role granting any of them is a clinical role.
CLINICAL_CAPABILITIES = frozenset({Capability.VIEW_HEALTH, Capability.RECORD_TREATMENT})


def staff_policy() -> StaffPolicy:
    policy, _created = StaffPolicy.objects.get_or_create(pk=1)
    return policy


@transaction.atomic
def staff_policy_update(*, changed_by: User, managers_grant_clinical_roles: bool) -> StaffPolicy:
    """Owners only: the policy decides what managers may hand out, so a manager who could
    change it could climb through it."""
    if not changed_by.is_owner:
        raise ValidationError(
            _("Only an owner can change who may give clinical roles."),
            code=AccountErrorCode.OWNER_ONLY,
        )
    policy = StaffPolicy.objects.select_for_update().get(pk=staff_policy().pk)
    policy.managers_grant_clinical_roles = managers_grant_clinical_roles
    policy.full_clean()
    policy.save(update_fields=["managers_grant_clinical_roles"])
    return policy


def roles_grantable_by(actor: User) -> frozenset[str]:
    """The one rule of which roles ``actor`` may give, take away, invite to and switch off.

    An owner: every role. Anyone else who manages staff: roles that are not the owner's
    and open nothing beyond the actor's own capabilities, plus clinical capabilities when
    an owner lets managers give clinical roles. Everyone else: none. Deriving it from the
    capabilities keeps it right when a role or capability is added."""
    if actor.is_owner:
        return frozenset(Role.values)
    if not actor.can(Capability.MANAGE_STAFF):
        return frozenset()
    allowed = set(actor.capabilities)
    if staff_policy().managers_grant_clinical_roles:
        allowed |= CLINICAL_CAPABILITIES | {c for c in extra_capabilities() if c.clinical}
    return frozenset(
        role for role in Role.values if role != Role.OWNER and ROLE_CAPABILITIES[role] <= allowed
    )


def _role_names(roles) -> str:
    return list_join(Role(role).label for role in Role.values if role in set(roles))


def _check_grantable(actor: User, roles, *, field: str | None = "roles") -> None:
    refused = set(roles) - roles_grantable_by(actor)
    if refused:
        error = ValidationError(
            _("You cannot give or take away these roles: %(roles)s.")
            % {"roles": _role_names(refused)},
            code=AccountErrorCode.ROLE_NOT_GRANTABLE,
        )
        raise ValidationError({field: error}) if field else error


def staff_may_manage(*, actor: User, member: User) -> bool:
    """Whether ``actor`` may change ``member``'s roles or access at all: every role the
    member holds must be one the actor may give (a manager never touches an owner)."""
    return set(member.roles) <= roles_grantable_by(actor)


def _check_seat(*, field: str | None) -> None:
    """Refuse one more staff seat beyond the business's plan (billing.limits)."""
    from django.db import connection

    from billing import limits

    tenant = getattr(connection, "tenant", None)
    if tenant is not None and getattr(tenant, "pk", None):
        limits.check(tenant, limits.STAFF_SEATS, field=field)


def staff_invite(
    *, invited_by: User, email: str, full_name: str, roles: list[str], portal_url: str
) -> Invitation:
    """Invite someone by email. ``portal_url`` is the tenant's base URL for the link."""
    email = email.strip().lower()
    roles = _clean_roles(roles)
    _check_grantable(invited_by, roles)
    if User.objects.filter(email=email).exists():
        raise _field_error(
            "email",
            _("Someone with this email address already has an account."),
            AccountErrorCode.EMAIL_TAKEN,
        )
    token = _secrets.token_urlsafe(32)
    with transaction.atomic():
        Invitation.objects.filter(email=email, accepted_at=None, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        _check_seat(field="email")
        invitation = Invitation(
            email=email,
            full_name=full_name.strip(),
            roles=roles,
            token_hash=hash_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
        )
        invitation.full_clean()
        invitation.save()
        link = f"{portal_url.rstrip('/')}/accounts/invitation/{token}/"
        _invitation_enqueue(invitation=invitation, link=link, inviter=invited_by)
    return invitation


def _staff_email(*, kind: str, key: str, to: str, language: str, actor=None, **context) -> None:
    """Write a staff email (invitation, password reset) to the outbox in the caller's
    transaction, in ``language`` or else the business's; ``business`` is filled in."""
    from django.db import connection

    from notifications.models import Channel
    from notifications.outbox import enqueue

    tenant = getattr(connection, "tenant", None)
    enqueue(
        kind=kind,
        key=key,
        channel=Channel.EMAIL,
        recipient=to,
        language=language or getattr(tenant, "language", "") or None,
        actor=actor,
        context={"business": getattr(tenant, "name", ""), **context},
    )


def _invitation_enqueue(*, invitation: Invitation, link: str, inviter: User) -> None:
    """The invitation's email (one row per invitation), in the business's language."""
    from notifications.models import Kind

    _staff_email(
        kind=Kind.INVITATION,
        key=f"invitation:{invitation.pk}",
        to=invitation.email,
        language="",
        actor=inviter,
        inviter=inviter.full_name or inviter.email,
        link=link,
        days=INVITATION_DAYS,
    )


def password_reset_enqueue(*, user: User, link: str) -> None:
    """The reset link's email (one row per request, so a second request is a second
    email), in the user's language or else the business's."""
    from notifications.models import Kind

    _staff_email(
        kind=Kind.PASSWORD_RESET,
        key=f"password_reset:{user.pk}:{uuid.uuid4().hex}",
        to=user.email,
        language=user.language,
        user_name=user.full_name or user.email,
        link=link,
    )


def _invitation_usable(invitation: Invitation | None) -> bool:
    """Open, and its roles still ones the inviter may give: an invitation from someone
    since deactivated, or from a manager since denied clinical roles, grants nothing."""
    if invitation is None or not invitation.is_open or invitation.invited_by is None:
        return False
    return set(invitation.roles) <= roles_grantable_by(invitation.invited_by)


def invitation_find(*, token: str) -> Invitation | None:
    invitation = (
        Invitation.objects.select_related("invited_by").filter(token_hash=hash_token(token)).first()
    )
    return invitation if _invitation_usable(invitation) else None


@transaction.atomic
def invitation_accept(*, token: str, full_name: str, password: str, language: str = "") -> User:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("invited_by")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if not _invitation_usable(invitation):
        raise ValidationError(
            _("This invitation is no longer valid."), code=AccountErrorCode.INVITATION_INVALID
        )
    user = _user_create(
        email=invitation.email,
        full_name=full_name.strip() or invitation.full_name,
        password=password,
        roles=invitation.roles,
        language=language,
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, revoked_by: User) -> None:
    _check_grantable(revoked_by, invitation.roles, field=None)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


def _owners_left_without(user: User) -> int:
    return (
        User.objects.filter(is_active=True, roles__contains=[Role.OWNER])
        .exclude(pk=user.pk)
        .count()
    )


@transaction.atomic
def staff_set_roles(*, user: User, roles: list[str], changed_by: User) -> User:
    """Roles the member has and is to have must all be ones ``changed_by`` may give (so
    a manager changes no owner, and no clinical role unless an owner allows it); one's own
    roles may change only to open less."""
    roles = _clean_roles(roles)
    user = User.objects.select_for_update().get(pk=user.pk)
    if Role.OWNER in roles and Role.OWNER not in user.roles and not changed_by.is_owner:
        raise _field_error(
            "roles", _("Only an owner can make someone an owner."), AccountErrorCode.OWNER_ONLY
        )
    _check_grantable(changed_by, set(user.roles) | set(roles))
    if user.pk == changed_by.pk and not capabilities_for(roles) <= capabilities_for(user.roles):
        raise _field_error(
            "roles",
            _("You cannot give yourself access you do not have."),
            AccountErrorCode.SELF_ESCALATION,
        )
    if Role.OWNER in user.roles and Role.OWNER not in roles and _owners_left_without(user) == 0:
        raise _field_error(
            "roles", _("The business needs at least one active owner."), AccountErrorCode.LAST_OWNER
        )
    user.roles = roles
    user.save(update_fields=["roles"])
    return user


@transaction.atomic
def staff_deactivate(*, user: User, changed_by: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pk == changed_by.pk:
        raise ValidationError(
            _("You cannot deactivate your own account."),
            code=AccountErrorCode.SELF_DEACTIVATION,
        )
    _check_grantable(changed_by, user.roles, field=None)
    if Role.OWNER in user.roles and _owners_left_without(user) == 0:
        raise ValidationError(
            _("The business needs at least one active owner."), code=AccountErrorCode.LAST_OWNER
        )
    user.is_active = False
    user.deactivated_at = timezone.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    sessions_end_for_user(user=user)
    return user


@transaction.atomic
def staff_reactivate(*, user: User, changed_by: User) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    _check_grantable(changed_by, user.roles, field=None)
    if not user.is_active:
        _check_seat(field=None)
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    return user


def session_record(*, user: User, request: HttpRequest) -> None:
    if not request.session.session_key:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": client_ip(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


@transaction.atomic
def sessions_end_for_user(*, user: User) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    deleted, _ignored = Session.objects.filter(session_key__in=keys).delete()
    UserSession.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def sessions_end_all() -> int:
    """End every session in the current schema (used when a tenant is suspended)."""
    deleted, _ignored = Session.objects.all().delete()
    UserSession.objects.all().delete()
    return deleted


def sessions_clear_expired() -> int:
    """Delete expired sessions in the current schema; returns how many went."""
    with transaction.atomic():
        expired = Session.objects.filter(expire_date__lt=timezone.now())
        keys = list(expired.values_list("session_key", flat=True))
        UserSession.objects.filter(session_key__in=keys).delete()
        deleted, _ignored = expired.delete()
    return deleted


@transaction.atomic
def operator_create(*, full_name: str, email: str, password: str) -> User:
    """A platform operator: a superuser of the public schema (console and admin)."""
    from django.db import connection

    if connection.schema_name != "public":
        raise ValidationError(
            "Operators exist in the public schema only.",
            code=AccountErrorCode.PUBLIC_SCHEMA_ONLY,
        )
    return _user_create(
        email=email,
        full_name=full_name,
        password=password,
        roles=[Role.OWNER],
        is_staff=True,
        is_superuser=True,
    )


@transaction.atomic
def user_update_preferences(*, user: User, full_name: str, language: str) -> User:
    user.full_name = full_name.strip()
    user.language = language
    user.full_clean()
    user.save(update_fields=["full_name", "language"])
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def totp_new_secret() -> str:
    return pyotp.random_base32()


def totp_verify(*, secret: str, code: str) -> bool:
    code = "".join(ch for ch in code if ch.isdigit())
    return len(code) == 6 and pyotp.TOTP(secret).verify(code, valid_window=1)


@transaction.atomic
def totp_enable(*, user: User, secret: str, code: str) -> User:
    if not totp_verify(secret=secret, code=code):
        raise _field_error(
            "code", _("That code is not right. Try the current one."), AccountErrorCode.BAD_CODE
        )
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return user


@transaction.atomic
def totp_disable(*, user: User, code: str) -> User:
    if not totp_verify(secret=user.totp_secret, code=code):
        raise _field_error(
            "code", _("That code is not right. Try the current one."), AccountErrorCode.BAD_CODE
        )
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    return user
