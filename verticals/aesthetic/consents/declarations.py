"""What the consents app adds to the aesthetic vertical (verticals.aesthetic.vertical
lists these in its ``Vertical``). Everything that touches views, PDFs or storage is
imported inside the functions, so that declaring the vertical loads no view code.

Its pages are at ``URLS``: aesthetic's URL module includes them under ``consents/`` with
the namespace ``consents`` (so ``aesthetic:consents:sign`` …)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

URLS = "verticals.aesthetic.consents.urls"


def _check_appointment(appointment) -> None:
    from verticals.aesthetic.consents.checks import consent_signed

    consent_signed(appointment)


def _export(client, *, user):
    from verticals.aesthetic.consents.client_file import consents_export

    return consents_export(client, user=user)


def _erase(client):
    from verticals.aesthetic.consents.client_file import consents_erase

    consents_erase(client)


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


TABS: tuple = ()
DOCUMENTS: tuple = ()
COMPLETION_CHECKS: tuple = (_check_appointment,)
CLIENT_DATA: tuple = _build_client_data()
AUDIT_TYPES: tuple = _build_audit_types()
