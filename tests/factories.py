"""Factories for the suite's rows (factory_boy). They write through the services, as the
product does, so derived columns, visit figures and audit entries are what a real write
leaves behind.

Every factory takes an optional ``tenant``: the row is made in that tenant's schema (sub-
factories too), and the schema in use before is restored afterwards. Without it the row
goes to the schema already in use.

``twins`` makes one row in each of two tenants with the same primary key, for cross-tenant
tests that must show each tenant reaching its own row through the shared id."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable

import factory
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context


def _in(tenant):
    return tenant_context(tenant) if tenant is not None else contextlib.nullcontext()


class _TenantFactory(factory.Factory):
    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        with _in(params.pop("tenant", None)):
            return super()._generate(strategy, params)


def _first_staff():
    from accounts.models import User

    return User.objects.filter(is_active=True).order_by("pk").first()


class ClientFactory(_TenantFactory):
    """``ClientFactory(tenant=cast.tenant_a, name="张三", mobile="13812345678")``: any
    client field by name; ``health={...}`` for a health record made with it."""

    class Meta:
        model = "clients.Client"

    name = factory.Sequence(lambda n: f"客户{n}")

    @classmethod
    def _create(cls, model_class, *, created_by=None, health=None, **values):
        from clients.services import ClientData, client_create

        return client_create(data=ClientData(values), created_by=created_by, health=health)


class VisitFactory(_TenantFactory):
    """A visit of ``client`` (a new client when none is given), yesterday unless dated."""

    class Meta:
        model = "visits.Visit"

    client = factory.SubFactory(ClientFactory)
    visited_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))

    @classmethod
    def _create(cls, model_class, *, client, created_by=None, **values):
        from visits.services import visit_create

        return visit_create(client=client, values=values, created_by=created_by)


class ContactEntryFactory(_TenantFactory):
    """A contact-log entry an hour ago, by the tenant's first staff member unless ``staff``
    is given; ``next_follow_up=date`` makes it a follow-up."""

    class Meta:
        model = "contactlog.ContactEntry"

    client = factory.SubFactory(ClientFactory)
    staff = factory.LazyFunction(_first_staff)
    contacted_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    purpose = "follow_up"
    channel = "phone"
    summary = "术后回访"

    @classmethod
    def _create(cls, model_class, *, client, created_by=None, **values):
        from contactlog.services import contact_create

        return contact_create(
            client=client, values=values, created_by=created_by or values["staff"]
        )


def _next_id(model) -> int:
    """The id the next row of ``model`` gets in the current schema (sequences are not
    rolled back with a test's transaction, so this is read, not assumed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        sequence = cursor.fetchone()[0]
        cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
        last, called = cursor.fetchone()
    return last + 1 if called else last


def _start_at(model, next_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
            [model._meta.db_table, next_id],
        )


def twins(tenant_a, tenant_b, model, make: Callable):
    """One row of ``model`` in each tenant with the same primary key: ``make(tenant)`` is
    called in each tenant's schema and returns the new row. Both sequences move forward to
    the larger of the two next ids first, so no committed row is ever shadowed."""
    nexts = []
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            nexts.append(_next_id(model))
    rows = []
    for tenant in (tenant_a, tenant_b):
        with tenant_context(tenant):
            _start_at(model, max(nexts))
            rows.append(make(tenant))
    a, b = rows
    if a.pk != b.pk:
        raise AssertionError(f"{model.__name__} twins got ids {a.pk} and {b.pk}")
    return a, b
