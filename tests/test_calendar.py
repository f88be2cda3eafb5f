"""The staff calendar under /appointments/: day, week and agenda views, today's arrivals,
booking by phone, moving by drag (with a confirmation), the appointment page's status
actions, who may see what (no health data for the front desk) and tenant isolation."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django_tenants.utils import tenant_context

from accounts.services import staff_create
from scheduling.models import Appointment, AppointmentEvent, Status
from scheduling.services import appointment_book
from tests import schedule
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Monday 23 November 2026, 09:00 in Shanghai (tenant A's zone).
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))
MONDAY = dt.date(2026, 11, 23)
ALLERGY = "Penicillin anaphylaxis"


def at(hhmm: str, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=SHANGHAI)


class Clinic:
    """Tenant A set up for booking: the practitioner and the owner both perform a facial
    and a massage, Monday to Sunday 09:00–12:00 and 13:00–18:00."""

    def __init__(self, cast):
        self.cast = cast
        self.doctor = staff_member(cast.tenant_a, cast.practitioner_a)
        self.owner = staff_member(cast.tenant_a, cast.owner_a)
        with tenant_context(cast.tenant_a):
            schedule.open_business("08:00-20:00")
            for person in (self.doctor, self.owner):
                schedule.working(person, "09:00-12:00 13:00-18:00")
            self.facial = schedule.service("Hydra facial", staff=[self.doctor, self.owner])
            self.massage = schedule.service(
                "Neck massage", staff=[self.doctor, self.owner], minutes=30
            )
            self.client = ClientFactory(
                tenant=cast.tenant_a,
                name="Wendy Wang",
                mobile="+8613812345678",
                health={"has_drug_allergy": True, "drug_allergies": ALLERGY},
            )

    def book(self, hhmm: str, staff=None, service=None, client=None, day=MONDAY):
        with tenant_context(self.cast.tenant_a):
            (made,) = appointment_book(
                client=client or self.client,
                services=[service or self.facial],
                starts_at=at(hhmm, day),
                staff=staff or self.doctor,
            )
        return made


@pytest.fixture
def clinic(cast, db) -> Clinic:
    return Clinic(cast)


def columns(html: str) -> dict[str, str]:
    """The day grid's columns by their staff id: the HTML of each."""
    parts = re.split(r'<div class="cal-col[^"]*" data-staff="', html)[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def test_the_day_view_puts_each_appointment_in_its_staff_column_at_local_time(clinic, front_desk_a):
    # given a 10:00 facial with the practitioner and a 14:00 massage with the owner
    clinic.book("10:00", staff=clinic.doctor)
    other = ClientFactory(tenant=clinic.cast.tenant_a, name="Li Lei")
    clinic.book("14:00", staff=clinic.owner, service=clinic.massage, client=other)
    # when the front desk opens the day
    page = front_desk_a.get("/appointments/", {"day": "2026-11-23"})
    # then each column holds its own appointment, in Shanghai time
    assert page.status_code == 200
    cols = columns(page.content.decode())
    doctor_col, owner_col = cols[str(clinic.doctor.pk)], cols[str(clinic.owner.pk)]
    assert "Wendy Wang" in doctor_col and "10:00–11:00" in doctor_col
    assert "Li Lei" not in doctor_col
    assert "Li Lei" in owner_col and "14:00–14:30" in owner_col and "Neck massage" in owner_col
    # the grid starts at 08:00 (business hours): 10:00 is row 9; an hour spans four rows
    assert re.search(r"cal-appt cal-r9 cal-s4 lane-0-1 svc-\w+ st-booked", doctor_col)
    # time off work is shaded, the working time links to the booking form with the slot
    assert 'class="cal-slot cal-r1 off hour"' in doctor_col
    assert f"staff={clinic.doctor.pk}&amp;start=2026-11-23T09:00" in doctor_col


def test_the_room_view_has_a_column_per_room(clinic, owner_a):
    with tenant_context(clinic.cast.tenant_a):
        room = schedule.resource("Room 1")
        clinic.facial.resources.set([room])
    clinic.book("11:00")
    page = owner_a.get("/appointments/", {"day": "2026-11-23", "by": "room"})
    html = page.content.decode()
    assert page.status_code == 200 and "Room 1" in html
    assert "Wendy Wang" in html and "11:00–12:00" in html


def test_the_week_view_and_the_agenda_list_the_week(clinic, front_desk_a):
    # given appointments on Monday and on Wednesday, one of them cancelled later
    clinic.book("10:00")
    wednesday = MONDAY + dt.timedelta(days=2)
    later = clinic.book("15:00", staff=clinic.owner, day=wednesday)
    with tenant_context(clinic.cast.tenant_a):
        from scheduling.services import appointment_cancel

        appointment_cancel(appointment=later, by="client", reason="Flu")
    # when the week is opened for the practitioner
    week = front_desk_a.get(
        "/appointments/", {"view": "week", "day": "2026-11-25", "staff": clinic.doctor.pk}
    ).content.decode()
    # then Monday's appointment is in Monday's column
    assert "Mon 23 Nov" in week and "Sun 29 Nov" in week
    monday_col = re.split(r'<div class="cal-col[ "]', week)[1]
    assert "Wendy Wang" in monday_col and "10:00–11:00" in monday_col
    # and the agenda lists both days, the cancelled one with its status
    agenda = front_desk_a.get("/appointments/", {"view": "agenda", "day": "2026-11-23"})
    text = agenda.content.decode()
    assert "10:00–11:00" in text and "15:00–16:00" in text and "Cancelled" in text


def test_prev_next_and_today_navigate_by_the_view(clinic, front_desk_a):
    html = front_desk_a.get("/appointments/", {"day": "2026-11-23", "view": "week"}).content
    html = html.decode()
    assert "day=2026-11-16&amp;view=week" in html and "day=2026-11-30&amp;view=week" in html
    # an unreadable date falls back to today rather than failing
    for bad in ("not-a-day", "2026-02-30", "9999-12-31"):
        assert front_desk_a.get("/appointments/", {"day": bad}).status_code == 200
    assert front_desk_a.get("/appointments/new/", {"start": "2026-13-01T10:00"}).status_code == 200


@pytest.mark.parametrize("count", [2, 40])
def test_the_day_view_reads_a_fixed_number_of_queries(
    clinic, front_desk_a, django_assert_max_num_queries, count
):
    # given more staff and appointments
    with tenant_context(clinic.cast.tenant_a):
        helpers = []
        for n in range(count // 4):
            person = staff_create(
                full_name=f"Helper {n}",
                email=f"helper{n}@alpha.test",
                password="Helper-2026-pass",
                roles=["practitioner"],
            )
            schedule.working(person, "09:00-18:00")
            helpers.append(person)
        clinic.facial.staff.add(*helpers)
        client = ClientFactory(tenant=clinic.cast.tenant_a)
        people = [clinic.doctor, clinic.owner, *helpers]
        for n in range(count):
            person = people[n % len(people)]
            slot = n // len(people)
            appointment_book(
                client=client,
                services=[clinic.facial],
                staff=person,
                starts_at=at("09:00") + dt.timedelta(hours=slot),
                respect_hours=False,
            )
    # then the day view's query count does not grow with them
    with django_assert_max_num_queries(14):
        page = front_desk_a.get("/appointments/", {"day": "2026-11-23"})
    assert page.status_code == 200


def _booking(clinic, **changes) -> dict:
    data = {
        "client": clinic.client.pk,
        "service_1": clinic.facial.pk,
        "service_2": "",
        "service_3": "",
        "staff": clinic.doctor.pk,
        "day": "2026-11-23",
        "time": "10:00",
        "channel": "phone",
        "note": "",
        "action": "book",
    }
    data.update(changes)
    return data


def test_a_click_on_a_free_slot_opens_the_form_with_staff_and_time(clinic, front_desk_a):
    page = front_desk_a.get(
        "/appointments/new/", {"staff": clinic.owner.pk, "start": "2026-11-23T14:30"}
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="2026-11-23"' in html and 'value="14:30"' in html
    assert f'<option value="{clinic.owner.pk}" selected>' in html


def test_the_booking_form_books_services_in_sequence(clinic, front_desk_a):
    # when two services are booked with the practitioner at 10:00
    answer = front_desk_a.post(
        "/appointments/new/", _booking(clinic, service_2=clinic.massage.pk, channel="walk_in")
    )
    # then both are booked one after the other, and the calendar of the day is shown
    assert answer.status_code == 302 and "day=2026-11-23" in answer["Location"]
    with tenant_context(clinic.cast.tenant_a):
        made = list(Appointment.objects.order_by("starts_at"))
    assert [a.service_id for a in made] == [clinic.facial.pk, clinic.massage.pk]
    assert [a.starts_at.astimezone(SHANGHAI).strftime("%H:%M") for a in made] == ["10:00", "11:00"]
    assert made[0].group == made[1].group and made[0].channel == "walk_in"


def test_booking_anyone_picks_a_free_performer(clinic, front_desk_a):
    clinic.book("10:00", staff=clinic.doctor)
    answer = front_desk_a.post("/appointments/new/", _booking(clinic, staff=""))
    assert answer.status_code == 302
    with tenant_context(clinic.cast.tenant_a):
        newest = Appointment.objects.latest("id")
    assert newest.staff_id == clinic.owner.pk


def test_a_taken_time_is_refused_next_to_the_time_with_the_nearest_free_ones(clinic, front_desk_a):
    clinic.book("10:00")
    answer = front_desk_a.post("/appointments/new/", _booking(clinic, time="10:30"))
    html = answer.content.decode()
    assert answer.status_code == 409
    assert "That time is not free" in html
    assert re.search(r'id="id_time_errors"><li>That time is not free', html)
    # the alternatives are buttons that book that time
    assert 'name="pick" value="2026-11-23T11:00:00+08:00"' in html
    with tenant_context(clinic.cast.tenant_a):
        assert Appointment.objects.count() == 1


def test_a_free_time_button_books_that_time(clinic, front_desk_a):
    answer = front_desk_a.post(
        "/appointments/new/", _booking(clinic, time="", pick="2026-11-23T15:00:00+08:00")
    )
    assert answer.status_code == 302
    with tenant_context(clinic.cast.tenant_a):
        made = Appointment.objects.get()
    assert made.starts_at == at("15:00")


def test_find_free_times_lists_the_next_starts(clinic, front_desk_a):
    clinic.book("09:00")
    answer = front_desk_a.post("/appointments/new/", _booking(clinic, action="find"))
    html = answer.content.decode()
    assert answer.status_code == 200
    assert 'value="2026-11-23T09:00:00+08:00"' not in html
    assert 'name="pick" value="2026-11-23T10:00:00+08:00"' in html


def test_outside_working_hours_needs_the_override(clinic, front_desk_a):
    refused = front_desk_a.post("/appointments/new/", _booking(clinic, time="19:00"))
    assert refused.status_code == 409
    booked = front_desk_a.post(
        "/appointments/new/", _booking(clinic, time="19:00", outside_hours="on")
    )
    assert booked.status_code == 302
    with tenant_context(clinic.cast.tenant_a):
        assert Appointment.objects.get().starts_at == at("19:00")


def test_a_new_client_is_created_from_the_booking_form_and_duplicates_are_held(
    clinic, front_desk_a
):
    # a phone number that is already on file holds the booking with the match shown
    held = front_desk_a.post(
        "/appointments/new/",
        _booking(clinic, client="", new_name="W. Wang", new_mobile="138 1234 5678"),
    )
    assert held.status_code == 400
    assert "already has a file" in held.content.decode()
    # a new person is created and booked
    answer = front_desk_a.post(
        "/appointments/new/",
        _booking(clinic, client="", new_name="Zhao Min", new_mobile="13900001111"),
    )
    assert answer.status_code == 302
    with tenant_context(clinic.cast.tenant_a):
        made = Appointment.objects.select_related("client").get()
    assert made.client.name == "Zhao Min" and made.client.mobile == "+8613900001111"


def test_the_client_search_lists_matches_to_choose(clinic, front_desk_a):
    html = front_desk_a.get("/appointments/new/clients/", {"q": "Wendy"}).content.decode()
    assert f'name="choose" value="{clinic.client.pk}"' in html
    chosen = front_desk_a.post(
        "/appointments/new/", _booking(clinic, client="", choose=clinic.client.pk)
    )
    assert f'name="client" value="{clinic.client.pk}"' in chosen.content.decode()


def test_dragging_an_appointment_asks_before_it_moves(clinic, front_desk_a):
    made = clinic.book("10:00", staff=clinic.doctor)
    # when the appointment is dropped on the owner's 15:00 slot
    page = front_desk_a.get(
        f"/appointments/{made.pk}/move/", {"start": "2026-11-23T15:00", "staff": clinic.owner.pk}
    )
    html = page.content.decode()
    # then the page says what changes, and nothing moved yet
    assert page.status_code == 200
    assert "<s>Mon 23 Nov 10:00</s> → <strong>Mon 23 Nov 15:00</strong>" in html
    assert f"<s>{clinic.doctor}</s> → <strong>{clinic.owner}</strong>" in html
    with tenant_context(clinic.cast.tenant_a):
        assert Appointment.objects.get(pk=made.pk).status == Status.BOOKED
    # when it is confirmed with a reason
    answer = front_desk_a.post(
        f"/appointments/{made.pk}/move/",
        {
            "day": "2026-11-23",
            "time": "15:00",
            "staff": clinic.owner.pk,
            "reason": "Client asked",
            "action": "move",
        },
    )
    assert answer.status_code == 302
    with tenant_context(clinic.cast.tenant_a):
        old = Appointment.objects.get(pk=made.pk)
        new = old.rescheduled_to
    assert old.status == Status.RESCHEDULED and old.cancel_reason == "Client asked"
    assert new.starts_at == at("15:00") and new.staff_id == clinic.owner.pk


def test_a_move_onto_a_taken_time_is_refused_with_free_times(clinic, front_desk_a):
    made = clinic.book("10:00", staff=clinic.doctor)
    other = ClientFactory(tenant=clinic.cast.tenant_a)
    clinic.book("14:00", staff=clinic.doctor, client=other)
    answer = front_desk_a.post(
        f"/appointments/{made.pk}/move/",
        {"day": "2026-11-23", "time": "14:30", "staff": clinic.doctor.pk, "action": "move"},
    )
    html = answer.content.decode()
    assert answer.status_code == 409 and "That time is not free" in html
    assert 'name="pick"' in html
    with tenant_context(clinic.cast.tenant_a):
        assert Appointment.objects.get(pk=made.pk).status == Status.BOOKED


def test_check_in_from_todays_arrivals(clinic, front_desk_a):
    made = clinic.book("10:00")
    page = front_desk_a.get("/appointments/").content.decode()
    assert "Today&#x27;s arrivals" in page or "Today's arrivals" in page
    assert f'action="/appointments/{made.pk}/status/"' in page
    answer = front_desk_a.post(
        f"/appointments/{made.pk}/status/", {"action": "arrive", "next": "calendar"}
    )
    assert answer.status_code == 302 and "day=2026-11-23" in answer["Location"]
    with tenant_context(clinic.cast.tenant_a):
        assert Appointment.objects.get(pk=made.pk).status == Status.ARRIVED
        assert AppointmentEvent.objects.filter(appointment=made, to_status="arrived").exists()


def test_the_appointment_page_offers_only_legal_steps_and_complete_writes_the_visit(
    clinic, practitioner_a
):
    made = clinic.book("10:00")
    page = practitioner_a.get(f"/appointments/{made.pk}/").content.decode()
    assert 'value="confirm"' in page and 'value="arrive"' in page
    assert 'value="complete"' not in page and 'value="approve"' not in page
    # an illegal step is refused with a message, not an error page
    refused = practitioner_a.post(f"/appointments/{made.pk}/status/", {"action": "complete"})
    assert refused.status_code == 302
    followed = practitioner_a.get(refused["Location"]).content.decode()
    assert "that change is not possible" in followed
    # check in, then complete: the visit is in the client file
    practitioner_a.post(f"/appointments/{made.pk}/status/", {"action": "arrive"})
    practitioner_a.post(f"/appointments/{made.pk}/status/", {"action": "complete"})
    with tenant_context(clinic.cast.tenant_a):
        done = Appointment.objects.select_related("visit").get(pk=made.pk)
    assert done.status == Status.COMPLETED and done.visit.client_id == clinic.client.pk
    page = practitioner_a.get(f"/appointments/{made.pk}/").content.decode()
    assert f"/clients/{clinic.client.pk}/visits/" in page


def test_cancelling_needs_a_reason_and_says_who(clinic, front_desk_a):
    made = clinic.book("10:00")
    page = front_desk_a.get(f"/appointments/{made.pk}/").content.decode()
    assert "late cancellation" in page  # within 24 hours
    missing = front_desk_a.post(
        f"/appointments/{made.pk}/status/", {"action": "cancel", "by": "client", "reason": ""}
    )
    assert missing.status_code == 400
    front_desk_a.post(
        f"/appointments/{made.pk}/status/",
        {"action": "cancel", "by": "business", "reason": "Doctor ill"},
    )
    with tenant_context(clinic.cast.tenant_a):
        cancelled = Appointment.objects.get(pk=made.pk)
    assert cancelled.status == Status.CANCELLED and cancelled.cancelled_by == "business"
    assert cancelled.cancelled_late


def test_front_desk_sees_no_health_data_while_the_practitioner_sees_the_allergy(
    clinic, front_desk_a, practitioner_a
):
    made = clinic.book("10:00")
    pages = [
        "/appointments/",
        "/appointments/?view=agenda",
        f"/appointments/new/?client={clinic.client.pk}",
        f"/appointments/{made.pk}/",
        f"/appointments/{made.pk}/move/",
    ]
    for url in pages:
        html = front_desk_a.get(url).content.decode()
        assert "Wendy Wang" in html, url
        assert ALLERGY not in html and "Allerg" not in html, url
    # the practitioner is warned while booking, on the appointment and at check-in
    for url in pages[2:4]:
        assert ALLERGY in practitioner_a.get(url).content.decode(), url
    assert "Allergy" in practitioner_a.get("/appointments/").content.decode()


def test_tenant_b_can_neither_see_nor_book_into_nor_move_tenant_a_appointments(
    cast, clinic, owner_b, twins
):
    # given an appointment in each tenant with the same id
    def make(tenant):
        with tenant_context(tenant):
            doctor = (
                clinic.doctor if tenant == cast.tenant_a else staff_member(tenant, cast.owner_b)
            )
            schedule.working(doctor, "09:00-18:00")
            service = (
                clinic.facial
                if tenant == cast.tenant_a
                else schedule.service("Scale and polish", staff=[doctor])
            )
            client = (
                clinic.client
                if tenant == cast.tenant_a
                else ClientFactory(tenant=tenant, name="Bertie Brown")
            )
            return appointment_book(
                client=client,
                services=[service],
                staff=doctor,
                starts_at=at("11:00"),
                respect_hours=False,
            )[0]

    mine, theirs = twins(Appointment, make)
    # B's own appointment of that id is B's: A's client never shows
    page = owner_b.get(f"/appointments/{mine.pk}/").content.decode()
    assert "Bertie Brown" in page and "Wendy Wang" not in page
    day = owner_b.get("/appointments/", {"day": "2026-11-23"}).content.decode()
    assert "Wendy Wang" not in day
    # an id only A has is 404 for B, for looking and for moving
    with tenant_context(cast.tenant_a):
        only_a = appointment_book(
            client=clinic.client,
            services=[clinic.facial],
            staff=clinic.owner,
            starts_at=at("16:00"),
        )[0]
    assert owner_b.get(f"/appointments/{only_a.pk}/").status_code == 404
    assert owner_b.get(f"/appointments/{only_a.pk}/move/").status_code == 404
    moved = owner_b.post(
        f"/appointments/{only_a.pk}/move/",
        {"day": "2026-11-23", "time": "15:00", "staff": clinic.owner.pk, "action": "move"},
    )
    assert moved.status_code == 404
    assert (
        owner_b.post(f"/appointments/{only_a.pk}/status/", {"action": "arrive"}).status_code == 404
    )
    # booking with A's service and staff is refused as unknown choices
    booked = owner_b.post(
        "/appointments/new/",
        {
            "client": theirs.client_id,
            "service_1": clinic.facial.pk + 1000,
            "staff": clinic.doctor.pk + 1000,
            "day": "2026-11-23",
            "time": "10:00",
            "channel": "phone",
            "action": "book",
        },
    )
    assert booked.status_code == 400
    with tenant_context(cast.tenant_a):
        assert Appointment.objects.get(pk=only_a.pk).status == Status.BOOKED


def test_marketing_cannot_open_the_calendar_and_only_managers_write(clinic, cast, db):
    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mark", email="mark@alpha.test", password="Mark-Mkt-2026", roles=["marketing"]
        )
    made = clinic.book("10:00")
    marketing = signed_in(cast.tenant_a, cast.host_a, "mark@alpha.test")
    for url in ("/appointments/", "/appointments/new/", f"/appointments/{made.pk}/"):
        assert marketing.get(url).status_code == 403, url
    assert (
        marketing.post(f"/appointments/{made.pk}/status/", {"action": "arrive"}).status_code == 403
    )


def test_the_sidebar_shows_the_calendar_after_the_clients(front_desk_a):
    html = front_desk_a.get("/").content.decode()
    assert 'href="/appointments/"' in html
    assert html.index('href="/clients/"') < html.index('href="/appointments/"')


def test_requested_bookings_are_approved_from_the_appointment_page(clinic, front_desk_a):
    with tenant_context(clinic.cast.tenant_a):
        (made,) = appointment_book(
            client=clinic.client,
            services=[clinic.facial],
            staff=clinic.doctor,
            starts_at=at("15:00"),
            status=Status.REQUESTED,
        )
    page = front_desk_a.get(f"/appointments/{made.pk}/").content.decode()
    assert 'value="approve"' in page and 'value="arrive"' not in page
    front_desk_a.post(f"/appointments/{made.pk}/status/", {"action": "approve"})
    with tenant_context(clinic.cast.tenant_a):
        assert Appointment.objects.get(pk=made.pk).status == Status.BOOKED


def test_a_quick_created_client_is_not_kept_when_the_time_is_taken(clinic, front_desk_a):
    clinic.book("10:00")
    answer = front_desk_a.post(
        "/appointments/new/",
        _booking(clinic, client="", new_name="Zhao Min", new_mobile="13900001111"),
    )
    assert answer.status_code == 409
    assert 'value="Zhao Min"' in answer.content.decode()
    with tenant_context(clinic.cast.tenant_a):
        from clients.models import Client

        assert not Client.objects.filter(name="Zhao Min").exists()


def test_a_phone_shows_the_users_own_column_else_the_busiest(clinic, front_desk_a, practitioner_a):
    # given the doctor has one appointment and the owner two
    clinic.book("10:00", staff=clinic.doctor)
    other = ClientFactory(tenant=clinic.cast.tenant_a, name="Li Lei")
    clinic.book("14:00", staff=clinic.owner, client=other)
    clinic.book("16:00", staff=clinic.owner, service=clinic.massage)

    def shown(page) -> list[str]:
        html = page.content.decode()
        return re.findall(r'<div class="cal-col is-focus[^"]*" data-staff="(\d+)"', html)

    # then the front desk (no column of their own) sees the busiest column on a phone
    assert shown(front_desk_a.get("/appointments/", {"day": "2026-11-23"})) == [
        str(clinic.owner.pk)
    ]
    # and a practitioner opens on their own column even when it is not the busiest
    assert shown(practitioner_a.get("/appointments/", {"day": "2026-11-23"})) == [
        str(clinic.doctor.pk)
    ]


def test_the_history_says_moved_and_names_people_without_their_login(clinic, front_desk_a):
    # given the front desk books and then moves an appointment
    with tenant_context(clinic.cast.tenant_a):
        from accounts.models import User
        from scheduling.services import appointment_reschedule

        desk = User.objects.get(email=clinic.cast.front_desk_a)
        (made,) = appointment_book(
            client=clinic.client,
            services=[clinic.facial],
            starts_at=at("10:00"),
            staff=clinic.doctor,
            actor=desk,
        )
        moved = appointment_reschedule(appointment=made, starts_at=at("15:00"), actor=desk)
    # when the appointment's page is opened
    html = front_desk_a.get(f"/appointments/{moved.pk}/").content.decode()
    # then the move reads as a move, and the person by their name
    history = html.split("plain-list", 1)[1]
    assert "Moved" in history
    assert desk.full_name in history and desk.email not in history


def test_the_day_grid_on_the_spring_change_day_in_london_skips_the_lost_hour(cast, owner_b):
    # given tenant B (Europe/London) open through the night of 28 March 2027, when the
    # clocks go from 01:00 GMT straight to 02:00 BST, and a booking at 03:00 local time
    london = zoneinfo.ZoneInfo("Europe/London")
    owner = staff_member(cast.tenant_b, cast.owner_b)
    with tenant_context(cast.tenant_b):
        schedule.open_business("00:00-06:00")
        schedule.working(owner, "00:00-06:00")
        check_up = schedule.service("Check-up", staff=[owner], minutes=60)
        appointment_book(
            client=ClientFactory(tenant=cast.tenant_b, name="Tom Hart"),
            services=[check_up],
            starts_at=dt.datetime(2027, 3, 28, 3, 0, tzinfo=london),
            staff=owner,
        )
    # when the owner opens that day
    html = owner_b.get("/appointments/", {"day": "2027-03-28"}).content.decode()
    # then the axis has no 01:00, and 03:00 is the ninth quarter-hour row: 00:00–00:45,
    # then 02:00 onwards — the day has five real hours between midnight and 06:00
    axis = re.findall(r'class="cal-hour cal-r(\d+) cal-s4">(\d\d:\d\d)<', html)
    assert [label for _row, label in axis] == ["00:00", "02:00", "03:00", "04:00", "05:00"]
    assert ("9", "03:00") in axis
    assert re.search(r"cal-appt cal-r9 cal-s4 ", html) and "03:00–04:00" in html
    assert "start=2027-03-28T01:" not in html


def test_the_move_page_names_the_services_of_the_same_visit_that_stay(clinic, front_desk_a):
    # given a facial and then a massage booked together
    with tenant_context(clinic.cast.tenant_a):
        facial, massage = appointment_book(
            client=clinic.client,
            services=[clinic.facial, clinic.massage],
            starts_at=at("10:00"),
            staff=clinic.doctor,
        )
    # when the facial's move page opens
    html = front_desk_a.get(f"/appointments/{facial.pk}/move/").content.decode()
    # then it says the massage stays at 11:00
    notice = html.split('class="move-others', 1)[1].split("</p>", 1)[0]
    assert "Neck massage" in notice and "11:00" in notice
    # and a single appointment's page has no such line
    single = clinic.book("15:00", staff=clinic.owner)
    assert (
        "move-others" not in front_desk_a.get(f"/appointments/{single.pk}/move/").content.decode()
    )


def test_moving_one_service_of_a_visit_moves_the_others_by_as_much_or_none(clinic, front_desk_a):
    # given a facial at 10:00 and a massage at 11:00 booked together
    with tenant_context(clinic.cast.tenant_a):
        facial, massage = appointment_book(
            client=clinic.client,
            services=[clinic.facial, clinic.massage],
            starts_at=at("10:00"),
            staff=clinic.doctor,
        )
    # and the doctor is busy at 15:00
    blocker = clinic.book("15:00", client=ClientFactory(tenant=clinic.cast.tenant_a))
    form = {"staff": clinic.doctor.pk, "day": "2026-11-23", "action": "move"}
    # when the facial is moved to 14:00 with the rest of the visit, the massage would
    # land on 15:00: refused, and nothing moved
    refused = front_desk_a.post(
        f"/appointments/{facial.pk}/move/", {**form, "time": "14:00", "whole_visit": "on"}
    )
    assert refused.status_code == 409
    with tenant_context(clinic.cast.tenant_a):
        assert Appointment.objects.get(pk=facial.pk).status == Status.BOOKED
        assert Appointment.objects.get(pk=massage.pk).status == Status.BOOKED
    # when moved to 13:00 with the rest of the visit, both move and stay one visit
    moved = front_desk_a.post(
        f"/appointments/{facial.pk}/move/", {**form, "time": "13:00", "whole_visit": "on"}
    )
    assert moved.status_code == 302
    with tenant_context(clinic.cast.tenant_a):
        live = Appointment.objects.exclude(status=Status.RESCHEDULED).exclude(pk=blocker.pk)
        starts = sorted(
            (a.starts_at.astimezone(SHANGHAI).strftime("%H:%M"), a.service.name, a.group)
            for a in live
        )
        assert [(t, n) for t, n, _g in starts] == [
            ("13:00", "Hydra facial"),
            ("14:00", "Neck massage"),
        ]
        assert starts[0][2] is not None and starts[0][2] == starts[1][2]
        assert Appointment.objects.get(pk=massage.pk).rescheduled_to is not None
