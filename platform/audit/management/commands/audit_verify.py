"""``manage.py audit_verify [--schema S]``: recompute every tenant's audit chain and report
the first entry that does not match (edited, deleted or moved, or an entry before it
deleted), after sealing any entries still waiting. Exits with status 1 when any chain is
broken."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from audit.management.commands._schemas import add_schema_argument, tenant_schemas
from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of every tenant's audit trail."

    def add_arguments(self, parser):
        add_schema_argument(parser)

    def handle(self, *args, schema=None, **options):
        broken = []
        for name in tenant_schemas(schema):
            with schema_context(name):
                checked, bad_id, reason = verify_chain()
            if bad_id is None:
                self.stdout.write(f"{name}: OK ({checked} entries)")
            else:
                broken.append(name)
                self.stdout.write(
                    f"{name}: BROKEN at entry {bad_id} ({reason}); "
                    f"{checked} entries before it are intact"
                )
        if broken:
            raise CommandError(f"Audit chain broken in: {', '.join(broken)}", returncode=1)
