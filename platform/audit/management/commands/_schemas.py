"""The tenant schemas an audit command walks: every tenant's, or the one named."""

from __future__ import annotations

from django.core.management.base import CommandError
from django_tenants.utils import get_tenant_model


def add_schema_argument(parser) -> None:
    parser.add_argument("--schema", help="Only this tenant schema.")


def tenant_schemas(schema: str | None) -> list[str]:
    tenants = get_tenant_model().objects.exclude(schema_name="public")
    if schema:
        tenants = tenants.filter(schema_name=schema)
        if not tenants.exists():
            raise CommandError(f"No tenant schema {schema!r}.")
    return list(tenants.order_by("schema_name").values_list("schema_name", flat=True))
