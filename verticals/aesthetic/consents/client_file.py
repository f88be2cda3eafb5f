"""Consents in the client file: the profile's Consents tab, and the client's export and
erasure (``clients.related``). Each runs a fixed number of queries."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients.profile import TimelineEntry
from verticals.aesthetic.consents.models import SignedConsent
from verticals.aesthetic.consents.selectors import forms_for_services
from verticals.aesthetic.consents.services import PURPOSES

UPCOMING_SHOWN = 10
KIND = gettext_lazy("Informed consent")


def _signed(client):
    return SignedConsent.objects.filter(client=client).select_related(
        "version__form", "document", "recorded_by"
    )


def outstanding(client, signed_ids: set[int]) -> list[dict]:
    """Upcoming appointments of ``client`` whose service needs a consent not signed in
    its current version: one row per (appointment, form)."""
    from scheduling.models import HOLDING, Appointment

    appointments = list(
        Appointment.objects.filter(client=client, status__in=HOLDING, starts_at__gte=timezone.now())
        .select_related("service")
        .order_by("starts_at")[:UPCOMING_SHOWN]
    )
    forms = forms_for_services({a.service_id for a in appointments})
    by_service: dict[int, list] = {}
    for form in forms:
        current = form.current_version()
        if current is None or current.pk in signed_ids:
            continue
        for service in form.services.all():
            by_service.setdefault(service.pk, []).append(form)
    return [
        {"appointment": a, "form": form, "version": form.current_version()}
        for a in appointments
        for form in by_service.get(a.service_id, [])
    ]


def consents_tab_context(request, client) -> dict:
    audit.record_view(action=Action.VIEW_HEALTH, actor=request.user, client_id=client.pk)
    signed = list(_signed(client))
    can_sign = (
        request.user.can(Capability.RECORD_TREATMENT)
        and request.user.can(Capability.VIEW_HEALTH)
        and not client.erased_at
    )
    return {
        "signed_consents": signed,
        "outstanding": outstanding(client, {s.version_id for s in signed}),
        "can_sign": can_sign,
        "can_manage_forms": request.user.can(Capability.MANAGE_SETTINGS),
    }


def consents_export(client, *, user) -> dict:
    if not user.can(Capability.VIEW_HEALTH):
        return {
            "held_back": _("Clinical records are only exported for clinical staff."),
            "signed": SignedConsent.objects.filter(client=client).count(),
        }
    return {
        "signed": [
            {
                "form": s.version.form.name,
                "version": s.version.number,
                "signer": s.signer_name,
                "signer_role": s.signer_role,
                "language": s.language,
                "signed_at": s.signed_at.isoformat(),
                "appointment": s.appointment_id,
                "file": (
                    reverse("filestore:open", kwargs={"pk": s.document_id})
                    if not s.document.erased_at
                    else None
                ),
            }
            for s in _signed(client)
        ]
    }


def consents_erase(client) -> None:
    """The PDFs and signature images are erased (filestore keeps their emptied rows) and
    the signer's name goes; which version was signed when stays, without the person."""
    from filestore.services import erase_client_files

    erase_client_files(client, purposes=PURPOSES)
    SignedConsent.objects.filter(client=client).update(signer_name="")


# ---------- timeline ----------


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    """The client's signed consents, newest first, each linking to its PDF (one query,
    however many consents)."""
    out = []
    for s in _signed(client).order_by("-signed_at", "-id")[:limit]:
        facts = {"number": s.version.number, "role": s.get_signer_role_display()}
        if s.signer_name:
            detail = _("Version %(number)s, signed by %(signer)s (%(role)s)") % {
                **facts,
                "signer": s.signer_name,
            }
        else:  # erased: the person is gone, the role stays
            detail = _("Version %(number)s, signed by %(role)s") % facts
        out.append(
            TimelineEntry(
                s.signed_at,
                "aesthetic",
                KIND,
                _("Consent signed: %(form)s") % {"form": s.version.form.name},
                detail,
                ""
                if s.document.erased_at
                else reverse("filestore:open", kwargs={"pk": s.document_id}),
                str(s.recorded_by) if s.recorded_by else "",
            )
        )
    return out
