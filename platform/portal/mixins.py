from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.roles import Capability, capability_in_use
from verticals import registry


def role_forbidden(request: HttpRequest) -> HttpResponse:
    """The page a role may not open: said plainly, with a way back. Objects that do not
    exist (or belong to another business) still answer 404 from the views themselves; the
    role is checked before any lookup, so this page tells nothing about which objects
    exist."""
    back = request.META.get("HTTP_REFERER", "")
    if not back or not url_has_allowed_host_and_scheme(
        back, {request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    context = {"back": back, "home": reverse("portal:dashboard")}
    return render(request, "portal/forbidden.html", context, status=403)


class CapabilityRequiredMixin(LoginRequiredMixin):
    """The one gate for portal views: signed in, and holding ``capability``. A page the
    user's roles may not open answers 403 with the "not available for your role" page.
    Every capability a page is guarded by counts as in use (the Roles page lists those)."""

    capability: Capability | None = None
    # A vertical's page (its key): answers 404 in a business that has that vertical off,
    # the same as a page that does not exist there.
    vertical: str = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("capability"):
            capability_in_use(cls.capability)

    def role_allows(self, user) -> bool:
        """Narrow the gate in a subclass when a page needs more than one capability; the
        refusal is then answered the same way."""
        return user.can(self.capability)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.capability:
            raise AssertionError(f"{type(self).__name__} must name its capability.")
        if self.vertical and not registry.is_enabled(self.vertical):
            raise Http404
        if not self.role_allows(request.user):
            return role_forbidden(request)
        return super().dispatch(request, *args, **kwargs)
