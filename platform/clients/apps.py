from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "clients"
    verbose_name = _("Clients")

    def ready(self) -> None:
        from accounts.roles import Capability
        from portal import navigation
        from tenants import stats

        navigation.register(
            navigation.NavItem(
                "clients", _("Clients"), "clients:list", Capability.VIEW_CLIENTS, "users", 10
            )
        )
        stats.register(stats.Counter("clients", _("Clients"), "clients_client", "TRUE"))

        from clients import profile, views

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
