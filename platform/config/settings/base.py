"""Settings shared by every environment. Values that differ per deployment come from the
environment through the helpers in ``config.env``; dev.py, test.py and prod.py adjust."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_secret, env_secret_list, env_str

PLATFORM_DIR = Path(__file__).resolve().parents[2]
BASE_DIR = PLATFORM_DIR.parent
VAR_DIR = Path(env_str("CLINICDESK_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_secret("SECRET_KEY", "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop")
DEBUG = env_bool("DEBUG", False)

# Tenants live at <subdomain>.<TENANT_BASE_DOMAIN>; the public site at the base domain.
TENANT_BASE_DOMAIN = env_str("TENANT_BASE_DOMAIN", "localhost")
PUBLIC_DOMAINS = env_list("PUBLIC_DOMAINS", [TENANT_BASE_DOMAIN, "127.0.0.1"])
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [TENANT_BASE_DOMAIN, f".{TENANT_BASE_DOMAIN}", "127.0.0.1"]
)
# How portal links are built: scheme and port of the public address users see.
SITE_SCHEME = env_str("SITE_SCHEME", "http")
SITE_PORT = env_str("SITE_PORT", "8000")

# --- apps -------------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "billing",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "core",
    "accounts",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "core",
    "accounts",
    "portal",
    "clients",
    "visits",
    "scheduling",
    "finance",
    "contactlog",
    "audit",
    "imports",
    "privacy",
    "filestore",
    "verticals",
    "verticals.aesthetic.apps.AestheticConfig",
    "verticals.aesthetic.consents.apps.AestheticConsentsConfig",
    "verticals.dental.apps.DentalConfig",
    "verticals.optical.apps.OpticalConfig",
    "notifications",
    "api",
]
# django.forms last: the form widgets' templates are looked up through TEMPLATES, where the
# portal's own (a word for the empty choice, not "---------") come before Django's.
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
INSTALLED_APPS += ["django.forms"]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TENANT_MODEL = "tenants.Tenant"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
ROOT_URLCONF = "config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# One SET search_path per connection switch instead of one before every query.
TENANT_LIMIT_SET_CALLS = True
# Spare, fully migrated schemas that signup hands out; a Celery task keeps the pool full.
TENANT_SPARE_POOL_SIZE = env_int("TENANT_SPARE_POOL_SIZE", 3, minimum=0)
# A closed business's data is kept this long (read-only, exportable by an operator) before
# an operator may purge it.
TENANT_CLOSURE_RETENTION_DAYS = env_int("TENANT_CLOSURE_RETENTION_DAYS", 90, minimum=1)
# Subscriptions (billing/): billing is on only when a Stripe secret key is configured;
# without one every business is on the default plan with no trial end (``make run`` offline).
STRIPE_SECRET_KEY = env_secret("STRIPE_SECRET_KEY", "")
BILLING_ENABLED = bool(STRIPE_SECRET_KEY)
BILLING_TRIAL_DAYS = env_int("BILLING_TRIAL_DAYS", 14, minimum=1)
# Signs the webhook calls Stripe makes to /billing/stripe/webhook/ on the public host.
STRIPE_WEBHOOK_SECRET = env_secret("STRIPE_WEBHOOK_SECRET", "")
# Where the Stripe API is reached: empty for Stripe itself; the tests (and a developer
# trying checkout offline) point it at the loopback stand-in (devstack.stripe_standin).
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "")
# Stripe price ids per plan, currency and interval, "clinic.USD.monthly=price_123,...";
# an id given here wins over the one stored on the plan's price in the console.
STRIPE_PRICE_IDS = env_list("STRIPE_PRICE_IDS", [])
# Days a business whose payment failed keeps working (past due) before it is suspended
# for non-payment; paying at any point restores it.
BILLING_GRACE_DAYS = env_int("BILLING_GRACE_DAYS", 7, minimum=0)

MIDDLEWARE = [
    # First, so even the unknown-host 404 of the tenant middleware gets the headers.
    "core.middleware.SecurityHeadersMiddleware",
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.PreferencesMiddleware",
    "tenants.middleware.TenantStatusMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Sent on every response (core.middleware). No inline script or style anywhere: scripts
# and styles are static files, so an injected <script> or style attribute does nothing.
# Forms post to their own host, but signup's answer redirects to the new business's host,
# and browsers hold a form's redirects to form-action too.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    f"base-uri 'self'; form-action 'self' *.{TENANT_BASE_DOMAIN}:*",
)
# The Django admin (operators only) draws with django-tenants' admin templates, which
# carry an inline <style> and style attributes we cannot move without copying them; so
# there alone inline styles are allowed. Scripts stay 'self' only.
CONTENT_SECURITY_POLICY_ADMIN = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
# Besides every response to a signed-in user: pages under these are never cached.
NO_STORE_PATH_PREFIXES = [
    "/clients/",
    "/visits/",
    "/audit/",
    "/console/",
    "/admin/",
    "/files/",
    # The verticals' clinical pages (registry.urlpatterns mounts each at /<key>/).
    "/aesthetic/",
    "/dental/",
    "/optical/",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

# --- database ---------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
else:
    # Filled in by the dev stack (devstack) before Django starts; this default only lets
    # commands that do not touch the database (check, makemessages) run.
    _db = {"NAME": "clinicdesk", "USER": "postgres", "HOST": "", "PORT": ""}
_db["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES = {"default": _db}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache and Celery -------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Without these, tenants would share cached values, throttles included.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = "UTC"

# --- auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)
# Online booking attempts allowed per client address and per phone number in the window.
ONLINE_BOOKING_RATE_PER_ADDRESS = env_int("ONLINE_BOOKING_RATE_PER_ADDRESS", 20, minimum=1)
ONLINE_BOOKING_RATE_PER_PHONE = env_int("ONLINE_BOOKING_RATE_PER_PHONE", 5, minimum=1)
ONLINE_BOOKING_RATE_WINDOW_SECONDS = env_int(
    "ONLINE_BOOKING_RATE_WINDOW_SECONDS", 60 * 60, minimum=1
)
# Password reset requests per account within the window (per client address: four times
# as many, the login lockout's factor).
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 3, minimum=1)
PASSWORD_RESET_SECONDS = env_int("PASSWORD_RESET_SECONDS", 60 * 60, minimum=1)
# Addresses behind this many reverse proxies are read from X-Forwarded-For; with 0 (the
# default) the header is ignored, so a client cannot forge its address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
SIGNUP_RATE_LIMIT = env_int("SIGNUP_RATE_LIMIT", 5, minimum=1)
SIGNUP_RATE_WINDOW_SECONDS = env_int("SIGNUP_RATE_WINDOW_SECONDS", 3600, minimum=1)
# An import left unfinished this long is discarded with its file and rows
# (imports.clear_abandoned, hourly per tenant).
IMPORT_ABANDONED_AFTER_HOURS = env_int("IMPORT_ABANDONED_AFTER_HOURS", 24, minimum=1)

# Users live in each tenant schema: cookies stay host-only so a session made on one
# tenant's host is never sent to another's. Never set SESSION_COOKIE_DOMAIN.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12

# --- data keys (field encryption, blind index, audit chain) ----------------------------
# Each is its own secret, never derived from SECRET_KEY, so rotating SECRET_KEY leaves
# encrypted data, exact-match search and the audit chain intact. Production requires all
# three (config.settings.prod); here they default to values derived from a fixed
# development constant, which equal the keys development databases were made with.
_DEV_KEY_SEED = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnop"
# Field encryption keys, newest first (rotate by prepending a new key, then re-encrypt).
FIELD_ENCRYPTION_KEYS = env_secret_list("FIELD_ENCRYPTION_KEYS", [f"derived:{_DEV_KEY_SEED}"])
# Key of the keyed hashes (blind indexes) used to find encrypted values by exact match.
BLIND_INDEX_KEY = env_secret("BLIND_INDEX_KEY", f"blind-index:{_DEV_KEY_SEED}")
# Key of the audit trail's hash chain (audit.services). Changing it makes every existing
# chain fail verification.
AUDIT_CHAIN_KEY = env_secret("AUDIT_CHAIN_KEY", f"audit-chain:{_DEV_KEY_SEED}")
# Repeated views of one client's health data (or full ID) by one user within this many
# seconds are one audit entry.
AUDIT_VIEW_WINDOW_SECONDS = env_int("AUDIT_VIEW_WINDOW_SECONDS", 600, minimum=0)

# --- i18n -------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PLATFORM_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "clinicdesk_language"
# One date format per language everywhere (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]

# --- static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    # Files are served only through views that check permissions, never from a public URL.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if env_str("AWS_STORAGE_BUCKET_NAME", ""):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL", "") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
# Clinical files (filestore): the largest upload taken, and how long a signed S3 link lives.
FILESTORE_MAX_BYTES = env_int("FILESTORE_MAX_BYTES", 15 * 1024 * 1024, minimum=1)
FILESTORE_URL_SECONDS = env_int("FILESTORE_URL_SECONDS", 60, minimum=1)

# --- mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ClinicDesk <no-reply@localhost>")

# --- REST API ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {"TITLE": "ClinicDesk API", "VERSION": "0.1.0"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- messages: SMS gateways (notifications.channels) -------------------------------------
# The SMS backend (dotted path): the console (prints to the worker's log) unless set, e.g.
# notifications.channels.twilio.TwilioBackend, .aliyun.AliyunBackend, .generic.HttpGatewayBackend.
# Email goes through EMAIL_BACKEND above. Base URLs are settings so tests use loopback fakes.
NOTIFICATIONS_SMS_BACKEND = env_str(
    "NOTIFICATIONS_SMS_BACKEND", "notifications.channels.console.ConsoleSmsBackend"
)
NOTIFICATIONS_SMS = {
    "twilio": {
        "api_base": env_str("TWILIO_API_BASE", "https://api.twilio.com"),
        "account_sid": env_str("TWILIO_ACCOUNT_SID", ""),
        "auth_token": env_secret("TWILIO_AUTH_TOKEN", ""),
        "from": env_str("TWILIO_FROM", ""),
        "messaging_service_sid": env_str("TWILIO_MESSAGING_SERVICE_SID", ""),
    },
    "aliyun": {
        "endpoint": env_str("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/"),
        "region": env_str("ALIYUN_SMS_REGION", "cn-hangzhou"),
        "access_key_id": env_str("ALIYUN_SMS_ACCESS_KEY_ID", ""),
        "access_key_secret": env_secret("ALIYUN_SMS_ACCESS_KEY_SECRET", ""),
        # The approved template whose one variable carries the text ("${content}"), and
        # per-kind templates ("reminder=SMS_1,phone_code=SMS_2").
        "template_code": env_str("ALIYUN_SMS_TEMPLATE_CODE", ""),
        "templates": dict(
            item.split("=", 1) for item in env_list("ALIYUN_SMS_TEMPLATES", []) if "=" in item
        ),
        "template_param": env_str("ALIYUN_SMS_TEMPLATE_PARAM", "content"),
        # Replies (SmsUp) find their business by the extension code sent with each text.
        "up_extend_code": env_bool("ALIYUN_SMS_UP_EXTEND_CODE", True),
        # Aliyun's HTTP push carries no signature: its URL holds this shared secret.
        "push_token": env_secret("ALIYUN_SMS_PUSH_TOKEN", ""),
    },
    "generic": {
        "url": env_str("SMS_GATEWAY_URL", ""),
        "format": env_str("SMS_GATEWAY_FORMAT", "json"),  # json or form
        "body": env_str(
            "SMS_GATEWAY_BODY",
            '{"to": "{to}", "text": "{text}", "reference": "{key}", "callback": "{callback}"}',
        ),
        "auth_header": env_str("SMS_GATEWAY_AUTH_HEADER", "Authorization"),
        "auth_value": env_secret("SMS_GATEWAY_AUTH_VALUE", ""),
        # Sent with the message's idempotency key when set; the gateway must honour it.
        "key_header": env_str("SMS_GATEWAY_KEY_HEADER", "Idempotency-Key"),
        "id_field": env_str("SMS_GATEWAY_ID_FIELD", "id"),
        # HMAC-SHA256 of callbacks' bodies, hex, in this header.
        "callback_secret": env_secret("SMS_GATEWAY_CALLBACK_SECRET", ""),
        "signature_header": env_str("SMS_GATEWAY_SIGNATURE_HEADER", "X-Signature"),
    },
}
