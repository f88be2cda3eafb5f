from datetime import date
from decimal import Decimal

from django_tenants.utils import tenant_context

from clients.models import Client
from clients.services import ClientData, client_create
from visits.services import visit_create, visit_delete, visit_update


def _client(tenant, name="王五", **values) -> Client:
    with tenant_context(tenant):
        return client_create(data=ClientData({"name": name, **values}), created_by=None)


def test_visits_keep_the_clients_first_and_last_visit_count_and_spend(cast, db):
    client = _client(cast.tenant_a)
    with tenant_context(cast.tenant_a):
        Client.objects.filter(pk=client.pk).update(opening_spend=Decimal("500"))
        first = visit_create(
            client=client,
            values={"visited_on": date(2026, 3, 1), "treatment_items": ["水光针"], "amount": 800},
        )
        later = visit_create(
            client=client, values={"visited_on": date(2026, 9, 9), "satisfaction": 5}
        )
        client.refresh_from_db()
        assert (client.visit_count, client.first_visit_on, client.last_visit_on) == (
            2,
            date(2026, 3, 1),
            date(2026, 9, 9),
        )
        assert client.total_spend == Decimal("1300")

        visit_update(visit=first, values={"amount": Decimal("100")})
        visit_delete(visit=later)
        client.refresh_from_db()
        assert (client.visit_count, client.last_visit_on, client.total_spend) == (
            1,
            date(2026, 3, 1),
            Decimal("600"),
        )
