"""Demo businesses, one per vertical, each with an owner, a practitioner and a front-desk
login; and a platform operator for the console. Safe to run again: what exists is kept."""

import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from accounts.models import User
from accounts.services import operator_create, staff_create
from tenants.models import Domain
from tenants.services import tenant_domain_for, tenant_portal_url, tenant_signup
from verticals import registry

DEMO_PASSWORD = "Demo-2026-clinic"
OPERATOR_EMAIL = "operator@example.com"


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: hanzi and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def logins_table(rows: list[tuple[str, ...]]) -> str:
    header = ("business", "address", "login", "role")
    widths = [max(_width(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells) -> str:
        padded = (cell + " " * (w - _width(cell)) for cell, w in zip(cells, widths, strict=True))
        return "  " + "  ".join(padded).rstrip()

    rule = "  " + "  ".join("-" * w for w in widths)
    body = [line(row) for row in rows]
    return "\n".join(
        ["", f"Demo logins (password for all: {DEMO_PASSWORD})", line(header), rule, *body, ""]
    )


class Command(BaseCommand):
    help = "Seed the demo businesses and the platform operator (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins-file", help="write the table of demo logins to this file, not stdout"
        )

    def handle(self, *args, **options):
        rows: list[tuple[str, str, str, str]] = []
        if not User.objects.filter(email=OPERATOR_EMAIL).exists():
            operator_create(
                full_name="Platform Operator", email=OPERATOR_EMAIL, password=DEMO_PASSWORD
            )
        public_url = tenant_portal_url(settings.TENANT_BASE_DOMAIN, "/")
        rows.append(("Platform console", public_url + "console/", OPERATOR_EMAIL, "operator"))
        for vertical in registry.all_verticals():
            for demo in vertical.demo_businesses:
                domain_name = tenant_domain_for(demo.subdomain)
                domain = Domain.objects.select_related("tenant").filter(domain=domain_name).first()
                owner, *others = demo.staff
                email = lambda staff, d=demo: f"{staff.email_local}@{d.subdomain}.example.com"  # noqa: E731
                if domain is None:
                    self.stdout.write(f"creating demo business {demo.name} …")
                    result = tenant_signup(
                        business_name=demo.name,
                        business_type=demo.business_type,
                        subdomain=demo.subdomain,
                        owner_name=owner.full_name,
                        owner_email=email(owner),
                        owner_password=DEMO_PASSWORD,
                        language=demo.language,
                        time_zone=demo.time_zone,
                        currency=demo.currency,
                    )
                    with schema_context(result.tenant.schema_name):
                        for staff in others:
                            staff_create(
                                full_name=staff.full_name,
                                email=email(staff),
                                password=DEMO_PASSWORD,
                                roles=list(staff.roles),
                                language=demo.language,
                            )
                        self._demo_clients(demo)
                    tenant = result.tenant
                else:
                    tenant = domain.tenant
                with schema_context(tenant.schema_name):
                    self._demo_practitioners()
                    self._demo_tags_and_fields(demo)
                    self._demo_history(tenant, demo)
                    self._demo_appointments(tenant)
                    self._demo_money(tenant, demo)
                    self._demo_household(tenant)
                self._demo_vertical_records(tenant, vertical)
                self._demo_messages(tenant)
                url = tenant_portal_url(domain_name, "/")
                for staff in demo.staff:
                    rows.append((demo.name, url, email(staff), ", ".join(staff.roles)))
        table = logins_table(rows)
        if options["logins_file"]:
            # `make run` prints it once the web server and the worker have started, so
            # it is not lost above their start-up messages.
            Path(options["logins_file"]).write_text(table, encoding="utf-8")
        else:
            self.stdout.write(table)

    def _demo_practitioners(self) -> None:
        """The demo practitioners perform every service and work the business hours with
        a lunch break 12:00–13:00; one who already has working hours is left alone."""
        import datetime as dt

        from scheduling.models import Service
        from scheduling.setup import business_week, service_save, working_hours_set

        lunch_from, lunch_to = dt.time(12), dt.time(13)
        week = {}
        for day, ranges in business_week().items():
            split = []
            for a, b in ranges:
                if a < lunch_from and b > lunch_to:
                    split += [(a, lunch_from), (lunch_to, b)]
                else:
                    split.append((a, b))
            week[day] = split
        practitioners = [
            u for u in User.objects.filter(is_active=True) if "practitioner" in u.roles
        ]
        for person in practitioners:
            if person.working_hours.exists():
                continue
            working_hours_set(staff=person, hours=week)
            for service in Service.objects.filter(active=True).prefetch_related(
                "staff", "resources"
            ):
                staff = list(service.staff.all())
                if person not in staff:
                    service_save(
                        service=service,
                        values={},
                        staff=[*staff, person],
                        resources=list(service.resources.all()),
                    )

    def _demo_vertical_records(self, tenant, vertical) -> None:
        """The trade's own records (charts, exams, treatment records) for the demo
        business, written by its vertical's ``seed_demo_records`` with the business as the
        connection's tenant, once its clients (oldest first, in demo order), staff, visits
        and appointments exist. The vertical skips what it already wrote."""
        import zoneinfo

        from django.utils import timezone
        from django_tenants.utils import tenant_context

        from clients.models import Client

        if vertical.seed_demo_records is None:
            return
        zone = zoneinfo.ZoneInfo(tenant.time_zone)
        with tenant_context(tenant), timezone.override(zone):
            clients = list(Client.objects.order_by("id"))
            staff_by_email = {u.email: u for u in User.objects.filter(is_active=True)}
            today = timezone.localdate(timezone=zone)
            vertical.seed_demo_records(tenant, clients, staff_by_email, today)

    def _demo_appointments(self, tenant) -> None:
        """A week of appointments around today, a couple of recalls due and a waitlist
        entry (scheduling.demo); skipped once the business has any appointment. Run with
        the business itself as the connection's tenant (not only its schema), so hours
        and days are the business's own time zone's."""
        import zoneinfo

        from django.utils import timezone
        from django_tenants.utils import tenant_context

        from scheduling.demo import seed_week

        with tenant_context(tenant), timezone.override(zoneinfo.ZoneInfo(tenant.time_zone)):
            people = list(User.objects.filter(is_active=True).order_by("id"))
            practitioners = [u for u in people if "practitioner" in u.roles]
            front_desk = next((u for u in people if "front_desk" in u.roles), None)
            seed_week(practitioners=practitioners, front_desk=front_desk)

    def _demo_money(self, tenant, demo) -> None:
        """Bills, payments, cards, expenses and budgets (finance.demo), so the till's
        reports have something to show; skipped once the business has any."""
        import zoneinfo

        from django.utils import timezone
        from django_tenants.utils import tenant_context

        from finance.demo import seed_money

        with tenant_context(tenant), timezone.override(zoneinfo.ZoneInfo(tenant.time_zone)):
            seed_money(tenant, demo)

    def _demo_household(self, tenant) -> None:
        """Two family members in one household, the card holders where the till's demo
        made cards (clients.demo); skipped once the business has any household."""
        from django_tenants.utils import tenant_context

        from clients.demo import seed_household

        with tenant_context(tenant):
            seed_household()

    def _demo_messages(self, tenant) -> None:
        """A message history for the week's appointments (notifications.demo), written
        as rows and never sent; skipped once the business has any."""
        import zoneinfo

        from django.utils import timezone
        from django_tenants.utils import tenant_context

        from notifications.demo import seed_messages

        with tenant_context(tenant), timezone.override(zoneinfo.ZoneInfo(tenant.time_zone)):
            seed_messages()

    def _demo_history(self, tenant, demo) -> None:
        """Visits and contact-log entries for the first demo clients, some follow-ups due
        today or overdue (by the business's own date). Skipped once the business has any
        visit or contact, so a second run adds nothing."""
        import datetime as dt
        import zoneinfo

        from django.utils import timezone

        from clients.models import Client
        from contactlog.models import ContactEntry
        from contactlog.services import contact_create
        from visits.models import Visit
        from visits.services import visit_create

        if Visit.objects.exists() or ContactEntry.objects.exists():
            return
        clients = list(Client.objects.order_by("id")[:5])
        if not clients:
            return
        staff = list(User.objects.filter(is_active=True).order_by("id"))
        practitioner = next((u for u in staff if "practitioner" in u.roles), staff[0])
        front_desk = next((u for u in staff if "front_desk" in u.roles), staff[0])
        zone = zoneinfo.ZoneInfo(tenant.time_zone)
        now = timezone.localtime(timezone=zone)
        today = now.date()
        for visit in demo.visits:
            if visit.client < len(clients):
                visit_create(
                    client=clients[visit.client],
                    values={
                        "visited_on": today - dt.timedelta(days=visit.days_ago),
                        "treatment_items": list(visit.items),
                        "practitioner": practitioner,
                        "satisfaction": visit.satisfaction,
                        "efficacy": visit.efficacy,
                    },
                    created_by=practitioner,
                )
        for contact in demo.contacts:
            if contact.client < len(clients):
                clinical = contact.purpose in ("follow_up", "consultation")
                who = practitioner if clinical else front_desk
                follow_up = contact.follow_up_in_days
                contact_create(
                    client=clients[contact.client],
                    values={
                        "contacted_at": (now - dt.timedelta(days=contact.days_ago)).replace(
                            hour=10, minute=30, second=0, microsecond=0
                        ),
                        "staff": who,
                        "purpose": contact.purpose,
                        "channel": contact.channel,
                        "summary": contact.summary,
                        "outcome": contact.outcome,
                        "next_follow_up": (
                            today + dt.timedelta(days=follow_up) if follow_up is not None else None
                        ),
                    },
                    created_by=who,
                )

    def _demo_clients(self, demo) -> None:
        from datetime import date

        from clients.services import (
            ClientData,
            client_create,
            client_health_update,
            client_settings_update,
        )

        client_settings_update(phone_region=demo.phone_region)
        for demo_client in demo.clients:
            client = client_create(
                data=ClientData(
                    {
                        "name": demo_client.name,
                        "gender": demo_client.gender,
                        "mobile": demo_client.mobile,
                        "date_of_birth": date.fromisoformat(demo_client.born),
                        "source": "walk_in",
                    }
                ),
                created_by=None,
            )
            if demo_client.drug_allergy:
                client_health_update(
                    client=client,
                    values={"drug_allergies": demo_client.drug_allergy},
                    updated_by=None,
                )

    def _demo_tags_and_fields(self, demo) -> None:
        """The business's own tags, flags and custom sections (declared by its vertical),
        so the list's filters have something to show."""
        from clients.custom_fields import custom_field_save
        from clients.models import Client, CustomFieldSection, Tag
        from clients.services import ClientData, client_update, section_save, tag_save

        tags = {
            tag.name: Tag.objects.filter(name=tag.name).first()
            or tag_save(tag=None, values={"name": tag.name, "colour": tag.colour})
            for tag in demo.tags
        }
        for order, declared in enumerate(demo.sections, start=1):
            section = CustomFieldSection.objects.filter(name=declared.name).first() or (
                section_save(section=None, values={"name": declared.name, "order": order})
            )
            if not section.fields.exists():
                for field in declared.fields:
                    values = {"section": section, "label": field.label, "kind": field.kind}
                    if field.choices:
                        values["choices"] = list(field.choices)
                    custom_field_save(field=None, values=values)
        plan = {c.name: c for c in demo.clients if c.flags or c.tags}
        clients = Client.objects.filter(name__in=plan).prefetch_related("tags")
        for client in clients:
            declared = plan[client.name]
            flags = list(declared.flags)
            wanted = set(client.tags.all()) | {tags[t] for t in declared.tags}
            if client.flags != flags or wanted != set(client.tags.all()):
                # Through the service, so a second run changes (and audits) nothing.
                client_update(client=client, data=ClientData({"flags": flags, "tags": wanted}))
