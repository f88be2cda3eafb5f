from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactlogConfig(AppConfig):
    name = "contactlog"
    verbose_name = _("Contact log")

    def ready(self) -> None:
        from accounts.roles import Capability
        from audit import display
        from clients import profile, related
        from contactlog import history, views
        from contactlog.models import ContactEntry

        display.register(display.ObjectType("contact", _("contact log entry"), ContactEntry))
        from accounts.roles import capability_in_use
        from portal import dashboard, navigation

        # Marketing logs care calls with this capability; campaigns themselves do not
        # exist yet, so the Roles page says what it opens today.
        capability_in_use(
            Capability.RUN_CAMPAIGNS, description=_("Log contacts with clients and follow them up")
        )

        profile.register_tab(
            profile.ProfileTab(
                "contacts",
                _("Contact log"),
                40,
                Capability.VIEW_CLIENTS,
                "contactlog/tab.html",
                views.contacts_tab_context,
            )
        )
        profile.register_timeline(
            profile.TimelineSource("contacts", Capability.VIEW_CLIENTS, history.timeline_entries)
        )
        related.register(
            related.ClientData("contacts", _("Contact log"), history.export, history.erase)
        )
        navigation.register(
            navigation.NavItem(
                "follow_ups",
                _("Follow-ups"),
                "contactlog:follow_ups",
                Capability.VIEW_CLIENTS,
                "phone",
                20,
            )
        )
        dashboard.register(
            dashboard.DashboardWidget(
                "follow_ups",
                10,
                Capability.VIEW_CLIENTS,
                "contactlog/dashboard_widget.html",
                views.dashboard_widget_context,
            )
        )
