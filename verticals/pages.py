"""What every vertical's pages share: the two access levels of a clinical page and the few
helpers their views use. A vertical's views subclass ``ClinicalRead`` / ``ClinicalWrite``
and name their ``vertical``, so a page is 404 where that vertical is off.

Reading a clinical record needs ``clients.health``; writing one needs ``treatment.record``
as well (a role that may write but not read would write blind). Front desk has neither."""

from __future__ import annotations

from django.db import connection
from django.http import Http404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from portal.mixins import CapabilityRequiredMixin


class ClinicalRead(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_HEALTH


class ClinicalWrite(CapabilityRequiredMixin, View):
    capability = Capability.RECORD_TREATMENT

    def role_allows(self, user) -> bool:
        return user.can(Capability.RECORD_TREATMENT) and user.can(Capability.VIEW_HEALTH)


def tenant_currency() -> str:
    """The business's currency code, for the amounts a page shows."""
    return getattr(connection.tenant, "currency", "")


def record_viewed(request, client) -> None:
    """A clinical page of ``client`` was shown: the audit trail says who looked."""
    audit.record_view(action=Action.VIEW_HEALTH, actor=request.user, client_id=client.pk)


def profile_tab_url(client_id: int, tab: str) -> str:
    return reverse("clients:detail_tab", kwargs={"pk": client_id, "tab": tab})


def next_url(request, fallback: str) -> str:
    """Where to go after a form: the ``next`` the page passed when it is on this host."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def visit_of(request, client):
    """The visit a record is written for (``?visit=`` or a posted ``visit``), which must be
    one of this client's: None when none is named, 404 when it is not theirs."""
    from visits.models import Visit

    raw = request.POST.get("visit") or request.GET.get("visit")
    if not raw:
        return None
    try:
        return Visit.objects.get(pk=int(raw), client=client)
    except (ValueError, Visit.DoesNotExist):
        raise Http404 from None
