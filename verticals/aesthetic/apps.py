from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AestheticConfig(AppConfig):
    name = "verticals.aesthetic"
    label = "aesthetic"
    verbose_name = _("Beauty and medical aesthetics")

    def ready(self) -> None:
        from verticals import registry
        from verticals.aesthetic.vertical import VERTICAL

        registry.register(VERTICAL)
