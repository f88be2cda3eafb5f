from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DentalConfig(AppConfig):
    name = "verticals.dental"
    label = "dental"
    verbose_name = _("Dental")

    def ready(self) -> None:
        from verticals import registry
        from verticals.dental.vertical import VERTICAL

        registry.register(VERTICAL)
