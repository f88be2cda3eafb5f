from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404


class CapabilityRequiredMixin(LoginRequiredMixin):
    """The one gate for portal views: signed in, and holding ``capability``. A page the
    user may not open answers 404, exactly like one that does not exist."""

    capability: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.capability:
            raise AssertionError(f"{type(self).__name__} must name its capability.")
        if not request.user.can(self.capability):
            raise Http404
        return super().dispatch(request, *args, **kwargs)
