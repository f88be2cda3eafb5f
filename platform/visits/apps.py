from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("Visits and treatment history")

    def ready(self) -> None:
        from accounts.roles import Capability, capability_in_use
        from audit import display
        from clients import profile, related
        from visits import history, views
        from visits.models import Visit

        display.register(display.ObjectType("visit", _("visit"), Visit))
        # Clinical notes on visits are written with it (the Roles page lists it).
        capability_in_use(Capability.RECORD_TREATMENT)

        profile.register_tab(
            profile.ProfileTab(
                "visits",
                _("Visits"),
                30,
                Capability.VIEW_CLIENTS,
                "visits/tab.html",
                views.visits_tab_context,
            )
        )
        profile.register_timeline(
            profile.TimelineSource("visits", Capability.VIEW_CLIENTS, history.timeline_entries)
        )
        related.register(
            related.ClientData(
                "visits", _("Visits and treatment history"), history.export, history.erase
            )
        )
        from portal import dashboard

        dashboard.register(
            dashboard.DashboardWidget(
                "visits_today",
                20,
                Capability.VIEW_CLIENTS,
                "visits/dashboard_widget.html",
                views.dashboard_widget_context,
            )
        )
