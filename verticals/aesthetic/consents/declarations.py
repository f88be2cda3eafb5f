"""What the consents app adds to the aesthetic vertical (verticals.aesthetic.vertical
lists these in its ``Vertical``). Everything that touches views, PDFs or storage is
imported inside the functions, so that declaring the vertical loads no view code.

Its pages are the URL module ``URLS``: the aesthetic URL module includes it as
``path("consents/", include(URLS))`` (its ``app_name`` is ``consents``, so the names are
``aesthetic:consents:sign`` …, mounted at /aesthetic/consents/)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

URLS = "verticals.aesthetic.consents.urls"


def _check_appointment(appointment) -> None:
    from verticals.aesthetic.consents.checks import consent_signed

    consent_signed(appointment)


def _tab_context(request, client) -> dict:
    from verticals.aesthetic.consents.client_file import consents_tab_context

    return consents_tab_context(request, client)


def _build_tabs():
    from accounts.roles import Capability
    from clients.profile import ProfileTab

    return (
        ProfileTab(
            "aesthetic_consents",
            _("Consents"),
            33,
            Capability.VIEW_HEALTH,
            "aesthetic_consents/tab.html",
            _tab_context,
        ),
    )


def _build_documents():
    from accounts.roles import Capability
    from verticals.registry import Document

    return (
        Document(
            "aesthetic_consent",
            _("Signed consent (PDF)"),
            "aesthetic:consents:document",
            Capability.VIEW_HEALTH,
        ),
    )


def _export(client, *, user):
    from verticals.aesthetic.consents.client_file import consents_export

    return consents_export(client, user=user)


def _erase(client):
    from verticals.aesthetic.consents.client_file import consents_erase

    consents_erase(client)


def seed_demo_consents(tenant, clients, staff_by_email, today) -> None:
    """The demo clinic's consent form (for the hydrating injection on the starting menu)
    and two signed consents: the aesthetic demo seed calls this after its own records
    (a consent form made first would hold up its records of unsigned clients)."""
    from verticals.aesthetic.consents.demo import seed_demo_consents as seed

    seed(tenant, clients, staff_by_email, today)


def _timeline(client, user, limit):
    from verticals.aesthetic.consents.client_file import timeline_entries

    return timeline_entries(client, user, limit)


def _build_timeline():
    from accounts.roles import Capability
    from clients.profile import TimelineSource

    return (TimelineSource("aesthetic_consents", Capability.VIEW_HEALTH, _timeline),)


def _build_client_data():
    from clients.related import ClientData

    return (ClientData("aesthetic_consents", _("Signed consents"), _export, _erase),)


def _build_audit_types():
    from audit.display import ObjectType
    from verticals.aesthetic.consents import models as m

    return (
        ObjectType("aesthetic_consent_form", _("consent form"), m.ConsentForm),
        ObjectType("aesthetic_consent_version", _("consent form version"), m.ConsentFormVersion),
        ObjectType("aesthetic_consent", _("signed consent"), m.SignedConsent),
    )


TABS: tuple = _build_tabs()
DOCUMENTS: tuple = _build_documents()
COMPLETION_CHECKS: tuple = (_check_appointment,)
CLIENT_DATA: tuple = _build_client_data()
TIMELINE: tuple = _build_timeline()
AUDIT_TYPES: tuple = _build_audit_types()
