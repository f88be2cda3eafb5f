"""One household in each demo business (``seed_demo``): the two clients the till's demo
(finance.demo) gave cards, so a balance can be shown moving between family members'
cards; two first clients where it gave none. Through the household service, as staff
would; skipped once the business has any household."""

from __future__ import annotations

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from clients import households
from clients.models import Client, Household


def seed_household() -> Household | None:
    """The demo household, or None when there is one already (or too few clients). Run
    with the business as the connection's tenant, after finance.demo."""
    if Household.objects.exists():
        return None
    live = Client.objects.filter(erased_at__isnull=True, household__isnull=True)
    members = list(live.filter(cards__isnull=False).distinct().order_by("id")[:2])
    if len(members) < 2:
        members += [c for c in live.order_by("id")[:2] if c not in members]
        members = members[:2]
    owner = next(
        (u for u in User.objects.filter(is_active=True).order_by("id") if "owner" in u.roles),
        None,
    )
    if len(members) < 2 or owner is None:
        return None
    with translation.override(connection.tenant.language):
        name = _("%(name)s's family") % {"name": members[0].name}
    return households.household_create(actor=owner, name=name, members=members)
