from django.conf import settings
from django.core.management.base import BaseCommand

from tenants.services import public_tenant_ensure


class Command(BaseCommand):
    help = "Create the public site's tenant row and domains (idempotent)."

    def handle(self, *args, **options):
        tenant = public_tenant_ensure(domains=settings.PUBLIC_DOMAINS)
        self.stdout.write(f"public site on: {', '.join(d.domain for d in tenant.domains.all())}")
