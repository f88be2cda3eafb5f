"""``manage.py audit_seal [--schema S]``: chain every committed audit entry still waiting
for its seal (normally sealed right after its transaction commits)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from audit.services import seal


class Command(BaseCommand):
    help = "Seal audit entries that are not yet in their tenant's chain."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="Only this tenant schema.")

    def handle(self, *args, schema=None, **options):
        tenants = get_tenant_model().objects.exclude(schema_name="public")
        if schema:
            tenants = tenants.filter(schema_name=schema)
            if not tenants.exists():
                raise CommandError(f"No tenant schema {schema!r}.")
        for tenant in tenants.order_by("schema_name"):
            with schema_context(tenant.schema_name):
                sealed = seal()
            self.stdout.write(f"{tenant.schema_name}: {sealed} sealed")
