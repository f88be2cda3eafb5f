from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from accounts.models import User
from accounts.selectors import open_invitations


@dataclass(frozen=True)
class DashboardSummary:
    active_staff: int
    staff_with_two_factor: int
    open_invitations: int
    setup_steps: list[tuple[str, bool, str]]


def dashboard_summary(*, tenant, user) -> DashboardSummary:
    from django.urls import reverse
    from django.utils.translation import gettext as _

    staff = User.objects.filter(is_active=True).aggregate(
        total=Count("id"), with_2fa=Count("id", filter=Q(totp_confirmed_at__isnull=False))
    )
    invitations = open_invitations().count()
    steps: list[tuple[str, bool, str]] = []
    if user.can("settings.manage"):
        steps.append(
            (
                _("Add your address, phone and logo"),
                bool(tenant.address and tenant.phone and tenant.logo),
                reverse("portal:settings"),
            )
        )
        steps.append(
            (_("Set your opening hours"), bool(tenant.business_hours), reverse("portal:settings"))
        )
    if user.can("staff.manage"):
        steps.append(
            (
                _("Invite your team"),
                staff["total"] > 1 or invitations > 0,
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
    return DashboardSummary(
        active_staff=staff["total"],
        staff_with_two_factor=staff["with_2fa"],
        open_invitations=invitations,
        setup_steps=steps,
    )
