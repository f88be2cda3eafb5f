"""Codes of the validation errors of staff accounts, roles and sign-in (see clients.errors)."""

from __future__ import annotations

from enum import StrEnum


class AccountErrorCode(StrEnum):
    ROLES_REQUIRED = "roles_required"
    OWNER_ONLY = "owner_only"
    ROLE_NOT_GRANTABLE = "role_not_grantable"
    EMAIL_TAKEN = "email_taken"
    INVITATION_INVALID = "invitation_invalid"
    SELF_ESCALATION = "self_escalation"
    LAST_OWNER = "last_owner"
    SELF_DEACTIVATION = "self"
    BAD_CODE = "bad_code"
    PUBLIC_SCHEMA_ONLY = "public_schema_only"
