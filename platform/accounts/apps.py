from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Staff accounts")

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from accounts import signals  # noqa: F401
        from tenants import stats

        stats.register(stats.Counter("staff", _("Active staff"), "accounts_user", "is_active"))
