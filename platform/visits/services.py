"""Writes to visits. Every write refreshes the client's derived visit figures in the same
transaction, so a client's first/last visit, count and spend never disagree with its
visits."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Min, Sum

from clients.models import Client
from visits.models import Visit

VISIT_FIELDS = (
    "visited_on",
    "treatment_items",
    "practitioner",
    "efficacy",
    "satisfaction",
    "suggestions",
    "amount",
)


def refresh_client_visit_stats(client_ids) -> None:
    """Recompute visit_count, first/last visit and total spend for these clients from
    their visits, in two queries whatever their number (importers pass thousands)."""
    ids = list({int(pk) for pk in client_ids})
    if not ids:
        return
    figures = {
        row["client_id"]: row
        for row in Visit.objects.filter(client_id__in=ids)
        .values("client_id")
        .annotate(
            n=Count("id"), first=Min("visited_on"), last=Max("visited_on"), spent=Sum("amount")
        )
    }
    clients = list(Client.objects.filter(pk__in=ids).only("id", "opening_spend"))
    for client in clients:
        row = figures.get(client.pk)
        client.visit_count = row["n"] if row else 0
        client.first_visit_on = row["first"] if row else None
        client.last_visit_on = row["last"] if row else None
        client.total_spend = client.opening_spend + ((row and row["spent"]) or Decimal(0))
    Client.objects.bulk_update(
        clients, ["visit_count", "first_visit_on", "last_visit_on", "total_spend"], batch_size=2000
    )


def _apply(visit: Visit, values: dict) -> None:
    unknown = set(values) - set(VISIT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown visit fields: {sorted(unknown)}")
    for name, value in values.items():
        setattr(visit, name, value)


@transaction.atomic
def visit_create(*, client: Client, values: dict, created_by=None, origin: str = "manual") -> Visit:
    visit = Visit(client=client, created_by=created_by, origin=origin)
    _apply(visit, values)
    visit.full_clean()
    visit.save()
    refresh_client_visit_stats([client.pk])
    return visit


@transaction.atomic
def visit_update(*, visit: Visit, values: dict) -> Visit:
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    _apply(visit, values)
    visit.full_clean()
    visit.save()
    refresh_client_visit_stats([visit.client_id])
    return visit


@transaction.atomic
def visit_delete(*, visit: Visit) -> None:
    client_id = visit.client_id
    visit.delete()
    refresh_client_visit_stats([client_id])
