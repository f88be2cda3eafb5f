"""Test settings choose speed where a test does not exist to exercise the real part."""

from config.settings.base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}
TENANT_SPARE_POOL_SIZE = 0
FIELD_ENCRYPTION_KEYS = ["dGVzdC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3A="]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Live-server threads must not keep connections open past their request, or the test
# database cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# The outbox's commit hook sends in the test's own process (notifications.outbox): a test
# that books something sees the message in mail.outbox / the console backend at once.
NOTIFICATIONS_SEND_INLINE = True
