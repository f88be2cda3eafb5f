from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerticalsConfig(AppConfig):
    name = "verticals"
    verbose_name = _("Verticals")
