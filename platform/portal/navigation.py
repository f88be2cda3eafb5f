"""The portal's navigation. Each area registers an entry with the capability that opens
it; the sidebar shows a user only what their roles open. Later areas (clients, calendar,
till, follow-ups, reports, vertical records) add their entries from their own apps."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.roles import Capability, capability_in_use
from verticals import registry


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url_name: str
    capability: Capability
    icon: str
    order: int
    section: str = "main"
    # A vertical's entry (its key): shown only where the business has that vertical on.
    vertical: str = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_items: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    capability_in_use(item.capability)
    _items[item.key] = item


def items_for(user) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    return sorted(
        (
            i
            for i in _items.values()
            if user.can(i.capability) and (not i.vertical or registry.is_enabled(i.vertical))
        ),
        key=lambda i: (i.section != "main", i.order),
    )


def register_core_items() -> None:
    register(
        NavItem(
            "dashboard", _("Dashboard"), "portal:dashboard", Capability.VIEW_DASHBOARD, "home", 0
        )
    )
    register(
        NavItem(
            "staff",
            _("Staff"),
            "accounts:staff_list",
            Capability.MANAGE_STAFF,
            "users",
            900,
            section="admin",
        )
    )
    register(
        NavItem(
            "roles",
            _("Roles"),
            "accounts:roles",
            Capability.MANAGE_STAFF,
            "shield",
            910,
            section="admin",
        )
    )
    register(
        NavItem(
            "settings",
            _("Settings"),
            "portal:settings",
            Capability.MANAGE_SETTINGS,
            "cog",
            920,
            section="admin",
        )
    )
