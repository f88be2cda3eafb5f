from __future__ import annotations

from django.db.models import QuerySet

from clients.models import Client
from clients.search import filter_clients

SORTS = {"name": ("sort_key", "id"), "-created": ("-created_at", "-id"), "file": ("file_number",)}


def client_list(*, user, query: str = "", sort: str = "name") -> QuerySet[Client]:
    clients = Client.objects.select_related("preferred_staff")
    if user.can("clients.health"):
        clients = clients.select_related("health")
    clients = filter_clients(clients, query)
    return clients.order_by(*SORTS.get(sort, SORTS["name"]))


def client_get(*, pk: int, user) -> Client:
    related = ["preferred_staff", "referred_by", "created_by"]
    if user.can("clients.health"):
        related.append("health")
    return Client.objects.select_related(*related).get(pk=pk)
