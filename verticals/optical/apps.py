from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpticalConfig(AppConfig):
    name = "verticals.optical"
    label = "optical"
    verbose_name = _("Optical")

    def ready(self) -> None:
        from verticals import registry
        from verticals.optical.vertical import VERTICAL

        registry.register(VERTICAL)
