from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = _("Privacy and consent")

    def ready(self) -> None:
        from accounts.roles import Capability
        from audit import display
        from clients import profile, related
        from privacy import services, views
        from privacy.models import ConsentRecord

        display.register(display.ObjectType("consent", _("consent"), ConsentRecord))

        profile.register_tab(
            profile.ProfileTab(
                "consent",
                _("Consent & privacy"),
                40,
                Capability.VIEW_CLIENTS,
                "privacy/tab.html",
                views.consent_tab_context,
            )
        )
        related.register(
            related.ClientData(
                "consents",
                _("Consent records"),
                export=services.consents_export,
                erase=services.consents_erase,
            )
        )
