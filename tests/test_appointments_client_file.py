"""Appointments in the client file and on the dashboard: the profile's Appointments tab
and timeline entries, the client's export, erasure and merge, today's appointments and
the recalls due, and how appointment changes read in the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest
import time_machine
from django_tenants.utils import tenant_context

from audit import display
from audit.models import AuditEntry
from audit.services import changes_for
from clients.merge import client_merge
from clients.models import Client
from privacy.services import client_erase
from scheduling.models import (
    Appointment,
    AppointmentEvent,
    CancelledBy,
    Recall,
    RecallStatus,
    Status,
    WaitlistEntry,
)
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_complete,
    appointment_reschedule,
    appointment_transition,
)
from tests import schedule
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Friday 20 November 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.clock(NOW)
TODAY = dt.date(2026, 11, 20)
LAST_WEEK = dt.date(2026, 11, 12)
NEXT_WEEK = dt.date(2026, 11, 25)


def at(hhmm: str, day: dt.date = TODAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=SHANGHAI)


def book(client, svc, when, staff, **kwargs) -> Appointment:
    return appointment_book(client=client, services=[svc], starts_at=when, staff=staff, **kwargs)[0]


def book_in_the_past(client, svc, when, staff, **kwargs) -> Appointment:
    """Booked two days before ``when`` (bookings are refused for times already gone)."""
    with time_machine.travel(when - dt.timedelta(days=2), tick=False):
        return book(client, svc, when, staff, **kwargs)


@pytest.fixture
def doctor(cast, db):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        schedule.open_business("08:00-20:00")
        schedule.working(doctor, "09:00-12:00 13:00-18:00")
    return doctor


@pytest.fixture
def facial(cast, doctor):
    with tenant_context(cast.tenant_a):
        return schedule.service("面部护理 Facial", staff=[doctor], minutes=60, recall_days=30)


def _history(cast, doctor, facial):
    """A client with one upcoming booking, a no-show, a late cancellation by the client,
    a completed visit and one moved booking."""
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="王芳")
        upcoming = book(client, facial, at("10:00", NEXT_WEEK), doctor, note="prefers the window")
        missed = book_in_the_past(client, facial, at("09:00", LAST_WEEK), doctor)
        appointment_transition(appointment=missed, to=Status.NO_SHOW)
        late = book_in_the_past(client, facial, at("14:00", LAST_WEEK), doctor)
        with time_machine.travel(at("12:00", LAST_WEEK), tick=False):
            appointment_cancel(appointment=late, by=CancelledBy.CLIENT, reason="孩子发烧")
        done = book_in_the_past(client, facial, at("16:00", LAST_WEEK), doctor)
        appointment_transition(appointment=done, to=Status.ARRIVED)
        appointment_complete(appointment=done)
        first = book(client, facial, at("15:00", NEXT_WEEK), doctor)
        moved = appointment_reschedule(
            appointment=first, starts_at=at("16:00", NEXT_WEEK), reason="traffic"
        )
    return client, upcoming, missed, late, done, moved


# ---------- the profile tab ----------


def test_the_appointments_tab_shows_upcoming_and_past_with_no_shows_and_late_cancellations(
    cast, doctor, facial, front_desk_a
):
    # given
    client, upcoming, missed, late, done, moved = _history(cast, doctor, facial)
    # when
    response = front_desk_a.get(f"/clients/{client.pk}/appointments/")
    # then
    assert response.status_code == 200
    assert response["Cache-Control"] and "no-store" in response["Cache-Control"]
    context = response.context
    assert [a.pk for a in context["upcoming"]] == [upcoming.pk, moved.pk]
    assert [a.pk for a in context["past_page"].object_list] == [done.pk, late.pk, missed.pk]
    assert context["counts"] == {"no_shows": 1, "late_cancels": 1, "cancels": 1}
    page = response.content.decode()
    assert f'href="/appointments/{upcoming.pk}/"' in page
    assert f'href="/appointments/new/?client={client.pk}"' in page
    assert "No-show" in page and "Completed" in page and "Booked" in page
    # times read in the business's zone (10:00 in Shanghai, not 02:00 UTC)
    assert "10:00" in page or "10 a.m." in page
    assert "孩子发烧" in page and "prefers the window" in page
    # the recall set by the completed visit, taken by the next booking
    assert "Recall for 面部护理 Facial due" in page


def test_the_appointments_tab_shows_the_waitlist_entries_the_client_is_on(
    cast, doctor, facial, front_desk_a
):
    # given
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
        WaitlistEntry.objects.create(
            client=client, service=facial, staff=doctor, earliest=TODAY, latest=NEXT_WEEK
        )
    # when
    page = front_desk_a.get(f"/clients/{client.pk}/appointments/").content.decode()
    # then
    assert "On the waitlist for 面部护理 Facial" in page and "Dr. Pat Practitioner" in page


def test_a_user_who_does_not_see_the_calendar_sees_no_appointments_in_the_file(
    cast, doctor, facial, db
):
    # given: marketing sees client files but not the calendar
    from accounts.services import staff_create

    client, *_ = _history(cast, doctor, facial)
    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mia Marketing",
            email="mia@alpha.test",
            password="Pass-Word-1234",
            roles=["marketing"],
        )
    marketing = signed_in(cast.tenant_a, cast.host_a, "mia@alpha.test")
    # when
    tab = marketing.get(f"/clients/{client.pk}/appointments/")
    timeline = marketing.get(f"/clients/{client.pk}/timeline/")
    # then: neither the tab nor the appointments' entries (the visit's entry stays)
    assert tab.status_code == 403
    kinds = {entry.kind for entry in timeline.context["timeline"]}
    assert "visit" in kinds and "appointment" not in kinds
    page = timeline.content.decode()
    assert "孩子发烧" not in page and "/appointments/" not in page


def test_the_appointments_tab_keeps_a_constant_number_of_queries(
    cast, doctor, facial, front_desk_a, django_assert_max_num_queries
):
    # given
    client, *_ = _history(cast, doctor, facial)
    with django_assert_max_num_queries(40) as few:
        front_desk_a.get(f"/clients/{client.pk}/appointments/")
    with tenant_context(cast.tenant_a):
        for day in range(1, 10):
            book_in_the_past(client, facial, at("09:00", dt.date(2026, 11, day)), doctor)
            book(client, facial, at("11:00", dt.date(2026, 11, 20 + day)), doctor)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = front_desk_a.get(f"/clients/{client.pk}/appointments/")
    assert len(response.context["upcoming"]) == 11
    assert len(response.context["past_page"].object_list) == 12


def test_tenant_b_sees_none_of_tenant_a_appointments_on_a_file_with_the_same_id(
    cast, doctor, facial, owner_b, twins
):
    # given: one client id in both businesses; only A's has an appointment
    a_client, b_client = twins(Client, lambda tenant: ClientFactory(tenant=tenant))
    with tenant_context(cast.tenant_a):
        appointment = book(a_client, facial, at("15:00"), doctor)
    # when
    tab = owner_b.get(f"/clients/{b_client.pk}/appointments/")
    timeline = owner_b.get(f"/clients/{b_client.pk}/timeline/").content.decode()
    dashboard = owner_b.get("/").content.decode()
    # then
    assert tab.status_code == 200
    assert tab.context["upcoming"] == [] and not tab.context["past_page"].object_list
    for page in (tab.content.decode(), timeline, dashboard):
        assert "Facial" not in page and f"/appointments/{appointment.pk}/" not in page


# ---------- the timeline ----------


def test_the_timeline_shows_booked_moved_cancelled_no_show_and_completed(
    cast, doctor, facial, front_desk_a, django_assert_max_num_queries
):
    # given
    client, upcoming, missed, late, done, moved = _history(cast, doctor, facial)
    # when
    with django_assert_max_num_queries(40) as few:
        response = front_desk_a.get(f"/clients/{client.pk}/timeline/")
    # then
    entries = [e for e in response.context["timeline"] if e.kind == "appointment"]
    titles = [e.title for e in entries]
    assert sum(t.startswith("Booked:") for t in titles) == 5
    assert sum(t.startswith("Moved:") for t in titles) == 1
    assert sum(t.startswith("Cancelled:") for t in titles) == 1
    assert sum(t.startswith("No-show:") for t in titles) == 1
    assert sum(t.startswith("Completed:") for t in titles) == 1
    (cancelled,) = [e for e in entries if e.title.startswith("Cancelled:")]
    assert "孩子发烧" in cancelled.detail and "The client" in cancelled.detail
    assert "Cancelled late" in cancelled.detail
    assert cancelled.url == f"/appointments/{late.pk}/"
    (move,) = [e for e in entries if e.title.startswith("Moved:")]
    assert "traffic" in move.detail
    # and: the cost does not grow with the history
    with tenant_context(cast.tenant_a):
        for day in range(21, 28):
            book(client, facial, at("09:00", dt.date(2026, 11, day)), doctor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        front_desk_a.get(f"/clients/{client.pk}/timeline/")


# ---------- export, erasure, merge ----------


def test_the_export_holds_the_appointments_in_the_business_time_zone(cast, doctor, facial, owner_a):
    # given
    client, upcoming, *_ = _history(cast, doctor, facial)
    with tenant_context(cast.tenant_a):
        WaitlistEntry.objects.create(
            client=client, service=facial, earliest=TODAY, latest=NEXT_WEEK, note="早上"
        )
    # when
    data = json.loads(owner_a.get(f"/clients/{client.pk}/privacy/export.json").content)
    # then
    rows = data["appointments"]
    assert len(rows) == 6  # the moved booking's old row included
    first = next(r for r in rows if r["starts_at"] == "2026-11-25T10:00:00+08:00")
    assert first["service"] == "面部护理 Facial"
    assert first["staff"] == str(doctor) and first["status"] == "booked"
    assert first["channel"] == "phone" and first["note"] == "prefers the window"
    assert {r["status"] for r in rows} >= {"no_show", "cancelled", "completed", "rescheduled"}
    assert data["recalls"] == [
        # set by the completed visit, taken by the booking made after it
        {"service": "面部护理 Facial", "due_on": "2026-12-12", "status": "booked"}
    ]
    assert data["waitlist"][0]["note"] == "早上"


def test_erasure_cancels_future_bookings_and_blanks_notes_and_reasons_but_keeps_the_rows(
    cast, doctor, facial, db
):
    # given
    client, upcoming, missed, late, done, moved = _history(cast, doctor, facial)
    with tenant_context(cast.tenant_a):
        WaitlistEntry.objects.create(
            client=client, service=facial, earliest=TODAY, latest=NEXT_WEEK, note="早上"
        )
        # when
        client_erase(client=client, actor=None)
        # then
        rows = {a.pk: a for a in Appointment.objects.filter(client=client)}
        assert len(rows) == 6
        for kept in (upcoming, moved):
            assert rows[kept.pk].status == Status.CANCELLED
            assert rows[kept.pk].cancelled_by == CancelledBy.BUSINESS
            assert rows[kept.pk].cancel_reason == "client erased"
        assert rows[done.pk].status == Status.COMPLETED
        assert rows[missed.pk].status == Status.NO_SHOW
        assert rows[late.pk].cancel_reason == "" and rows[upcoming.pk].note == ""
        reasons = set(
            AppointmentEvent.objects.filter(appointment__client=client).values_list(
                "reason", flat=True
            )
        )
        assert reasons == {"", "client erased"}
        assert not Recall.objects.filter(
            client=client, status__in=[RecallStatus.DUE, RecallStatus.BOOKED]
        ).exists()
        assert set(
            Recall.objects.filter(client=client).values_list("dismiss_reason", flat=True)
        ) == {"client erased"}
        entry = WaitlistEntry.objects.get(client=client)
        assert entry.note == "" and entry.status == "removed"
        # and: the freed times can be booked by someone else
        other = ClientFactory(tenant=cast.tenant_a)
        assert book(other, facial, at("10:00", NEXT_WEEK), doctor).pk


def test_merging_two_clients_moves_their_appointments_recalls_and_waitlist(
    cast, doctor, facial, owner_a
):
    # given: two files of one person, each with appointments and an open recall
    with tenant_context(cast.tenant_a):
        kept = ClientFactory(tenant=cast.tenant_a, name="李雷")
        merged = ClientFactory(tenant=cast.tenant_a, name="李雷")
        mine = book(kept, facial, at("10:00", NEXT_WEEK), doctor)
        theirs = book(merged, facial, at("14:00", NEXT_WEEK), doctor)
        past = book_in_the_past(merged, facial, at("09:00", LAST_WEEK), doctor)
        appointment_transition(appointment=past, to=Status.NO_SHOW)
        Recall.objects.create(client=kept, service=facial, due_on=dt.date(2027, 1, 10))
        earlier = Recall.objects.create(client=merged, service=facial, due_on=dt.date(2026, 12, 1))
        wait = WaitlistEntry.objects.create(
            client=merged, service=facial, earliest=TODAY, latest=NEXT_WEEK
        )
    # when
    response = owner_a.post(f"/clients/{merged.pk}/merge/{kept.pk}/", {})
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        assert set(Appointment.objects.filter(client=kept).values_list("pk", flat=True)) == {
            mine.pk,
            theirs.pk,
            past.pk,
        }
        open_recalls = Recall.objects.filter(client=kept, status=RecallStatus.DUE)
        assert list(open_recalls.values_list("pk", flat=True)) == [earlier.pk]
        assert Recall.objects.filter(client=kept, status=RecallStatus.DISMISSED).count() == 1
        wait.refresh_from_db()
        assert wait.client_id == kept.pk
    tab = owner_a.get(f"/clients/{kept.pk}/appointments/")
    assert [a.pk for a in tab.context["upcoming"]] == [mine.pk, theirs.pk]
    assert tab.context["counts"]["no_shows"] == 1


def test_a_merge_service_call_keeps_one_open_recall_when_both_files_have_one(
    cast, doctor, facial, db
):
    # given: the kept file's recall is due first
    with tenant_context(cast.tenant_a):
        kept = ClientFactory(tenant=cast.tenant_a)
        merged = ClientFactory(tenant=cast.tenant_a)
        first = Recall.objects.create(client=kept, service=facial, due_on=dt.date(2026, 12, 1))
        Recall.objects.create(client=merged, service=facial, due_on=dt.date(2027, 2, 1))
        # when
        client_merge(kept=kept, merged=merged)
        # then
        assert list(
            Recall.objects.filter(client=kept, status=RecallStatus.DUE).values_list("pk", flat=True)
        ) == [first.pk]


# ---------- the dashboard ----------


@pytest.fixture
def busy_day(cast, doctor, facial):
    """Today: two appointments with the practitioner and one with the owner."""
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        schedule.working(owner, "09:00-18:00")
        facial.staff.add(owner)
        a = ClientFactory(tenant=cast.tenant_a, name="赵敏")
        b = ClientFactory(tenant=cast.tenant_a, name="周芷若")
        c = ClientFactory(tenant=cast.tenant_a, name="小昭")
        mine = [book(a, facial, at("11:00"), doctor), book(b, facial, at("15:00"), doctor)]
        owners = book(c, facial, at("13:00"), owner)
        cancelled = book(c, facial, at("16:00"), owner)
        appointment_cancel(appointment=cancelled, by=CancelledBy.CLIENT, reason="忙")
        tomorrow = book(a, facial, at("11:00", TODAY + dt.timedelta(days=1)), doctor)
    return mine, owners, cancelled, tomorrow


def _widget_keys(response) -> list[str]:
    return [widget.key for widget, _data in response.context["widgets"]]


def test_front_desk_sees_everyones_appointments_today_first_with_check_in(
    cast, busy_day, front_desk_a
):
    # given
    mine, owners, cancelled, tomorrow = busy_day
    # when
    response = front_desk_a.get("/")
    # then: the day comes first, then follow-ups and recalls
    keys = _widget_keys(response)
    assert keys[0] == "appointments_today"
    assert keys.index("follow_ups") < keys.index("recalls_due")
    data = dict((w.key, d) for w, d in response.context["widgets"])["appointments_today"]
    assert [a.pk for a in data["appointments"]] == [mine[0].pk, owners.pk, mine[1].pk]
    page = response.content.decode()
    assert "Today&#x27;s appointments" in page or "Today's appointments" in page
    assert f'href="/appointments/{owners.pk}/"' in page and "Check in" in page
    assert "赵敏" in page and "小昭" in page
    assert f"/appointments/{cancelled.pk}/" not in page
    assert f"/appointments/{tomorrow.pk}/" not in page


def test_a_practitioner_sees_only_their_own_appointments_today(cast, busy_day, practitioner_a):
    # given
    mine, owners, *_ = busy_day
    # when
    response = practitioner_a.get("/")
    # then
    assert _widget_keys(response)[0] == "appointments_today"
    data = dict((w.key, d) for w, d in response.context["widgets"])["appointments_today"]
    assert data["own"] and [a.pk for a in data["appointments"]] == [a.pk for a in mine]
    page = response.content.decode()
    assert "My appointments today" in page and "小昭" not in page


def test_the_owner_sees_everyones_day(cast, busy_day, owner_a):
    mine, owners, *_ = busy_day
    response = owner_a.get("/")
    data = dict((w.key, d) for w, d in response.context["widgets"])["appointments_today"]
    assert not data["own"] and len(data["appointments"]) == 3


def test_todays_appointments_keep_a_constant_number_of_queries(
    cast, doctor, facial, front_desk_a, django_assert_max_num_queries
):
    # given
    with tenant_context(cast.tenant_a):
        book(ClientFactory(tenant=cast.tenant_a), facial, at("10:30"), doctor)
    with django_assert_max_num_queries(60) as few:
        front_desk_a.get("/")
    with tenant_context(cast.tenant_a):
        for hhmm in ("13:00", "14:00", "15:00", "16:00", "17:00"):
            book(ClientFactory(tenant=cast.tenant_a), facial, at(hhmm), doctor)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = front_desk_a.get("/")
    data = dict((w.key, d) for w, d in response.context["widgets"])["appointments_today"]
    assert len(data["appointments"]) == 6


def test_the_recalls_block_counts_overdue_and_due_this_month(cast, facial, front_desk_a):
    # given
    with tenant_context(cast.tenant_a):
        late = ClientFactory(tenant=cast.tenant_a, name="迟到")
        soon = ClientFactory(tenant=cast.tenant_a, name="本月")
        later = ClientFactory(tenant=cast.tenant_a, name="下月")
        Recall.objects.create(client=late, service=facial, due_on=dt.date(2026, 11, 2))
        Recall.objects.create(client=soon, service=facial, due_on=dt.date(2026, 11, 28))
        Recall.objects.create(client=later, service=facial, due_on=dt.date(2026, 12, 3))
    # when
    response = front_desk_a.get("/")
    # then
    data = dict((w.key, d) for w, d in response.context["widgets"])["recalls_due"]
    assert (data["counts"].overdue, data["counts"].month) == (1, 2)  # as the recall list
    page = response.content.decode()
    assert "迟到" in page and "本月" in page and "下月" not in page
    assert "1 overdue" in page and "2 due this month" in page
    assert 'href="/appointments/recalls/?show=overdue"' in page
    assert f"/appointments/new/?client={late.pk}&amp;service={facial.pk}" in page


# ---------- the audit trail ----------


def test_appointment_changes_read_with_field_labels_and_local_times(cast, doctor, facial, db):
    # given
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a)
        first = book(client, facial, at("10:00", NEXT_WEEK), doctor, note="私事")
        appointment_cancel(appointment=first, by=CancelledBy.CLIENT, reason="私事")
        entries = list(
            AuditEntry.objects.filter(object_type="appointment", client_id=client.pk).order_by("id")
        )
        rows = display.rows(entries, changes_for(entries))
    # then
    created, cancelled = rows
    assert created.what == "appointment"
    labels = {c.label: c for c in created.changes}
    # 10:00 in Shanghai (02:00 UTC as stored), with its date
    assert "10:00" in labels["starts"].new and "25" in labels["starts"].new
    assert labels["staff member"].new == str(doctor)
    assert labels["service"].new == "面部护理 Facial"
    assert labels["booking note"].shown is False
    changed = {c.label: c for c in cancelled.changes}
    assert (changed["status"].old, changed["status"].new) == ("Booked", "Cancelled")
    assert changed["cancelled by"].new == "The client"
    assert changed["reason"].shown is False
    assert "私事" not in str([vars(c) for r in rows for c in r.changes])
