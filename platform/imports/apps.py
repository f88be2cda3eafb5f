from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Client import and export")

    def ready(self) -> None:
        from audit import display
        from imports.models import ImportJob

        display.register(display.ObjectType("import", _("import"), ImportJob))
        display.register(display.ObjectType("client_list", _("client list")))
