"""Purge closed businesses whose retention period is over, from the command line: the
same service, rules and operator log as the console's purge (reason, typed address)."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tenants.models import Domain, Tenant, TenantStatus
from tenants.services import tenant_domain_for, tenant_purge


class Command(BaseCommand):
    help = (
        "List closed businesses whose data may be purged, or purge one: "
        "tenant_purge SUBDOMAIN --operator EMAIL --reason TEXT --confirm SUBDOMAIN"
    )

    def add_arguments(self, parser):
        parser.add_argument("subdomain", nargs="?", help="the business to purge")
        parser.add_argument("--operator", help="email of the operator doing it (a superuser)")
        parser.add_argument("--reason", default="", help="why; kept in the operator log")
        parser.add_argument("--confirm", default="", help="the subdomain again, to confirm")

    def handle(self, *args, subdomain=None, operator=None, reason="", confirm="", **options):
        if not subdomain:
            due = Tenant.objects.filter(
                status=TenantStatus.CLOSED, purge_after__lte=timezone.now()
            ).prefetch_related("domains")
            for tenant in due:
                domains = ", ".join(d.domain for d in tenant.domains.all())
                self.stdout.write(f"{domains}\t{tenant.name}\tclosed {tenant.closed_at:%Y-%m-%d}")
            return
        domain = Domain.objects.filter(domain=tenant_domain_for(subdomain)).first()
        if domain is None:
            raise CommandError(f"No business at {tenant_domain_for(subdomain)}.")
        user = (
            get_user_model()
            .objects.filter(
                email=(operator or "").strip().lower(), is_superuser=True, is_active=True
            )
            .first()
        )
        if user is None:
            raise CommandError("--operator must name an active platform operator.")
        try:
            tenant_purge(tenant=domain.tenant, operator=user, reason=reason, confirmation=confirm)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"purged {domain.domain}")
