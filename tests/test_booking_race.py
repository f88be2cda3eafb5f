"""Fifty bookings of one slot at once, over real connections: exactly one wins and the
others are told the time was taken, with other times to choose from."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

from django.db import connection, connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from scheduling.errors import SlotTaken
from tests import schedule

RACERS = 50


def test_fifty_concurrent_bookings_of_one_slot_leave_exactly_one(cast, django_db_blocker):
    from accounts.models import User
    from accounts.services import staff_create
    from clients.models import Client
    from scheduling.models import Appointment, AppointmentEvent, Recall
    from scheduling.services import appointment_book
    from tests.factories import ClientFactory

    tenant = cast.tenant_a
    with django_db_blocker.unblock():
        with tenant_context(tenant):
            racer = staff_create(
                full_name="Race Practitioner",
                email="race@alpha.test",
                password=cast.password,
                roles=["practitioner"],
            )
            schedule.working(racer, "00:00-23:59")
            service = schedule.service("Race facial", staff=[racer], minutes=60)
            clients = [ClientFactory(tenant=tenant) for _ in range(RACERS)]
            # A weekday morning two days or more ahead, inside the seeded business hours.
            zone = zoneinfo.ZoneInfo(tenant.time_zone)
            day = timezone.localtime(timezone=zone).date() + dt.timedelta(days=2)
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            starts = dt.datetime.combine(day, dt.time(10), tzinfo=zone)
        connection.set_schema_to_public()
        barrier = threading.Barrier(RACERS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def book(client) -> None:
            try:
                connection.set_tenant(tenant)
                barrier.wait(timeout=60)
                try:
                    appointment_book(
                        client=client, services=[service], staff=racer, starts_at=starts
                    )
                    result = "won"
                except SlotTaken as taken:
                    result = "taken" if taken.alternatives else "taken without alternatives"
                except Exception as error:  # noqa: BLE001 - reported by the assertion
                    result = f"{type(error).__name__}: {error}"
                with lock:
                    outcomes.append(result)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=book, args=(c,)) for c in clients]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            with tenant_context(tenant):
                held = Appointment.objects.filter(service=service).count()
            assert sorted(set(outcomes)) == ["taken", "won"], outcomes
            assert outcomes.count("won") == 1 and len(outcomes) == RACERS
            assert held == 1
        finally:
            with tenant_context(tenant):
                AppointmentEvent.objects.filter(appointment__service=service).delete()
                Recall.objects.filter(service=service).delete()
                Appointment.objects.filter(service=service).delete()
                service.delete()
                Client.objects.filter(pk__in=[c.pk for c in clients]).delete()
                User.objects.filter(pk=racer.pk).delete()
            connection.set_schema_to_public()
