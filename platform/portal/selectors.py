from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.models import User
from accounts.roles import Capability
from accounts.selectors import open_invitations


@dataclass(frozen=True)
class StaffSummary:
    active: int
    with_two_factor: int
    open_invitations: int


@dataclass(frozen=True)
class DashboardSummary:
    # Only for those who manage staff: the rest of the team has no use for it.
    staff: StaffSummary | None
    setup_steps: list[tuple[str, bool, str]]


def _staff_summary() -> StaffSummary:
    staff = User.objects.filter(is_active=True).aggregate(
        total=Count("id"), with_2fa=Count("id", filter=Q(totp_confirmed_at__isnull=False))
    )
    return StaffSummary(
        active=staff["total"],
        with_two_factor=staff["with_2fa"],
        open_invitations=open_invitations().count(),
    )


def dashboard_summary(*, tenant, user) -> DashboardSummary:
    from django.urls import reverse
    from django.utils.translation import gettext as _

    staff = _staff_summary() if user.can(Capability.MANAGE_STAFF) else None
    steps: list[tuple[str, bool, str]] = []
    if user.can(Capability.MANAGE_SETTINGS):
        steps.append(
            (
                _("Add your address, phone and logo"),
                bool(tenant.address and tenant.phone and tenant.logo),
                reverse("portal:settings"),
            )
        )
    if staff is not None:
        steps.append(
            (
                _("Invite your team"),
                staff.active > 1 or staff.open_invitations > 0,
                reverse("accounts:staff_list"),
            )
        )
    steps.append(
        (
            _("Turn on two-factor login for your account"),
            user.has_two_factor,
            reverse("accounts:security"),
        )
    )
    return DashboardSummary(staff=staff, setup_steps=steps)
