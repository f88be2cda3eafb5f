from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from accounts.roles import Capability, capability_in_use
        from portal import navigation
        from tenants import stats

        # Checked inside pages rather than guarding one (the Roles page lists it).
        capability_in_use(Capability.VIEW_FULL_ID)

        navigation.register(
            navigation.NavItem(
                "clients", _("Clients"), "clients:list", Capability.VIEW_CLIENTS, "users", 10
            )
        )
        stats.register(stats.Counter("clients", _("Clients"), "clients_client", "TRUE"))

        from audit import display
        from clients import profile, views
        from clients.models import Client, ClientHealth, CustomField, Household

        display.register(display.ObjectType("client", _("client file"), Client))
        display.register(display.ObjectType("health", _("health section"), ClientHealth))
        display.register(display.ObjectType("custom_field", _("custom field"), CustomField))
        display.register(display.ObjectType("household", _("household"), Household))

        from clients import households, related

        related.register(
            related.ClientData(
                "household",
                _("Household"),
                households.household_export,
                households.household_erase,
                households.household_merge,
            )
        )

        profile.register_tab(
            profile.ProfileTab(
                "details",
                _("Details"),
                0,
                Capability.VIEW_CLIENTS,
                "clients/tabs/details.html",
                views.details_tab_context,
            )
        )
        profile.register_tab(
            profile.ProfileTab(
                "timeline",
                _("Timeline"),
                5,
                Capability.VIEW_CLIENTS,
                "clients/tabs/timeline.html",
                views.timeline_tab_context,
            )
        )
        profile.register_tab(
            profile.ProfileTab(
                "health",
                _("Health"),
                20,
                Capability.VIEW_HEALTH,
                "clients/tabs/health.html",
                views.health_tab_context,
            )
        )
        profile.register_tab(
            profile.ProfileTab(
                "custom",
                _("More information"),
                50,
                Capability.VIEW_CLIENTS,
                "clients/tabs/custom.html",
                views.custom_tab_context,
            )
        )
