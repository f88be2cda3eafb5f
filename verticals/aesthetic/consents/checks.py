"""The check run before an appointment is completed (registry completion_checks)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Capability
from verticals.aesthetic.consents.selectors import missing_consents


def consent_signed(appointment) -> None:
    """Refuse to complete ``appointment`` while its service requires a consent form whose
    current version the client has not signed. The error's params carry where to sign the
    first missing form (``url``, ``url_label``, and ``url_capability``, which the one who
    follows it needs), so the appointment page can link there without knowing consents."""
    missing = missing_consents(client=appointment.client, services=[appointment.service_id])
    if missing:
        sign = reverse(
            "aesthetic:consents:sign",
            kwargs={"client_id": appointment.client_id, "form_id": missing[0].pk},
        )
        raise ValidationError(
            _("The consent “%(forms)s” is not signed yet: the client signs it first."),
            code="consent_missing",
            params={
                "forms": "”, “".join(f.name for f in missing),
                "url": f"{sign}?appointment={appointment.pk}",
                "url_label": _("Sign “%(form)s”") % {"form": missing[0].name},
                "url_capability": Capability.RECORD_TREATMENT,
            },
        )
