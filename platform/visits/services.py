"""Writes to visits. Every write refreshes the client's derived visit figures in the same
transaction, so a client's first/last visit and count never disagree with its visits, and
every write from a person is recorded in the audit trail. Money is not a visit's: what a
visit cost comes from its bill (``finance.summary.visit_amounts``) and the client's total
spend from the till (``finance.summary.refresh``); ``Visit.amount`` is only the amount
typed before the till, kept as a read-only copy of the bill it was migrated into."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Max, Min

from audit import services as audit
from audit.models import Action
from clients.models import Client
from clients.services import refuse_erased
from visits.models import Visit, VisitOrigin

VISIT_FIELDS = (
    "visited_on",
    "treatment_items",
    "practitioner",
    "efficacy",
    "satisfaction",
    "suggestions",
)
# Clinical notes: seen only with clients.health, written only with treatment.record.
CLINICAL_FIELDS = ("efficacy", "suggestions")
# Free text about the person: named in the audit trail but never copied into it, so an
# erasure of the visit's text is not undone by the trail.
AUDIT_SENSITIVE = CLINICAL_FIELDS


def refresh_client_visit_stats(client_ids) -> None:
    """Recompute visit_count and first/last visit for these clients from their visits, in
    two queries whatever their number (importers pass thousands). Total spend is the
    till's (``finance.summary.refresh``)."""
    ids = list({int(pk) for pk in client_ids})
    if not ids:
        return
    figures = {
        row["client_id"]: row
        for row in Visit.objects.filter(client_id__in=ids)
        .values("client_id")
        .annotate(n=Count("id"), first=Min("visited_on"), last=Max("visited_on"))
    }
    clients = list(Client.objects.filter(pk__in=ids).only("id"))
    for client in clients:
        row = figures.get(client.pk)
        client.visit_count = row["n"] if row else 0
        client.first_visit_on = row["first"] if row else None
        client.last_visit_on = row["last"] if row else None
    Client.objects.bulk_update(
        clients, ["visit_count", "first_visit_on", "last_visit_on"], batch_size=2000
    )


def _apply(visit: Visit, values: dict) -> None:
    unknown = set(values) - set(VISIT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown visit fields: {sorted(unknown)}")
    for name, value in values.items():
        setattr(visit, name, value)


def _snapshot(visit: Visit) -> dict:
    return {
        name: getattr(visit, "practitioner_id" if name == "practitioner" else name)
        for name in VISIT_FIELDS
    }


def visit_has_clinical_notes(visit: Visit) -> bool:
    return any(getattr(visit, name) for name in CLINICAL_FIELDS)


def _record(action: str, visit: Visit, before: dict, after: dict, actor) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type="visit",
        object_id=visit.pk,
        client_id=visit.client_id,
        before=before,
        after=after,
        sensitive=AUDIT_SENSITIVE,
    )


@transaction.atomic
def visit_create(
    *,
    client: Client,
    values: dict,
    created_by=None,
    origin: str = VisitOrigin.MANUAL,
) -> Visit:
    refuse_erased(client)
    visit = Visit(client=client, created_by=created_by, origin=origin)
    _apply(visit, values)
    visit.full_clean()
    visit.save()
    refresh_client_visit_stats([client.pk])
    _record(Action.CREATE, visit, {}, _snapshot(visit), created_by)
    return visit


@transaction.atomic
def visit_update(*, visit: Visit, values: dict, actor=None) -> Visit:
    visit = Visit.objects.select_for_update(of=("self",)).select_related("client").get(pk=visit.pk)
    refuse_erased(visit.client)
    before = _snapshot(visit)
    _apply(visit, values)
    visit.full_clean()
    visit.save()
    refresh_client_visit_stats([visit.client_id])
    _record(Action.UPDATE, visit, before, _snapshot(visit), actor)
    return visit


@transaction.atomic
def visit_delete(*, visit: Visit, actor=None) -> None:
    client_id, visit_id = visit.client_id, visit.pk
    snapshot = _snapshot(visit)
    visit.delete()
    refresh_client_visit_stats([client_id])
    audit.record_change(
        action=Action.DELETE,
        actor=actor,
        object_type="visit",
        object_id=visit_id,
        client_id=client_id,
        before=snapshot,
        after={},
        sensitive=AUDIT_SENSITIVE,
    )
