from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import connection
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _pick_language(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.language in SUPPORTED:
        return user.language
    cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in SUPPORTED:
        return cookie
    tenant = getattr(connection, "tenant", None)
    is_tenant = connection.schema_name != settings.PUBLIC_SCHEMA_NAME and tenant is not None
    if is_tenant and tenant.language in SUPPORTED:
        return tenant.language
    return translation.get_language_from_request(request, check_path=False)


class PreferencesMiddleware:
    """Language per user (then cookie, then the business's default), time zone per tenant."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = _pick_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        tenant = getattr(connection, "tenant", None)
        if tenant is not None and connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
            try:
                timezone.activate(zoneinfo.ZoneInfo(tenant.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class TwoFactorRequiredMiddleware:
    """Where the owner made two-factor login mandatory, a signed-in user without it can
    reach only the page that sets it up (and sign out)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        tenant = getattr(connection, "tenant", None)
        user = getattr(request, "user", None)
        if (
            tenant is not None
            and connection.schema_name != settings.PUBLIC_SCHEMA_NAME
            and getattr(tenant, "require_two_factor", False)
            and user is not None
            and user.is_authenticated
            and not user.has_two_factor
        ):
            allowed = {
                reverse("accounts:security"),
                reverse("accounts:logout"),
                reverse("accounts:language"),
            }
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect(f"{reverse('accounts:security')}?required=1")
        return self.get_response(request)
