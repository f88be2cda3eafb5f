"""Which consents a client still has to sign.

The rule (used by the completion check and by the treatment record): a form is required
for a service it names while it is in use and has a published version; it is satisfied
once the client has signed the form's *current* version (its latest published one). A new
version therefore asks every client to sign again. A form with no published version yet
asks nothing (there is nothing to sign)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch

from verticals.aesthetic.consents.models import ConsentForm, ConsentFormVersion, SignedConsent


def _published():
    return Prefetch(
        "versions",
        queryset=ConsentFormVersion.objects.filter(published_at__isnull=False).order_by("-number"),
        to_attr="published_versions",
    )


def forms_for_services(services: Iterable) -> list[ConsentForm]:
    """The forms in use that any of ``services`` (Service rows or ids) requires, each
    with ``published_versions`` and ``services`` prefetched (three queries)."""
    ids = {getattr(s, "pk", s) for s in services if s is not None}
    if not ids:
        return []
    return list(
        ConsentForm.objects.filter(active=True, services__in=ids)
        .distinct()
        .prefetch_related(_published(), "services")
        .order_by("name")
    )


def signed_version_ids(client) -> set[int]:
    return set(SignedConsent.objects.filter(client=client).values_list("version_id", flat=True))


def missing_consents(*, client, services) -> list[ConsentForm]:
    """The forms ``services`` require whose current version ``client`` has not signed
    (four queries at most)."""
    forms = [f for f in forms_for_services(services) if f.current_version() is not None]
    if not forms:
        return []
    signed = signed_version_ids(client)
    return [f for f in forms if f.current_version().pk not in signed]
