"""The staff members' iCalendar feeds: what they carry (and what never), revoking and
renewing, who may manage whose link, and that a secret opens only its own business."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from scheduling.feeds import client_label, feed_create
from scheduling.models import CalendarFeed
from scheduling.services import appointment_book, appointment_cancel
from tests import schedule
from tests.conftest import staff_member
from tests.factories import ClientFactory

# Friday 20 November 2026, 10:00 in Shanghai; Monday 23 November is the day booked.
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
MONDAY_10 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture
def diary(cast, db):
    """The practitioner's feed with two appointments, one of them cancelled."""
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        schedule.open_business("08:00-20:00")
        schedule.working(doctor, "09:00-18:00")
        facial = schedule.service("Hydrafacial", staff=[doctor], minutes=60)
        client = ClientFactory(
            tenant=cast.tenant_a,
            name="Anna Lindqvist",
            mobile="13812345678",
            health={"has_drug_allergy": True, "drug_allergies": "Heart condition"},
        )
        (kept,) = appointment_book(
            client=client, services=[facial], staff=doctor, starts_at=MONDAY_10, note="Nervous"
        )
        (gone,) = appointment_book(
            client=client,
            services=[facial],
            staff=doctor,
            starts_at=MONDAY_10 + dt.timedelta(hours=2),
        )
        appointment_cancel(appointment=gone, by="client", reason="Sick")
        feed = feed_create(staff=doctor, actor=doctor)
    return feed, kept, gone


def _events(body: bytes):
    calendar = icalendar.Calendar.from_ical(body)
    return [c for c in calendar.walk() if c.name == "VEVENT"]


def test_the_feed_lists_the_appointments_with_service_and_first_name_only(cast, diary):
    feed, kept, gone = diary
    # when a calendar app reads the link, signed out
    response = Client(HTTP_HOST=cast.host_a).get(f"/appointments/feed/{feed.secret}.ics")
    # then it gets one event per holding appointment, in UTC, with a stable UID
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "no-store"
    (event,) = _events(response.content)
    assert str(event["summary"]) == "Hydrafacial · Anna L."
    assert event["dtstart"].dt == MONDAY_10
    assert event["dtend"].dt == MONDAY_10 + dt.timedelta(hours=1)
    assert str(event["uid"]).startswith(f"appointment-{kept.pk}@")
    again = Client(HTTP_HOST=cast.host_a).get(f"/appointments/feed/{feed.secret}.ics")
    assert str(_events(again.content)[0]["uid"]) == str(event["uid"])
    assert b"X-WR-TIMEZONE:Asia/Shanghai" in response.content


def test_the_feed_carries_no_health_data_no_notes_and_no_phone(cast, diary):
    feed, _kept, _gone = diary
    body = Client(HTTP_HOST=cast.host_a).get(f"/appointments/feed/{feed.secret}.ics").content
    text = body.decode()
    for secret in ("Heart condition", "Nervous", "Sick", "13812345678", "Lindqvist"):
        assert secret not in text


def test_a_chinese_name_becomes_the_family_name_and_marks():
    assert client_label("张三丰") == "张**"
    assert client_label("Anna Maria Li") == "Anna L."


def test_revoking_makes_the_old_link_404_and_a_new_link_works(cast, diary, practitioner_a):
    feed, _kept, _gone = diary
    old = f"/appointments/feed/{feed.secret}.ics"
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    # when the practitioner makes a new link
    assert practitioner_a.post(f"/appointments/feeds/{doctor.pk}/regenerate/").status_code == 302
    with tenant_context(cast.tenant_a):
        new = CalendarFeed.objects.get(staff=doctor).secret
    assert new != feed.secret
    assert Client(HTTP_HOST=cast.host_a).get(old).status_code == 404
    assert Client(HTTP_HOST=cast.host_a).get(f"/appointments/feed/{new}.ics").status_code == 200
    # when revoked
    assert practitioner_a.post(f"/appointments/feeds/{doctor.pk}/revoke/").status_code == 302
    assert Client(HTTP_HOST=cast.host_a).get(f"/appointments/feed/{new}.ics").status_code == 404
    with tenant_context(cast.tenant_a):
        assert not CalendarFeed.objects.filter(staff=doctor).exists()
        assert AuditEntry.objects.filter(object_type="calendar_feed").count() >= 3


def test_the_owner_may_revoke_anyones_link_the_front_desk_only_its_own(
    cast, diary, owner_a, front_desk_a
):
    feed, _kept, _gone = diary
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    # the front desk cannot touch the practitioner's link
    assert front_desk_a.post(f"/appointments/feeds/{doctor.pk}/revoke/").status_code == 404
    assert "feed-staff-" not in front_desk_a.get("/appointments/feeds/").content.decode()
    with tenant_context(cast.tenant_a):
        assert CalendarFeed.objects.filter(staff=doctor).exists()
    # the owner sees it on the page and revokes it
    assert f"feed-staff-{doctor.pk}" in owner_a.get("/appointments/feeds/").content.decode()
    assert owner_a.post(f"/appointments/feeds/{doctor.pk}/revoke/").status_code == 302
    assert (
        Client(HTTP_HOST=cast.host_a).get(f"/appointments/feed/{feed.secret}.ics").status_code
        == 404
    )


def test_a_staff_member_makes_their_own_link_and_sees_it(cast, front_desk_a):
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    assert front_desk_a.post(f"/appointments/feeds/{desk.pk}/create/").status_code == 302
    with tenant_context(cast.tenant_a):
        secret = CalendarFeed.objects.get(staff=desk).secret
    assert secret in front_desk_a.get("/appointments/feeds/").content.decode()


def test_tenant_b_host_cannot_read_tenant_a_feed_by_its_secret(cast, diary):
    feed, _kept, _gone = diary
    response = Client(HTTP_HOST=cast.host_b).get(f"/appointments/feed/{feed.secret}.ics")
    assert response.status_code == 404


def test_an_unknown_secret_is_404(cast, db):
    response = Client(HTTP_HOST=cast.host_a).get("/appointments/feed/not-a-secret.ics")
    assert response.status_code == 404


def test_the_owner_revokes_the_link_of_someone_who_has_left(cast, diary, owner_a):
    # given the practitioner's account is deactivated, their link still listed
    feed, _kept, _gone = diary
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        type(doctor).objects.filter(pk=doctor.pk).update(is_active=False)
    assert f"feed-staff-{doctor.pk}" in owner_a.get("/appointments/feeds/").content.decode()
    # when the owner revokes it, then it is gone; a new one cannot be made for them
    assert owner_a.post(f"/appointments/feeds/{doctor.pk}/revoke/").status_code == 302
    with tenant_context(cast.tenant_a):
        assert not CalendarFeed.objects.filter(pk=feed.pk).exists()
    assert owner_a.post(f"/appointments/feeds/{doctor.pk}/create/").status_code == 404
