from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from accounts.roles import Capability
        from audit import views
        from clients import profile
        from portal import navigation

        navigation.register(
            navigation.NavItem(
                "audit",
                _("Audit trail"),
                "audit:list",
                Capability.VIEW_AUDIT,
                "shield",
                920,
                section="admin",
            )
        )
        profile.register_tab(
            profile.ProfileTab(
                "audit",
                _("Audit"),
                90,
                Capability.VIEW_AUDIT,
                "audit/tab.html",
                views.audit_tab_context,
            )
        )
