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
