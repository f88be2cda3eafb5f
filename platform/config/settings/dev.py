from config.settings.base import *  # noqa: F403
from config.settings.base import env_str

DEBUG = True
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
