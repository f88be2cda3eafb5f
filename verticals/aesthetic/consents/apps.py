from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AestheticConsentsConfig(AppConfig):
    """Signed consent forms of the aesthetic vertical. Declared to the registry through
    ``declarations`` (the aesthetic vertical lists them), so this app registers nothing."""

    name = "verticals.aesthetic.consents"
    label = "aesthetic_consents"
    verbose_name = _("Consent forms")
    default_auto_field = "django.db.models.BigAutoField"
