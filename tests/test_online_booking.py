"""Online booking by clients (/book/ on the business's own host, no login): the rules of
the business, the client file found by phone or created online, the race loser's
alternatives, rate limits, and the signed link that cancels or moves the booking."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django_tenants.utils import tenant_context

from clients.models import Client as ClientFile
from clients.models import Source
from scheduling import online
from scheduling.models import (
    Appointment,
    BookingSettings,
    CancelledBy,
    Channel,
    Service,
    Status,
)
from scheduling.services import appointment_book
from tests import schedule
from tests.conftest import staff_member
from tests.factories import ClientFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LONDON = zoneinfo.ZoneInfo("Europe/London")
# Friday 20 November 2026, 10:00 in Shanghai; Monday 23 November is the day booked.
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
MONDAY = dt.date(2026, 11, 23)
PHONE = "138 1234 5678"
E164 = "+8613812345678"


def at(hhmm: str, day: dt.date = MONDAY, zone=SHANGHAI) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=zone)


def wire(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def rules(tenant, **values) -> None:
    with tenant_context(tenant):
        BookingSettings.objects.filter(pk=BookingSettings.load().pk).update(**values)


@pytest.fixture(autouse=True)
def _no_phone_codes(cast, db):
    """These tests are about the booking itself: the code texted to verify a phone (on
    for a new business) is off here and has its own tests
    (tests/test_online_booking_phone_code.py)."""
    for tenant in (cast.tenant_a, cast.tenant_b):
        rules(tenant, verify_phone=False)


@pytest.fixture
def visitor(cast, db) -> Client:
    """Someone on the internet opening alpha's booking page, signed in nowhere."""
    return Client(HTTP_HOST=cast.host_a)


@pytest.fixture
def doctor(cast, db):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        schedule.open_business("08:00-20:00")
        schedule.working(doctor, "09:00-12:00 13:00-18:00")
    return doctor


@pytest.fixture
def facial(cast, doctor) -> Service:
    with tenant_context(cast.tenant_a):
        return schedule.service("Hydra facial", staff=[doctor], minutes=60, price="380")


def book(visitor, service, moment, *, phone=PHONE, name="Lin Mei", staff="any", **extra):
    return visitor.post(
        f"/book/{service.pk}/details/",
        {"at": wire(moment), "staff": staff, "name": name, "phone": phone, **extra},
    )


def token_of(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    match = re.fullmatch(r"/book/done/([^/]+)/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def only_appointment(tenant) -> Appointment:
    with tenant_context(tenant):
        return Appointment.objects.select_related("client").exclude(status=Status.RESCHEDULED).get()


# ---------- booking ----------


def test_a_new_phone_books_online_and_gets_a_client_file_marked_created_online(
    cast, visitor, facial
):
    # given: the service menu and the times of Monday
    menu = visitor.get("/book/")
    times = visitor.get(f"/book/{facial.pk}/times/", {"staff": "any", "day": "2026-11-23"})
    # when
    response = book(visitor, facial, at("10:00"), email="lin@example.com", note="first visit")
    # then
    assert menu.status_code == 200 and "Hydra facial" in menu.content.decode()
    assert "CNY 380" in menu.content.decode()
    assert f"at={wire(at('10:00'))}".replace(":", "%3A") in times.content.decode()
    token = token_of(response)
    appointment = only_appointment(cast.tenant_a)
    assert appointment.status == Status.BOOKED
    assert appointment.channel == Channel.ONLINE
    assert appointment.starts_at == at("10:00")
    assert appointment.client.source == Source.ONLINE
    assert appointment.client.mobile == E164
    assert appointment.client.email == "lin@example.com"
    assert appointment.events.get().actor_label == online.ACTOR_LABEL
    done = visitor.get(f"/book/done/{token}/")
    page = done.content.decode()
    assert done.status_code == 200
    assert "You are booked" in page and "10:00" in page and "Dr. Pat Practitioner" in page
    assert f"/book/manage/{token}/" in page
    assert "no-store" in done["Cache-Control"]


def test_a_known_phone_books_into_the_existing_client_file(cast, visitor, facial):
    # given
    known = ClientFactory(tenant=cast.tenant_a, name="林梅", mobile=E164)
    # when
    response = book(visitor, facial, at("10:00"), name="Mei")
    # then
    token_of(response)
    with tenant_context(cast.tenant_a):
        assert ClientFile.objects.count() == 1
        assert Appointment.objects.get().client_id == known.pk


def test_with_approval_required_an_online_booking_is_requested_and_says_so(cast, visitor, facial):
    # given
    rules(cast.tenant_a, approval_required=True)
    # when
    token = token_of(book(visitor, facial, at("10:00")))
    # then
    assert only_appointment(cast.tenant_a).status == Status.REQUESTED
    page = visitor.get(f"/book/done/{token}/").content.decode()
    assert "Booking requested" in page and "Waiting for approval" in page


def test_new_clients_are_refused_when_the_business_takes_only_known_clients_online(
    cast, visitor, facial
):
    # given
    rules(cast.tenant_a, new_clients_online=False)
    # when
    response = book(visitor, facial, at("10:00"))
    # then
    assert response.status_code == 400
    assert "Online booking is for existing clients" in response.content.decode()
    with tenant_context(cast.tenant_a):
        assert not ClientFile.objects.exists() and not Appointment.objects.exists()


def test_slots_keep_to_minimum_notice_days_ahead_and_granularity(cast, visitor, facial):
    # given: a day's notice, three days ahead, half-hour marks
    rules(cast.tenant_a, min_notice_minutes=24 * 60, max_days_ahead=3, slot_minutes=30)
    # when
    friday = visitor.get(f"/book/{facial.pk}/times/", {"day": "2026-11-20"}).content.decode()
    saturday = visitor.get(f"/book/{facial.pk}/times/", {"day": "2026-11-21"}).content.decode()
    later = visitor.get(f"/book/{facial.pk}/times/", {"day": "2026-12-20"}).content.decode()
    # then: today is clamped to the first bookable day (Saturday from 10:00), on :00 and :30
    shown = re.findall(r'class="btn secondary" href="[^"]+">(\d\d:\d\d)<', saturday)
    assert shown[:3] == ["10:00", "10:30", "11:00"] and "09:30" not in shown
    assert all(t.endswith((":00", ":30")) for t in shown)
    assert "Nov 21, 2026" in friday and "Nov 20, 2026" not in friday
    # far ahead is clamped to the last day (Monday, up to 10:00 three days from now)
    assert "Nov 23, 2026" in later
    assert re.findall(r'href="[^"]+">(\d\d:\d\d)<', later) == ["09:00", "09:30"]


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (at("11:00", dt.date(2026, 11, 20)), "at least 1 day notice"),
        (at("10:00", dt.date(2026, 11, 24)), "at most 3 days ahead"),
        (at("10:15", dt.date(2026, 11, 21)), "That time is not free"),
    ],
)
def test_a_time_outside_the_rules_posted_directly_is_refused(
    cast, visitor, facial, moment, message
):
    # given
    rules(cast.tenant_a, min_notice_minutes=24 * 60, max_days_ahead=3, slot_minutes=30)
    # when
    response = book(visitor, facial, moment)
    # then
    assert response.status_code in (400, 409)
    assert message in response.content.decode()
    with tenant_context(cast.tenant_a):
        assert not Appointment.objects.exists() and not ClientFile.objects.exists()


def test_a_service_not_bookable_online_is_neither_listed_nor_bookable(cast, visitor, doctor):
    # given
    with tenant_context(cast.tenant_a):
        private = schedule.service("Laser consult", staff=[doctor], online=False)
    # when
    menu = visitor.get("/book/")
    staff_page = visitor.get(f"/book/{private.pk}/")
    response = book(visitor, private, at("10:00"))
    # then
    assert "Laser consult" not in menu.content.decode()
    assert staff_page.status_code == 404 and response.status_code == 404
    with tenant_context(cast.tenant_a):
        assert not Appointment.objects.exists()


def test_with_online_booking_off_the_page_says_closed_and_books_nothing(cast, visitor, facial):
    # given
    rules(cast.tenant_a, online_enabled=False)
    # when
    home = visitor.get("/book/")
    response = book(visitor, facial, at("10:00"))
    # then
    assert "Online booking is closed" in home.content.decode()
    assert "Hydra facial" not in home.content.decode()
    assert "Online booking is closed" in response.content.decode()
    with tenant_context(cast.tenant_a):
        assert not Appointment.objects.exists()


def test_booking_attempts_are_limited_per_client_address(cast, visitor, facial, settings):
    # given
    settings.ONLINE_BOOKING_RATE_PER_ADDRESS = 2
    # when: three attempts from one address with different phones
    first = book(visitor, facial, at("10:00"), phone="13812345601")
    second = book(visitor, facial, at("11:00"), phone="13812345602")
    third = book(visitor, facial, at("13:00"), phone="13812345603")
    # then
    assert first.status_code == second.status_code == 302
    assert third.status_code == 429
    assert "Too many booking attempts" in third.content.decode()
    with tenant_context(cast.tenant_a):
        assert Appointment.objects.count() == 2


def test_booking_attempts_are_limited_per_phone_number(cast, facial, settings):
    # given
    settings.ONLINE_BOOKING_RATE_PER_PHONE = 2
    visitors = [Client(HTTP_HOST=cast.host_a, REMOTE_ADDR=f"10.0.0.{n}") for n in (1, 2, 3)]
    # when: one phone from three addresses
    answers = [
        book(v, facial, at(t)) for v, t in zip(visitors, ["10:00", "11:00", "13:00"], strict=True)
    ]
    # then
    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "Too many booking attempts" in answers[2].content.decode()


def test_a_taken_time_is_answered_with_the_nearest_free_times(cast, visitor, facial, doctor):
    # given: someone booked Monday 10:00 by phone a moment ago
    with tenant_context(cast.tenant_a):
        other = ClientFactory(name="王五")
        appointment_book(client=other, services=[facial], starts_at=at("10:00"), staff=doctor)
    # when
    response = book(visitor, facial, at("10:00"), staff=str(doctor.pk))
    # then
    page = response.content.decode()
    assert response.status_code == 409
    assert "That time is not free" in page or "just been taken" in page
    assert "Free times nearby" in page
    assert wire(at("11:00")).replace(":", "%3A") in page
    with tenant_context(cast.tenant_a):
        assert Appointment.objects.count() == 1
        assert not ClientFile.objects.filter(source=Source.ONLINE).exists()


def test_the_race_loser_inside_the_insert_gets_alternatives_too(cast, facial, doctor, monkeypatch):
    # given: the time looked free when checked, but a concurrent booking's row landed first
    from scheduling import services as booking_services

    with tenant_context(cast.tenant_a):
        request = booking_services.availability.build_request([facial], doctor.pk)
        free = booking_services.availability.option_at(request=request, starts_at=at("10:00"))
        appointment_book(
            client=ClientFactory(name="王五"),
            services=[facial],
            starts_at=at("10:00"),
            staff=doctor,
        )
        monkeypatch.setattr(booking_services.availability, "option_at", lambda **kw: free)
        # when
        with pytest.raises(online.SlotTaken) as lost:
            online.online_book(
                service=facial, staff=doctor, starts_at=at("10:00"), name="Lin", phone=E164
            )
        # then: the insert's overlap is answered, and the new client file is not kept
        assert lost.value.code == "slot_taken"
        assert lost.value.alternatives
        assert not ClientFile.objects.filter(source=Source.ONLINE).exists()


# ---------- the client's link ----------


def test_the_link_cancels_the_booking_as_the_client(cast, visitor, facial):
    # given
    token = token_of(book(visitor, facial, at("10:00")))
    # when
    response = visitor.post(f"/book/manage/{token}/cancel/", {"reason": "travelling"})
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        appointment = Appointment.objects.get()
    assert appointment.status == Status.CANCELLED
    assert appointment.cancelled_by == CancelledBy.CLIENT
    assert appointment.cancel_reason == "travelling" and not appointment.cancelled_late
    page = visitor.get(f"/book/manage/{token}/")
    assert "Cancelled" in page.content.decode() and "no-store" in page["Cache-Control"]


def test_a_cancellation_within_the_late_hours_is_shown_and_recorded_late(cast, visitor, facial):
    # given: Friday 10:00 now; a booking at 16:00 today, 24 late-cancel hours
    token = token_of(book(visitor, facial, at("16:00", dt.date(2026, 11, 20))))
    # when
    page = visitor.get(f"/book/manage/{token}/").content.decode()
    visitor.post(f"/book/manage/{token}/cancel/", {"reason": ""})
    # then
    assert "counts as late" in page
    appointment = only_appointment(cast.tenant_a)
    assert appointment.status == Status.CANCELLED and appointment.cancelled_late
    assert appointment.cancel_reason  # a default reason when none is given


def test_the_link_moves_the_booking_and_keeps_working_afterwards(cast, visitor, facial):
    # given
    token = token_of(book(visitor, facial, at("10:00")))
    # when
    choices = visitor.get(f"/book/manage/{token}/move/", {"day": "2026-11-23"})
    response = visitor.post(f"/book/manage/{token}/move/", {"at": wire(at("14:00"))})
    # then
    assert wire(at("14:00")) in choices.content.decode()
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        old = Appointment.objects.get(status=Status.RESCHEDULED)
        new = Appointment.objects.exclude(status=Status.RESCHEDULED).get()
    assert old.rescheduled_to_id == new.pk and new.starts_at == at("14:00")
    assert new.manage_token == old.manage_token
    page = visitor.get(f"/book/manage/{token}/").content.decode()
    assert "14:00" in page


def test_moving_keeps_to_the_online_rules(cast, visitor, facial):
    # given
    token = token_of(book(visitor, facial, at("10:00")))
    rules(cast.tenant_a, max_days_ahead=3)
    # when
    response = visitor.post(
        f"/book/manage/{token}/move/", {"at": wire(at("10:00", dt.date(2026, 11, 27)))}
    )
    # then
    assert response.status_code == 400 and "at most 3 days ahead" in response.content.decode()
    assert only_appointment(cast.tenant_a).starts_at == at("10:00")


def test_without_client_changes_the_link_shows_the_booking_but_cannot_change_it(
    cast, visitor, facial
):
    # given
    token = token_of(book(visitor, facial, at("10:00")))
    rules(cast.tenant_a, client_can_reschedule=False)
    # when
    page = visitor.get(f"/book/manage/{token}/").content.decode()
    response = visitor.post(f"/book/manage/{token}/cancel/", {"reason": "x"})
    # then
    assert "can no longer be changed online" in page
    assert response.status_code == 400
    assert only_appointment(cast.tenant_a).status == Status.BOOKED


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + "xx", lambda t: "x" + t, lambda t: "abc"])
def test_a_tampered_link_is_refused(cast, visitor, facial, mangle):
    # given
    token = token_of(book(visitor, facial, at("10:00")))
    # when
    response = visitor.get(f"/book/manage/{mangle(token)}/")
    cancel = visitor.post(f"/book/manage/{mangle(token)}/cancel/", {"reason": "x"})
    # then
    assert response.status_code == 404 and cancel.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert only_appointment(cast.tenant_a).status == Status.BOOKED


def test_an_expired_link_and_a_link_after_the_start_are_refused(cast, visitor, facial):
    # given: a link signed long ago, and the current one
    token = token_of(book(visitor, facial, at("10:00")))
    appointment = only_appointment(cast.tenant_a)
    long_ago = time_machine.travel(dt.datetime(2025, 10, 1, tzinfo=dt.UTC), tick=False)
    with tenant_context(cast.tenant_a), long_ago:
        old_token = online.manage_token(appointment)
    # when
    expired = visitor.get(f"/book/manage/{old_token}/")
    with time_machine.travel(at("10:01"), tick=False):
        started = visitor.get(f"/book/manage/{token}/")
        cancel = visitor.post(f"/book/manage/{token}/cancel/", {"reason": "late"})
    # then
    assert expired.status_code == 400 and "This link has expired" in expired.content.decode()
    assert started.status_code == 400 and cancel.status_code == 400
    assert only_appointment(cast.tenant_a).status == Status.BOOKED


# ---------- time zones, tenants, privacy, language ----------


def beta_cleaning(cast, hours: str) -> Service:
    """Beta (Europe/London) offers only a 60-minute cleaning online, by its owner working
    ``hours`` every day."""
    owner = staff_member(cast.tenant_b, cast.owner_b)
    with tenant_context(cast.tenant_b):
        Service.objects.update(online_bookable=False)
        schedule.open_business("08:00-20:00")
        schedule.working(owner, hours)
        return schedule.service("Cleaning", staff=[owner], minutes=60)


@pytest.mark.clock(dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.UTC))
def test_slots_on_the_clock_change_day_in_london_show_local_times(cast, db):
    # given: beta (Europe/London) works 09:00-11:00 every day; clocks go back on 25 October
    cleaning = beta_cleaning(cast, "09:00-11:00")
    rules(cast.tenant_b, slot_minutes=60)
    visitor = Client(HTTP_HOST=cast.host_b)
    # when
    before = visitor.get(f"/book/{cleaning.pk}/times/", {"day": "2026-10-24"}).content.decode()
    change = visitor.get(f"/book/{cleaning.pk}/times/", {"day": "2026-10-25"}).content.decode()
    # then: 09:00 is 08:00 UTC in summer time and 09:00 UTC once the clocks went back
    assert re.findall(r'href="[^"]+">(\d\d:\d\d)<', before) == ["09:00", "10:00"]
    assert re.findall(r'href="[^"]+">(\d\d:\d\d)<', change) == ["09:00", "10:00"]
    assert "2026-10-24T08%3A00Z" in before and "2026-10-25T09%3A00Z" in change
    response = book(visitor, cleaning, dt.datetime(2026, 10, 25, 9, 0, tzinfo=LONDON))
    token_of(response)
    with tenant_context(cast.tenant_b):
        assert Appointment.objects.get().starts_at == dt.datetime(2026, 10, 25, 9, tzinfo=dt.UTC)


def test_another_business_can_neither_book_a_service_nor_open_a_link_of_alpha(
    cast, visitor, facial
):
    # given: alpha's booking and its link; beta offers nothing online
    token = token_of(book(visitor, facial, at("10:00")))
    with tenant_context(cast.tenant_b):
        Service.objects.update(online_bookable=False)
    beta = Client(HTTP_HOST=cast.host_b)
    # when
    staff_page = beta.get(f"/book/{facial.pk}/")
    booking = book(beta, facial, at("11:00"), phone="13812345699")
    link = beta.get(f"/book/manage/{token}/")
    cancel = beta.post(f"/book/manage/{token}/cancel/", {"reason": "x"})
    # then
    assert staff_page.status_code == booking.status_code == 404
    assert link.status_code == cancel.status_code == 404
    assert only_appointment(cast.tenant_a).status == Status.BOOKED
    with tenant_context(cast.tenant_b):
        assert not Appointment.objects.exists()


def test_public_pages_show_no_health_data_nor_the_client_file(cast, visitor, facial):
    # given: a known client with allergies books online
    ClientFactory(
        tenant=cast.tenant_a,
        name="林梅",
        mobile=E164,
        health={"has_drug_allergy": True, "drug_allergies": "Penicillin-ALLERGY"},
    )
    token = token_of(book(visitor, facial, at("10:00")))
    # when
    pages = [
        visitor.get(url).content.decode()
        for url in ("/book/", f"/book/done/{token}/", f"/book/manage/{token}/")
    ]
    # then
    file_number = only_appointment(cast.tenant_a).client.file_number
    for page in pages:
        assert "Penicillin" not in page and "allerg" not in page.lower()
        assert file_number not in page and E164 not in page


def test_the_booking_page_follows_the_browser_language_and_the_switch(cast, facial):
    # given
    chinese = Client(HTTP_HOST=cast.host_a, HTTP_ACCEPT_LANGUAGE="fr-FR,zh-CN;q=0.9,en;q=0.5")
    # when
    by_browser = chinese.get("/book/").content.decode()
    chinese.post("/accounts/language/", {"language": "en", "next": "/book/"})
    by_switch = chinese.get("/book/").content.decode()
    # then
    assert "选择服务" in by_browser
    assert "Choose a service" in by_switch


def test_the_booking_pages_need_no_login_and_keep_few_queries(
    cast, visitor, facial, django_assert_max_num_queries
):
    # given: other bookings on the day shown
    with tenant_context(cast.tenant_a):
        for n, hhmm in enumerate(["09:00", "11:00", "14:00", "16:00"]):
            appointment_book(
                client=ClientFactory(name=f"客{n}"), services=[facial], starts_at=at(hhmm)
            )
    # when / then
    with django_assert_max_num_queries(25):
        times = visitor.get(f"/book/{facial.pk}/times/", {"day": "2026-11-23"})
    assert times.status_code == 200
    assert visitor.get("/book/").status_code == 200
    assert visitor.get(f"/book/{facial.pk}/").status_code == 200


def test_the_confirmation_names_the_business_address_and_phone(cast, visitor, facial):
    # given
    from tenants.models import Tenant

    Tenant.objects.filter(pk=cast.tenant_a.pk).update(
        address="上海市静安区南京西路 1 号", phone="021-5555 0101"
    )
    token = token_of(book(visitor, facial, at("10:00")))
    # when
    page = visitor.get(f"/book/done/{token}/").content.decode()
    # then
    assert "上海市静安区南京西路 1 号" in page and "021-5555 0101" in page


def test_a_wrong_phone_is_refused_beside_the_field_with_the_shape_expected(cast, visitor, facial):
    # when a client types a number that cannot be a mobile in the business's region
    response = book(visitor, facial, at("10:00"), phone="123")
    # then nothing is booked, and the field says what a number looks like there (China)
    assert response.status_code == 400
    form = response.context["form"]
    assert "phone" in form.errors
    assert form.fields["phone"].help_text == "For example 131 2345 6789"
    with tenant_context(cast.tenant_a):
        assert not Appointment.objects.exists()
