"""A client stops messages: by the link in a message, or by replying with a stop word.

Marketing consent for the channel is withdrawn through the privacy service (so the
consent history shows when and how); stopping everything also marks the file "do not
contact" through the client service (audited, on the timeline)."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clients.models import Client, Flag


def _tenant_language() -> str | None:
    return getattr(getattr(connection, "tenant", None), "language", "") or None


@transaction.atomic
def withdraw(client: Client, *, channel: str, how: str, everything: bool) -> None:
    """``how``: "link" or a gateway's name (a stop-word reply)."""
    from audit.services import note as audit_note
    from clients.services import ClientData, client_update
    from privacy.models import Method, Purpose
    from privacy.selectors import current_consents
    from privacy.services import consent_record

    purpose = Purpose.MARKETING_EMAIL if channel == "email" else Purpose.MARKETING_SMS
    latest = current_consents([client.pk])[client.pk].get(purpose)
    # The consent's note is plain text read by staff: in the business's language.
    with translation.override(_tenant_language()):
        if how == "link":
            text = _("Opted out through the link in a message.")
        else:
            text = _("Replied with a stop word by SMS (%(gateway)s).") % {"gateway": how}
    if latest is None or latest.granted:
        consent_record(
            client=client, purpose=purpose, granted=False, method=Method.ONLINE, note=text
        )
    if everything and Flag.DO_NOT_CONTACT not in client.flags:
        if how == "link":
            why = audit_note(gettext_noop("opted out through the link in a message"))
        else:
            why = audit_note(
                gettext_noop("replied with a stop word by SMS (%(gateway)s)"), gateway=how
            )
        client_update(
            client=client,
            data=ClientData({"flags": [*client.flags, Flag.DO_NOT_CONTACT.value]}),
            note=why,
        )
