from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Staff portal")

    def ready(self) -> None:
        from audit import display
        from portal import navigation

        navigation.register_core_items()
        display.register(display.ObjectType("clinical_modules", _("clinical modules")))
