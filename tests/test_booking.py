"""The booking rules (scheduling.availability and scheduling.services) on the database:
free time from hours, breaks, buffers, time off, holidays and resources; no double
booking; the status machine with its history; moving, cancelling and completing."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from scheduling import availability
from scheduling.errors import SlotTaken
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    BookingSettings,
    Holiday,
    Recall,
    Status,
    TimeOff,
)
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_reschedule,
    appointment_transition,
)
from tests import schedule
from tests.conftest import staff_member
from tests.factories import ClientFactory
from visits.models import VisitOrigin

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Friday 20 November 2026, 10:00 in Shanghai; Monday 23 November is the day booked.
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
MONDAY = dt.date(2026, 11, 23)


def at(hhmm: str, day: dt.date = MONDAY, zone=SHANGHAI) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=zone)


def times(options, zone=SHANGHAI) -> list[str]:
    return [o.starts_at.astimezone(zone).strftime("%H:%M") for o in options]


def monday_slots(services, staff=None, step=15, day=MONDAY, zone=SHANGHAI) -> list[str]:
    request = availability.build_request(services, staff.pk if staff else None)
    found = availability.options(
        request=request,
        start=at("00:00", day, zone),
        end=at("00:00", day + dt.timedelta(days=1), zone),
        step=step,
    )
    return times(found, zone)


@pytest.fixture
def doctor(cast, db):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        schedule.open_business("08:00-20:00")
        schedule.working(doctor, "09:00-12:00 13:00-18:00")
    return doctor


def test_free_starts_keep_to_working_hours_and_leave_out_the_break(cast, doctor):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor], minutes=60)
        slots = monday_slots([facial], doctor, step=30)
    assert slots == ["09:00", "09:30", "10:00", "10:30", "11:00"] + [
        "13:00",
        "13:30",
        "14:00",
        "14:30",
        "15:00",
        "15:30",
        "16:00",
        "16:30",
        "17:00",
    ]


def test_buffers_keep_the_next_appointment_apart(cast, doctor):
    with tenant_context(cast.tenant_a):
        # given a 10:00–11:00 appointment that needs 15 minutes to tidy up after it
        laser = schedule.service("光子嫩肤", staff=[doctor], minutes=60, after=15)
        appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[laser],
            staff=doctor,
            starts_at=at("10:00"),
        )
        # and a service that needs ten minutes of preparation before it
        injection = schedule.service("水光针", staff=[doctor], minutes=30, before=10)
        slots = monday_slots([injection], doctor)
    # then the injection may end as the laser starts, and not start before 11:25 (its
    # preparation may not overlap the laser's tidying up): 11:30 on the quarter hours
    assert "09:30" in slots and "09:45" not in slots
    assert "11:15" not in slots and "11:30" in slots
    # the buffer may reach past the end of the day, the service itself may not
    assert slots[-1] == "17:30"


def test_time_off_holidays_and_business_hours_close_the_time(cast, doctor):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor], minutes=60)
        TimeOff.objects.create(staff=doctor, starts_at=at("14:00"), ends_at=at("16:00"))
        schedule.open_business("10:00-17:00")
        slots = monday_slots([facial], doctor, step=60)
        Holiday.objects.create(day=MONDAY, name="Closed")
        closed = monday_slots([facial], doctor, step=60)
    assert slots == ["10:00", "11:00", "13:00", "16:00"]
    assert closed == []


def test_services_in_sequence_follow_one_another(cast, doctor):
    with tenant_context(cast.tenant_a):
        cleanse = schedule.service("面部清洁", staff=[doctor], minutes=30, after=10)
        mask = schedule.service("面膜", staff=[doctor], minutes=30)
        client = ClientFactory(tenant=cast.tenant_a)
        first, second = appointment_book(
            client=client, services=[cleanse, mask], staff=doctor, starts_at=at("09:00")
        )
        # the same person does both: the second waits for the first one's buffer
        assert (first.starts_at, first.ends_at) == (at("09:00"), at("09:30"))
        assert (second.starts_at, second.ends_at) == (at("09:40"), at("10:10"))
        assert first.group == second.group == first.pk
        # a sequence whose second part would run into the break is not offered at 11:00
        slots = monday_slots([cleanse, mask], doctor, step=30)
        assert "10:30" in slots and "11:00" not in slots


def test_the_daylight_saving_day_is_as_long_as_it_really_is(cast, db):
    london = zoneinfo.ZoneInfo("Europe/London")
    owner = staff_member(cast.tenant_b, cast.owner_b)
    with tenant_context(cast.tenant_b):
        schedule.open_business("00:00-23:59")
        schedule.working(owner, "00:00-04:00 09:00-17:00")
        cleaning = schedule.service("Scale and polish", staff=[owner], minutes=60)
        # Sunday 28 March 2027: clocks go from 01:00 to 02:00
        change = dt.date(2027, 3, 28)
        with_change = monday_slots([cleaning], owner, step=60, day=change, zone=london)
        day_before = monday_slots(
            [cleaning], owner, step=60, day=change - dt.timedelta(days=1), zone=london
        )
    # 00:00–04:00 on the change day holds three real hours: 00:00, (02:00 is 01:00+1h) …
    assert with_change[:3] == ["00:00", "02:00", "03:00"]
    assert day_before[:4] == ["00:00", "01:00", "02:00", "03:00"]
    # 09:00 is 08:00 UTC in summer time and 09:00 UTC the day before
    assert at("09:00", change, london).astimezone(dt.UTC).hour == 8
    assert "09:00" in with_change and "16:00" in with_change and "17:00" not in with_change


@pytest.mark.clock(dt.datetime(2027, 3, 20, 12, 0, tzinfo=dt.UTC))
def test_a_booking_on_the_change_day_is_stored_in_utc(cast, db):
    london = zoneinfo.ZoneInfo("Europe/London")
    owner = staff_member(cast.tenant_b, cast.owner_b)
    with tenant_context(cast.tenant_b):
        schedule.open_business("08:00-18:00")
        schedule.working(owner, "09:00-17:00")
        cleaning = schedule.service("Scale and polish", staff=[owner], minutes=45)
        (made,) = appointment_book(
            client=ClientFactory(tenant=cast.tenant_b),
            services=[cleaning],
            staff=owner,
            starts_at=at("09:00", dt.date(2027, 3, 28), london),
        )
        made.refresh_from_db()
    assert made.starts_at == dt.datetime(2027, 3, 28, 8, 0, tzinfo=dt.UTC)
    assert made.ends_at == dt.datetime(2027, 3, 28, 8, 45, tzinfo=dt.UTC)


def test_second_booking_of_the_same_staff_member_is_refused_with_nearby_times(cast, doctor):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor], minutes=60)
        appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[facial],
            staff=doctor,
            starts_at=at("10:00"),
        )
        with pytest.raises(SlotTaken) as refused:
            appointment_book(
                client=ClientFactory(tenant=cast.tenant_a),
                services=[facial],
                staff=doctor,
                starts_at=at("10:30"),
            )
        assert Appointment.objects.filter(staff=doctor).count() == 1
    assert times(refused.value.alternatives) == ["09:00", "11:00", "13:00"]
    assert refused.value.code == "not_available"


def test_the_database_refuses_an_overlap_that_skips_the_checks(cast, doctor):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor], minutes=60, after=15)
        (first,) = appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[facial],
            staff=doctor,
            starts_at=at("10:00"),
        )
        copy = Appointment(
            client=first.client,
            service=facial,
            staff=doctor,
            starts_at=at("11:05"),
            ends_at=at("11:30"),
            blocked_from=at("11:05"),
            blocked_until=at("11:30"),
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            copy.save()  # 11:05 is inside the first one's buffer (until 11:15)


def test_two_staff_members_cannot_hold_the_same_room_at_once(cast, doctor):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        schedule.working(owner)
        room = schedule.resource("激光室")
        laser = schedule.service("光子嫩肤", staff=[doctor, owner], minutes=60, resources=[room])
        appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[laser],
            staff=doctor,
            starts_at=at("10:00"),
        )
        with pytest.raises(SlotTaken):
            appointment_book(
                client=ClientFactory(tenant=cast.tenant_a),
                services=[laser],
                staff=owner,
                starts_at=at("10:00"),
            )
        # with a second room the owner can take the same hour
        laser.resources.add(schedule.resource("激光室二"))
        (second,) = appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[laser],
            staff=owner,
            starts_at=at("10:00"),
        )
        assert second.resource.name == "激光室二"


def test_anyone_picks_a_free_performer(cast, doctor):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        schedule.working(owner)
        facial = schedule.service("面部清洁", staff=[doctor, owner], minutes=60)
        made = [
            appointment_book(
                client=ClientFactory(tenant=cast.tenant_a),
                services=[facial],
                starts_at=at("10:00"),
            )[0]
            for _ in range(2)
        ]
        assert {a.staff_id for a in made} == {doctor.pk, owner.pk}
        with pytest.raises(SlotTaken):
            appointment_book(
                client=ClientFactory(tenant=cast.tenant_a),
                services=[facial],
                starts_at=at("10:00"),
            )


def test_a_staff_member_who_does_not_perform_the_service_is_refused(cast, doctor):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor])
        with pytest.raises(ValidationError) as refused:
            appointment_book(
                client=ClientFactory(tenant=cast.tenant_a),
                services=[facial],
                staff=owner,
                starts_at=at("10:00"),
            )
    assert refused.value.error_dict["staff"][0].code == "not_performer"


def test_the_status_machine_refuses_illegal_changes_and_keeps_its_history(cast, doctor):
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor])
        (booking,) = appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[facial],
            staff=doctor,
            starts_at=at("10:00"),
            actor=desk,
        )
        with pytest.raises(ValidationError) as refused:
            appointment_transition(appointment=booking, to=Status.IN_SERVICE, actor=desk)
        assert refused.value.code == "transition"
        appointment_transition(appointment=booking, to=Status.CONFIRMED, actor=desk)
        appointment_transition(appointment=booking, to=Status.ARRIVED, actor=desk)
        appointment_transition(appointment=booking, to=Status.IN_SERVICE, actor=doctor)
        appointment_complete(appointment=booking, actor=doctor)
        with pytest.raises(ValidationError):
            appointment_cancel(appointment=booking, by="client", reason="too late", actor=desk)
        booking.refresh_from_db()
        history = [
            (e.from_status, e.to_status, e.actor_id)
            for e in AppointmentEvent.objects.filter(appointment=booking)
        ]
        trail = AuditEntry.objects.filter(object_type="appointment", object_id=booking.pk)
        assert booking.status == Status.COMPLETED
        assert history == [
            ("", "booked", desk.pk),
            ("booked", "confirmed", desk.pk),
            ("confirmed", "arrived", desk.pk),
            ("arrived", "in_service", doctor.pk),
            ("in_service", "completed", doctor.pk),
        ]
        assert trail.count() == 5
        assert trail.filter(actor_id=doctor.pk).count() == 2


def test_moving_keeps_the_old_time_and_the_reason(cast, doctor):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor])
        client = ClientFactory(tenant=cast.tenant_a)
        (booking,) = appointment_book(
            client=client, services=[facial], staff=doctor, starts_at=at("10:00")
        )
        appointment_transition(appointment=booking, to=Status.CONFIRMED)
        # moving by half an hour overlaps its own old time, which it gives up
        moved = appointment_reschedule(
            appointment=booking, starts_at=at("10:30"), reason="客户要求改时间"
        )
        booking.refresh_from_db()
        assert booking.status == Status.RESCHEDULED and booking.rescheduled_to == moved
        assert booking.cancel_reason == "客户要求改时间"
        assert (moved.starts_at, moved.status) == (at("10:30"), Status.CONFIRMED)
        event = AppointmentEvent.objects.get(appointment=booking, to_status="rescheduled")
        assert (event.old_starts_at, event.new_starts_at) == (at("10:00"), at("10:30"))


def test_a_move_onto_a_taken_time_leaves_the_appointment_where_it_was(cast, doctor):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor])
        (booking,) = appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[facial],
            staff=doctor,
            starts_at=at("10:00"),
        )
        appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[facial],
            staff=doctor,
            starts_at=at("14:00"),
        )
        with pytest.raises(SlotTaken) as refused:
            appointment_reschedule(appointment=booking, starts_at=at("14:30"), reason="x")
        booking.refresh_from_db()
    assert (booking.status, booking.starts_at) == (Status.BOOKED, at("10:00"))
    assert refused.value.alternatives


def test_a_cancellation_records_who_why_and_how_late(cast, doctor):
    with tenant_context(cast.tenant_a):
        BookingSettings.objects.update_or_create(singleton=True, defaults={"late_cancel_hours": 24})
        facial = schedule.service("面部清洁", staff=[doctor])
        early, late = (
            appointment_book(
                client=ClientFactory(tenant=cast.tenant_a),
                services=[facial],
                staff=doctor,
                starts_at=start,
            )[0]
            for start in (at("10:00"), at("11:00", dt.date(2026, 11, 20)))
        )
        with pytest.raises(ValidationError):
            appointment_cancel(appointment=early, by="client", reason="  ")
        appointment_cancel(appointment=early, by="client", reason="出差")
        appointment_cancel(appointment=late, by="business", reason="医生病假")
        early.refresh_from_db()
        late.refresh_from_db()
        # the freed time can be booked again
        appointment_book(
            client=ClientFactory(tenant=cast.tenant_a),
            services=[facial],
            staff=doctor,
            starts_at=at("10:00"),
        )
    assert (early.cancelled_by, early.cancel_reason, early.cancelled_late) == (
        "client",
        "出差",
        False,
    )
    assert (late.cancelled_by, late.cancelled_late) == ("business", True)


def test_completing_writes_the_visit_and_sets_the_recall(cast, doctor):
    with tenant_context(cast.tenant_a):
        injection = schedule.service("水光针", staff=[doctor], minutes=45, recall_days=28)
        client = ClientFactory(tenant=cast.tenant_a)
        (booking,) = appointment_book(
            client=client,
            services=[injection],
            staff=doctor,
            starts_at=at("11:00", dt.date(2026, 11, 20)),
        )
        appointment_transition(appointment=booking, to=Status.ARRIVED)
        visit = appointment_complete(appointment=booking, actor=doctor)
        booking.refresh_from_db()
        client.refresh_from_db()
        recall = Recall.objects.get(client=client)
        # booking the recalled service marks the recall booked
        (next_one,) = appointment_book(
            client=client, services=[injection], staff=doctor, starts_at=at("10:00")
        )
        recall.refresh_from_db()
        assert booking.visit == visit and visit.origin == VisitOrigin.APPOINTMENT
    assert (visit.visited_on, visit.treatment_items, visit.practitioner_id, visit.amount) == (
        dt.date(2026, 11, 20),
        ["水光针"],
        doctor.pk,
        None,  # what it cost is on its bill, in the till
    )
    assert client.visit_count == 1
    assert recall.due_on == dt.date(2026, 12, 18)
    assert (recall.status, recall.booked_id) == ("booked", next_one.pk)


def test_tenant_bs_bookings_never_block_tenant_as_staff(cast, doctor):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor])
    owner_b = staff_member(cast.tenant_b, cast.owner_b)
    with tenant_context(cast.tenant_b):
        schedule.working(owner_b)
        cleaning = schedule.service("Scale and polish", staff=[owner_b])
        appointment_book(
            client=ClientFactory(tenant=cast.tenant_b),
            services=[cleaning],
            staff=owner_b,
            starts_at=at("10:00", zone=zoneinfo.ZoneInfo("Europe/London")),
        )
        assert Appointment.objects.count() == 1
    with tenant_context(cast.tenant_a):
        assert "10:00" in monday_slots([facial], doctor)
        assert not Appointment.objects.exists()


def test_a_past_start_is_refused_unless_recorded_after_the_fact(cast, doctor):
    # given: Thursday 19 November, yesterday in Shanghai, inside the doctor's hours
    yesterday = at("10:00", dt.date(2026, 11, 19))
    with tenant_context(cast.tenant_a):
        facial = schedule.service("面部清洁", staff=[doctor], minutes=60)
        client = ClientFactory(tenant=cast.tenant_a)
        # when: booked as usual, it is refused beside the time
        with pytest.raises(ValidationError) as refused:
            appointment_book(client=client, services=[facial], staff=doctor, starts_at=yesterday)
        assert refused.value.error_dict["starts_at"][0].code == "in_past"
        # when: recorded after the fact, the same overlap rules still hold
        (made,) = appointment_book(
            client=client, services=[facial], staff=doctor, starts_at=yesterday, allow_past=True
        )
        with pytest.raises(SlotTaken):
            appointment_book(
                client=client,
                services=[facial],
                staff=doctor,
                starts_at=yesterday + dt.timedelta(minutes=30),
                allow_past=True,
            )
    # then
    assert made.starts_at == yesterday
