"""``manage.py audit_verify [--schema S]``: recompute every tenant's audit chain and report
the first entry that does not match (edited, or an entry before it deleted). Exits with
status 1 when any chain is broken."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_tenant_model, schema_context

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of every tenant's audit trail."

    def add_arguments(self, parser):
        parser.add_argument("--schema", help="Only this tenant schema.")

    def handle(self, *args, schema=None, **options):
        tenants = get_tenant_model().objects.exclude(schema_name="public")
        if schema:
            tenants = tenants.filter(schema_name=schema)
            if not tenants.exists():
                raise CommandError(f"No tenant schema {schema!r}.")
        broken = []
        for tenant in tenants.order_by("schema_name"):
            with schema_context(tenant.schema_name):
                checked, bad_id, reason = verify_chain()
            if bad_id is None:
                self.stdout.write(f"{tenant.schema_name}: OK ({checked} entries)")
            else:
                broken.append(tenant.schema_name)
                self.stdout.write(
                    f"{tenant.schema_name}: BROKEN at entry {bad_id} ({reason}); "
                    f"{checked} entries before it are intact"
                )
        if broken:
            raise CommandError(f"Audit chain broken in: {', '.join(broken)}", returncode=1)
