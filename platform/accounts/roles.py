"""Roles are named sets of capabilities. Views ask for a capability, never for a role, so
a role can change what it grants without touching any view."""

from __future__ import annotations

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Capability(models.TextChoices):
    VIEW_DASHBOARD = "dashboard.view", _("See the dashboard")
    VIEW_CLIENTS = "clients.view", _("Look up clients and their contact details")
    EDIT_CLIENTS = "clients.edit", _("Create and edit client files")
    VIEW_HEALTH = "clients.health", _("See medical history, allergies and clinical records")
    VIEW_FULL_ID = "clients.full_id", _("See full national ID numbers")
    EXPORT_CLIENTS = "clients.export", _("Export client lists")
    IMPORT_CLIENTS = "clients.import", _("Import clients from a spreadsheet")
    MERGE_CLIENTS = "clients.merge", _("Merge duplicate client files")
    ERASE_CLIENTS = "clients.erase", _("Erase a client's personal data on request")
    VIEW_SCHEDULE = "schedule.view", _("See the calendar")
    MANAGE_SCHEDULE = "schedule.manage", _("Book, move and cancel appointments")
    SETUP_SCHEDULE = "schedule.setup", _("Set up services, working hours, rooms and online booking")
    RECORD_TREATMENT = "treatment.record", _("Write treatment and examination records")
    TAKE_PAYMENTS = "finance.take_payments", _("Issue bills and take payments")
    VIEW_FINANCE = "finance.view", _("See revenue and financial reports")
    APPROVE_FINANCE = (
        "finance.approve",
        _("Void bills, refund payments and give discounts beyond the limit"),
    )
    RUN_CAMPAIGNS = "marketing.campaigns", _("Run marketing campaigns and care messages")
    VIEW_REPORTS = "reports.view", _("See business reports")
    MANAGE_STAFF = "staff.manage", _("Invite staff, set roles, deactivate accounts")
    MANAGE_SETTINGS = "settings.manage", _("Change business settings")
    VIEW_AUDIT = "audit.view", _("Browse the audit trail")


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MANAGER = "manager", _("Manager")
    PRACTITIONER = "practitioner", _("Practitioner")
    FRONT_DESK = "front_desk", _("Front desk")
    MARKETING = "marketing", _("Marketing")


C = Capability
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OWNER: frozenset(C.values),
    Role.MANAGER: frozenset(
        {
            C.VIEW_DASHBOARD,
            C.VIEW_CLIENTS,
            C.EDIT_CLIENTS,
            C.EXPORT_CLIENTS,
            C.IMPORT_CLIENTS,
            C.MERGE_CLIENTS,
            C.VIEW_SCHEDULE,
            C.MANAGE_SCHEDULE,
            C.SETUP_SCHEDULE,
            C.TAKE_PAYMENTS,
            C.VIEW_FINANCE,
            C.APPROVE_FINANCE,
            C.RUN_CAMPAIGNS,
            C.VIEW_REPORTS,
            C.MANAGE_STAFF,
        }
    ),
    Role.PRACTITIONER: frozenset(
        {
            C.VIEW_DASHBOARD,
            C.VIEW_CLIENTS,
            C.EDIT_CLIENTS,
            C.VIEW_HEALTH,
            C.VIEW_SCHEDULE,
            C.MANAGE_SCHEDULE,
            C.RECORD_TREATMENT,
        }
    ),
    Role.FRONT_DESK: frozenset(
        {
            C.VIEW_DASHBOARD,
            C.VIEW_CLIENTS,
            C.EDIT_CLIENTS,
            C.IMPORT_CLIENTS,
            C.VIEW_SCHEDULE,
            C.MANAGE_SCHEDULE,
            C.TAKE_PAYMENTS,
        }
    ),
    Role.MARKETING: frozenset(
        {
            C.VIEW_DASHBOARD,
            C.VIEW_CLIENTS,
            C.RUN_CAMPAIGNS,
            C.VIEW_REPORTS,
        }
    ),
}


class ExtraCapability(str):
    """A capability a vertical adds (for example "see the dental chart"). It behaves like a
    ``Capability`` member wherever one is checked: ``user.can(cap)``, ``user|can:"code"``,
    the roles page. Declared with ``register_capability``; the roles it names get it by
    default, and it is given only with those roles, so whoever may give the role (see
    ``accounts.services.grantable_roles``) may give it. A clinical one counts as clinical
    there: managers give it only when an owner lets them give clinical roles."""

    label: str | Promise
    clinical: bool
    vertical: str

    def __new__(cls, code: str, label, *, clinical: bool = False, vertical: str = ""):
        obj = super().__new__(cls, code)
        obj.label = label
        obj.clinical = clinical
        obj.vertical = vertical
        return obj

    @property
    def value(self) -> str:
        return str(self)


_extra: dict[str, ExtraCapability] = {}


def register_capability(
    code: str,
    label: str | Promise,
    *,
    roles: tuple[str, ...],
    clinical: bool = False,
    vertical: str = "",
) -> ExtraCapability:
    """Add a capability and give it to ``roles`` (the owner always has it). Registering the
    same code again returns the first declaration."""
    if code in Capability.values:
        raise ValueError(f"{code} is a core capability")
    if code in _extra:
        return _extra[code]
    cap = ExtraCapability(code, label, clinical=clinical, vertical=vertical)
    _extra[code] = cap
    for role in {Role.OWNER, *roles}:
        ROLE_CAPABILITIES[role] = ROLE_CAPABILITIES[role] | {cap}
    capability_in_use(cap)
    return cap


def extra_capabilities() -> list[ExtraCapability]:
    return list(_extra.values())


def capability_from_code(code) -> Capability | ExtraCapability:
    """The capability named ``code`` (a core one or a vertical's); ValueError otherwise."""
    if isinstance(code, Capability | ExtraCapability):
        return code
    if code in _extra:
        return _extra[code]
    return Capability(code)


def capabilities_for(roles: list[str] | tuple[str, ...]) -> frozenset[str]:
    granted: set[str] = set()
    for role in roles:
        granted |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(granted)


# Which capabilities some feature of the product uses today, and how the feature puts
# it when the capability's own label promises more than exists (a label may name a
# calendar before there is one). Guarded pages, menu entries and dashboard widgets mark
# theirs when they are declared; code that checks a capability elsewhere marks it too.
_in_use: dict[str, list[str | Promise]] = {}


def capability_in_use(capability, *, description: str | Promise = "") -> None:
    uses = _in_use.setdefault(capability_from_code(capability), [])
    uses.append(description)


def capabilities_in_use() -> list[Capability | ExtraCapability]:
    return [cap for cap in Capability if cap in _in_use] + [
        cap for cap in _extra.values() if cap in _in_use
    ]


def capability_text(capability) -> str | Promise:
    """The capability's label once a feature uses it as named; until then, what the
    features using it say they do."""
    uses = _in_use.get(capability, [])
    if any(not use for use in uses) or not uses:
        return capability.label
    return uses[0]
