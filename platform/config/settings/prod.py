"""Production: secrets must come from the environment; HTTPS everywhere."""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import env_bool, env_int, env_secret, env_secret_list, env_str

DEBUG = False
SECRET_KEY = env_secret("SECRET_KEY")
DATABASE_URL = env_str("DATABASE_URL")
SITE_SCHEME = "https"
SITE_PORT = env_str("SITE_PORT", "")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1, minimum=0)
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage",
}

# --- data keys: each required, none derived from SECRET_KEY (see base.py) ---------------
FIELD_ENCRYPTION_KEYS = env_secret_list("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env_secret("BLIND_INDEX_KEY")
AUDIT_CHAIN_KEY = env_secret("AUDIT_CHAIN_KEY")
for _name in ("BLIND_INDEX_KEY", "AUDIT_CHAIN_KEY"):
    if not globals()[_name].strip():
        raise ImproperlyConfigured(f"Set the {_name} environment variable.")
