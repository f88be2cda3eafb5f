from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Client import and export")

    def ready(self) -> None:
        from audit import display
        from clients import related
        from imports.models import ImportJob
        from imports.services import cleanup

        display.register(display.ObjectType("import", _("import"), ImportJob))
        display.register(display.ObjectType("client_list", _("client list")))
        # An unfinished import may hold a client's row; erasure and export reach it.
        related.register(
            related.ClientData(
                "imports", _("Unfinished imports"), cleanup.client_export, cleanup.client_erase
            )
        )
