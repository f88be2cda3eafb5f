"""How visits appear elsewhere in the client file: as timeline entries and in the
client's export and erasure (``clients.related``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Capability
from clients.profile import TimelineEntry
from core.text import list_join
from visits.models import Visit
from visits.selectors import client_visits
from visits.services import CLINICAL_FIELDS

KIND_LABEL = gettext_lazy("Visit")


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    clinical = user.can(Capability.VIEW_HEALTH)
    can_edit = user.can(Capability.EDIT_CLIENTS)
    entries = []
    for visit in client_visits(client=client)[:limit]:
        details = []
        if visit.satisfaction:
            details.append(_("Satisfaction %(n)d/5") % {"n": visit.satisfaction})
        if clinical and visit.efficacy:
            details.append(visit.efficacy)
        entries.append(
            TimelineEntry(
                when=visit.visited_on,
                kind="visit",
                kind_label=KIND_LABEL,
                title=list_join(visit.treatment_items) or _("Visit"),
                detail="\n".join(details),
                url=reverse("visits:edit", args=[visit.pk]) if can_edit else "",
                actor=str(visit.practitioner) if visit.practitioner else "",
            )
        )
    return entries


def export(client, *, user) -> list[dict]:
    """The client's visits; the clinical notes only for users who may read them."""
    clinical = user.can(Capability.VIEW_HEALTH)
    from finance.summary import visit_amounts

    rows = []
    visits = list(client_visits(client=client).order_by("visited_on", "id"))
    billed = visit_amounts(v.pk for v in visits)
    for visit in visits:
        amount = billed.get(visit.pk)
        row = {
            "date": visit.visited_on.isoformat(),
            "treatment_items": list(visit.treatment_items),
            "practitioner": str(visit.practitioner) if visit.practitioner else None,
            "satisfaction": visit.satisfaction,
            # What was taken on the visit's bills (the till is the source of money).
            "amount": str(amount) if amount is not None else None,
            "origin": visit.origin,
        }
        if clinical:
            row.update({name: getattr(visit, name) for name in CLINICAL_FIELDS})
        rows.append(row)
    return rows


def erase(client) -> None:
    """Blank the visit notes; dates and items stay (the bills, which hold the amounts,
    are the till's and stay for the business's accounts)."""
    Visit.objects.filter(client=client).update(efficacy="", suggestions="")
