"""The waitlist: adding a waiting client, taking them off, and showing the front desk who
fits when a time frees up (a cancellation or a move)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from scheduling.models import WaitlistEntry, WaitlistStatus
from scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from scheduling.waitlist import waitlist_add, waitlist_matches
from tests import schedule
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory

# Friday 20 November 2026, 10:00 in Shanghai; Monday 23 November is the day watched.
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
MONDAY = dt.date(2026, 11, 23)


def at(hour: int, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=dt.UTC)  # Shanghai


@pytest.fixture
def full_morning(cast, db):
    """The practitioner works 09:00–12:00 and that Monday morning is fully booked."""
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        schedule.open_business("08:00-20:00")
        schedule.working(doctor, "09:00-12:00")
        facial = schedule.service("面部护理", staff=[doctor], minutes=60)
        booked = [
            appointment_book(
                client=ClientFactory(tenant=cast.tenant_a),
                services=[facial],
                staff=doctor,
                starts_at=at(hour),
            )[0]
            for hour in (9, 10, 11)
        ]
        waiting = waitlist_add(
            client=ClientFactory(tenant=cast.tenant_a, name="等位客户"),
            service=facial,
            earliest=MONDAY - dt.timedelta(days=1),
            latest=MONDAY + dt.timedelta(days=2),
            time_of_day="morning",
        )
    return doctor, facial, booked, waiting


def test_a_cancellation_makes_the_waiting_client_appear_as_a_match(cast, full_morning):
    doctor, _facial, booked, waiting = full_morning
    with tenant_context(cast.tenant_a):
        # given a full morning, nobody fits
        assert waitlist_matches(MONDAY) == []
        # when the 10:00 appointment is cancelled
        appointment_cancel(appointment=booked[1], by="client", reason="Travelling")
        (match,) = waitlist_matches(MONDAY)
    # then the waiting client fits the freed 10:00
    assert match.entry.pk == waiting.pk
    assert match.first.starts_at == at(10)
    assert match.first.legs[0].staff_id == doctor.pk


def test_a_move_out_of_the_morning_frees_a_slot_for_a_morning_wish(cast, full_morning):
    _doctor, _facial, booked, waiting = full_morning
    with tenant_context(cast.tenant_a):
        schedule.working(_doctor, "09:00-12:00 13:00-18:00")
        appointment_reschedule(appointment=booked[0], starts_at=at(14), reason="Later suits")
        matches = waitlist_matches(MONDAY)
    assert [m.entry.pk for m in matches] == [waiting.pk]
    assert matches[0].first.starts_at == at(9)


def test_a_free_time_outside_the_wished_time_of_day_is_no_match(cast, full_morning):
    doctor, facial, booked, _waiting = full_morning
    with tenant_context(cast.tenant_a):
        schedule.working(doctor, "09:00-12:00 13:00-16:00")
        evening = waitlist_add(
            client=ClientFactory(tenant=cast.tenant_a),
            service=facial,
            earliest=MONDAY,
            latest=MONDAY,
            time_of_day="evening",
        )
        afternoon_free = waitlist_matches(MONDAY)
    # the afternoon is free: neither the morning nor the evening wish fits
    assert evening.pk not in [m.entry.pk for m in afternoon_free]
    assert afternoon_free == []


def test_the_tag_shows_the_matches_with_a_prefilled_booking_link(cast, full_morning):
    from accounts.models import User

    _doctor, facial, booked, waiting = full_morning
    with tenant_context(cast.tenant_a):
        appointment_cancel(appointment=booked[1], by="client", reason="Travelling")
        desk = User.objects.get(email=cast.front_desk_a)
        request = RequestFactory().get("/appointments/")
        request.user = desk
        html = Template("{% load scheduling_waitlist %}{% waitlist_matches day %}").render(
            Context({"day": MONDAY, "user": desk, "request": request})
        )
    assert "等位客户" in html and "面部护理" in html
    assert f"client={waiting.client_id}&amp;service={facial.pk}" in html
    assert "start=2026-11-23T10:00" in html


def test_adding_through_the_page_and_taking_off_are_audited(cast, front_desk_a, full_morning):
    _doctor, facial, _booked, _waiting = full_morning
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="新等位")
    # the client is found through the search and chosen
    found = front_desk_a.get("/appointments/waitlist/?q=新等位").content.decode()
    assert f"?client={client.pk}" in found
    response = front_desk_a.post(
        "/appointments/waitlist/",
        {
            "client": client.pk,
            "service": facial.pk,
            "staff": "",
            "earliest": "2026-11-23",
            "latest": "2026-11-30",
            "time_of_day": "afternoon",
            "note": "Prefers late",
        },
    )
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        entry = WaitlistEntry.objects.get(client=client)
    page = front_desk_a.get("/appointments/waitlist/").content.decode()
    assert f"wait-{entry.pk}" in page and "Prefers late" in page
    # when taken off as booked
    assert front_desk_a.post(f"/appointments/waitlist/{entry.pk}/booked/").status_code == 302
    with tenant_context(cast.tenant_a):
        entry.refresh_from_db()
        assert entry.status == WaitlistStatus.BOOKED and entry.closed_at is not None
        trail = AuditEntry.objects.filter(object_type="waitlist_entry", object_id=str(entry.pk))
        assert trail.count() == 2
    assert f"wait-{entry.pk}" not in front_desk_a.get("/appointments/waitlist/").content.decode()


def test_dates_out_of_order_are_refused_beside_the_field(cast, front_desk_a, full_morning):
    _doctor, facial, _booked, _waiting = full_morning
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
    response = front_desk_a.post(
        "/appointments/waitlist/",
        {
            "client": client.pk,
            "service": facial.pk,
            "earliest": "2026-11-30",
            "latest": "2026-11-23",
            "time_of_day": "",
        },
    )
    assert response.status_code == 400
    assert "The last day cannot be before the first." in response.content.decode()


def test_marketing_may_not_open_the_waitlist(cast, db):
    from accounts.services import staff_create

    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mark", email="mark@alpha.test", password="Mark-Mkt-2026", roles=["marketing"]
        )
    marketer = signed_in(cast.tenant_a, cast.host_a, "mark@alpha.test")
    assert marketer.get("/appointments/waitlist/").status_code == 403


def test_tenant_b_cannot_see_or_close_tenant_a_entries(cast, owner_b, full_morning, twins):
    _doctor, facial, _booked, _waiting = full_morning

    def make(tenant):
        with tenant_context(tenant):
            service = facial if tenant == cast.tenant_a else schedule.service("洁牙")
            return WaitlistEntry.objects.create(
                client=ClientFactory(tenant=tenant, name=f"双胞胎{tenant.schema_name}"),
                service=service,
                earliest=MONDAY,
                latest=MONDAY,
            )

    a, b = twins(WaitlistEntry, make)
    with tenant_context(cast.tenant_b):
        WaitlistEntry.objects.filter(pk=b.pk).update(status=WaitlistStatus.REMOVED)
    page = owner_b.get("/appointments/waitlist/").content.decode()
    assert f"双胞胎{cast.tenant_a.schema_name}" not in page
    assert owner_b.post(f"/appointments/waitlist/{a.pk}/remove/").status_code == 404
    with tenant_context(cast.tenant_a):
        assert WaitlistEntry.objects.get(pk=a.pk).status == WaitlistStatus.WAITING


def test_the_matches_take_few_queries_for_many_entries(
    cast, full_morning, django_assert_max_num_queries
):
    _doctor, facial, booked, _waiting = full_morning
    with tenant_context(cast.tenant_a):
        for _n in range(15):
            waitlist_add(
                client=ClientFactory(tenant=cast.tenant_a),
                service=facial,
                earliest=MONDAY,
                latest=MONDAY,
                time_of_day="morning",
            )
        appointment_cancel(appointment=booked[2], by="client", reason="Ill")
        with django_assert_max_num_queries(12):
            matches = waitlist_matches(MONDAY)
    assert len(matches) == 16


def test_the_front_desk_sees_no_health_data_on_the_waitlist(cast, front_desk_a, full_morning):
    _doctor, facial, _booked, _waiting = full_morning
    with tenant_context(cast.tenant_a):
        client = ClientFactory(
            tenant=cast.tenant_a,
            name="过敏等位",
            health={"has_drug_allergy": True, "drug_allergies": "Penicillin-ALLERGY"},
        )
        waitlist_add(client=client, service=facial, earliest=MONDAY, latest=MONDAY)
    page = front_desk_a.get("/appointments/waitlist/").content.decode()
    assert "过敏等位" in page and "Penicillin-ALLERGY" not in page


def test_the_waitlist_page_keeps_a_constant_number_of_queries(
    cast, front_desk_a, full_morning, django_assert_max_num_queries
):
    doctor, facial, _booked, _waiting = full_morning
    with tenant_context(cast.tenant_a):
        for _n in range(10):
            waitlist_add(
                client=ClientFactory(tenant=cast.tenant_a),
                service=facial,
                staff=doctor,
                earliest=MONDAY,
                latest=MONDAY,
            )
    with django_assert_max_num_queries(14):
        response = front_desk_a.get("/appointments/waitlist/")
    assert response.content.decode().count('id="wait-') == 11


def test_an_entry_closed_by_someone_else_a_moment_before_is_a_message_not_an_error(
    cast, front_desk_a, full_morning, monkeypatch
):
    # given another desk takes the entry off just before this one's click is handled
    _doctor, _facial, _booked, waiting = full_morning
    from scheduling import waitlist as waitlist_services

    real_close = waitlist_services.waitlist_close

    def closed_meanwhile(*, entry, status, actor):
        WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistStatus.REMOVED)
        return real_close(entry=entry, status=status, actor=actor)

    monkeypatch.setattr(waitlist_services, "waitlist_close", closed_meanwhile)
    # when this desk marks it booked
    response = front_desk_a.post(f"/appointments/waitlist/{waiting.pk}/booked/", follow=True)
    # then the page answers with the reason, and the other desk's choice stands
    assert response.status_code == 200
    assert any(m.level_tag == "error" for m in response.context["messages"])
    with tenant_context(cast.tenant_a):
        waiting.refresh_from_db()
        assert waiting.status == WaitlistStatus.REMOVED
