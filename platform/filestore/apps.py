from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilestoreConfig(AppConfig):
    name = "filestore"
    verbose_name = _("Clinical files")

    def ready(self) -> None:
        from audit import display
        from clients import related
        from filestore import client_data
        from filestore.models import StoredFile

        display.register(display.ObjectType("stored_file", _("file"), StoredFile))
        # Whichever record a file belongs to, erasing the client erases its bytes, and the
        # client's export lists the files the exporting user may open.
        related.register(
            related.ClientData("files", _("Files"), client_data.export, client_data.erase)
        )
