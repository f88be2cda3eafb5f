"""``manage.py audit_seal [--schema S]``: chain every committed audit entry still waiting
for its seal (normally sealed right after its transaction commits)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from audit.management.commands._schemas import add_schema_argument, tenant_schemas
from audit.services import seal


class Command(BaseCommand):
    help = "Seal audit entries that are not yet in their tenant's chain."

    def add_arguments(self, parser):
        add_schema_argument(parser)

    def handle(self, *args, schema=None, **options):
        for name in tenant_schemas(schema):
            with schema_context(name):
                sealed = seal()
            self.stdout.write(f"{name}: {sealed} sealed")
