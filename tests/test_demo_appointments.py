"""The demo week (scheduling.demo through seed_demo): past days completed, cancelled and
no-show, today and the days ahead booked, a couple of recalls and a waitlist entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

# Wednesday 18 November 2026, 10:00 in Hong Kong: three open days either side.
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC))


def test_seed_demo_books_a_living_week_once(cast, db):
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from scheduling.availability import tenant_zone
    from scheduling.models import Appointment, Recall, Status, WaitlistEntry
    from tenants.models import Domain
    from visits.models import Visit

    # when the demo is seeded twice
    call_command("seed_demo", stdout=io.StringIO())
    smile = Domain.objects.get(domain="smile.localhost").tenant
    with tenant_context(smile):
        first = Appointment.objects.count()
    call_command("seed_demo", stdout=io.StringIO())
    with tenant_context(smile):
        # then the second run added nothing
        assert Appointment.objects.count() == first
        today = timezone.localtime(timezone.now(), tenant_zone()).date()
        zone = tenant_zone()
        by_day: dict = {}
        for row in Appointment.objects.all():
            day = timezone.localtime(row.starts_at, zone).date()
            by_day.setdefault(row.status, set()).add((day - today).days)
        # past days: completed (with their visits), cancelled with a reason, a no-show
        assert by_day[Status.COMPLETED] and max(by_day[Status.COMPLETED]) < 0
        reasons = set(
            Appointment.objects.filter(status=Status.CANCELLED).values_list(
                "cancel_reason", flat=True
            )
        )
        assert reasons and "" not in reasons
        # and in the business's own language (the dental demo works in English)
        assert not any("\u4e00" <= ch <= "\u9fff" for reason in reasons for ch in reason)
        assert Status.NO_SHOW in by_day
        assert (
            Visit.objects.filter(origin="appointment").count()
            == Appointment.objects.filter(status=Status.COMPLETED).count()
        )
        # the days ahead: booked, and requests from online
        assert max(by_day[Status.BOOKED]) > 0
        assert Appointment.objects.filter(status=Status.REQUESTED, channel="online").exists()
        assert (
            Recall.objects.filter(status="due", due_on__lte=today + dt.timedelta(days=30)).count()
            >= 2
        )
        assert WaitlistEntry.objects.filter(status="waiting").count() == 1
        # and the dentist performs every service, working 09:00–12:00 and 13:00–18:00
        # (one seeding checked here for both: seeding the demo takes half a minute)
        from accounts.models import User
        from scheduling import selectors, setup
        from scheduling.models import Service

        hours = dt.time.fromisoformat
        dentist = User.objects.get(email="dentist@smile.example.com")
        assert set(Service.objects.filter(active=True)) == set(dentist.services_performed.all())
        week = setup.staff_week(dentist)
        assert week[0] == [(hours("09:00"), hours("12:00")), (hours("13:00"), hours("18:00"))]
        assert week[6] == []
        assert dentist in selectors.bookable_staff()
