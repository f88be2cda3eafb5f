"""The check run before an appointment is completed (registry completion_checks)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from verticals.aesthetic.consents.selectors import missing_consents


def consent_signed(appointment) -> None:
    """Refuse to complete ``appointment`` while its service requires a consent form whose
    current version the client has not signed."""
    missing = missing_consents(client=appointment.client, services=[appointment.service_id])
    if missing:
        raise ValidationError(
            _("The consent “%(forms)s” is not signed yet: the client signs it first.")
            % {"forms": "”, “".join(f.name for f in missing)}
        )
