"""The causes that write messages, end to end on the database: a booking's confirmation
leaves at once, its reminders at the configured time (across a daylight-saving change and
in a non-UTC zone), a move or cancellation sends its notice and cancels what is stale, a
completed visit's follow-up carries a survey whose answer lands on the visit; the signed
links confirm, cancel, answer and opt out, and mean nothing on another business."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from notifications import links, tasks
from notifications.models import Kind, Message, NotificationSettings, Status
from scheduling.models import Appointment
from scheduling.models import Status as AS
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

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LONDON = zoneinfo.ZoneInfo("Europe/London")
# Friday 20 November 2026, 10:00 in Shanghai.
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


def _book(tenant, email, *, starts_at, language="", name="Anna Lee", mobile="13812345678"):
    staff = staff_member(tenant, email)
    from scheduling.models import Service

    facial = Service.objects.filter(name="Facial").first() or schedule.service(
        "Facial", staff=[staff]
    )
    client = ClientFactory(tenant=tenant, name=name, mobile=mobile, language=language)
    (appointment,) = appointment_book(
        client=client, services=[facial], starts_at=starts_at, staff=staff, respect_hours=False
    )
    return appointment


def _messages(appointment, kind):
    return list(Message.objects.filter(appointment=appointment, kind=kind))


def _path(url: str) -> str:
    return urlsplit(url).path


@pytest.mark.clock(NOW)
def test_a_booking_sends_its_confirmation_at_once_in_the_client_language(
    cast, db, django_capture_on_commit_callbacks, capsys
):
    with tenant_context(cast.tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = _book(
                cast.tenant_a, cast.practitioner_a, starts_at=MONDAY_10, language="zh-hans"
            )
        (message,) = _messages(appointment, Kind.CONFIRMATION)
        assert message.status == Status.DELIVERED
        assert message.idempotency_key == f"confirmation:{appointment.pk}:sms"
        assert message.language == "zh-hans"
        # The tenant's time, in Chinese, with the signed confirm link.
        assert "11月23日（周一） 10:00" in message.body
        assert "面部护理" not in message.body and "Facial" in message.body
        assert "/m/c/" in message.body
        assert message.segments >= 2  # Chinese: 70 characters a part, 67 when split
        assert message.body in capsys.readouterr().out
        # Booking again under the same key (a replayed cause) writes nothing new.
        from notifications import causes

        causes.appointment_changed(None, appointment=appointment, change="booked")
        assert len(_messages(appointment, Kind.CONFIRMATION)) == 1


@pytest.mark.clock(NOW)
def test_an_english_client_reads_english(cast, db, django_capture_on_commit_callbacks):
    with tenant_context(cast.tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            appointment = _book(
                cast.tenant_a, cast.practitioner_a, starts_at=MONDAY_10, language="en"
            )
        (message,) = _messages(appointment, Kind.CONFIRMATION)
        assert message.body.startswith("Alpha Aesthetics: Facial booked for Mon 23 Nov 10:00.")


@pytest.mark.clock(NOW)
def test_the_confirm_link_confirms_and_other_businesses_cannot_use_it(cast, db):
    with tenant_context(cast.tenant_a):
        appointment = _book(cast.tenant_a, cast.practitioner_a, starts_at=MONDAY_10)
        url = links.confirm_url(appointment)
        cancel = links.cancel_url(appointment)
    web = HttpClient(HTTP_HOST=cast.host_a)
    page = web.get(_path(url))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    with tenant_context(cast.tenant_a):
        # Showing the page changes nothing (link previews fetch it).
        assert Appointment.objects.get(pk=appointment.pk).status == AS.BOOKED
    assert web.post(_path(url)).status_code == 302
    with tenant_context(cast.tenant_a):
        assert Appointment.objects.get(pk=appointment.pk).status == AS.CONFIRMED
    assert "confirmed" in web.get(_path(url)).content.decode().lower()
    # The same link on another business's address, a forged one, the cancel token used
    # to confirm: refused.
    other = HttpClient(HTTP_HOST=cast.host_b)
    assert other.get(_path(url)).status_code == 404
    assert other.post(_path(url)).status_code == 404
    forged = _path(url).replace("/m/c/", "/m/c/1").rstrip("/") + "x/"
    assert web.get(forged).status_code == 404
    token = _path(cancel).split("/")[3]
    assert web.get(f"/m/c/{token}/").status_code == 404
    # Once the appointment has started the link stops working.
    with time_machine.travel(MONDAY_10 + dt.timedelta(minutes=1), tick=False):
        assert web.get(_path(url)).status_code == 400


@pytest.mark.clock(NOW)
def test_the_cancel_link_cancels_and_sends_the_notice(cast, db, django_capture_on_commit_callbacks):
    with tenant_context(cast.tenant_a):
        appointment = _book(cast.tenant_a, cast.practitioner_a, starts_at=MONDAY_10)
        path = _path(links.cancel_url(appointment))
    web = HttpClient(HTTP_HOST=cast.host_a)
    assert web.get(path).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert web.post(path, {"reason": "Ill"}).status_code == 302
    with tenant_context(cast.tenant_a):
        appointment.refresh_from_db()
        assert appointment.status == AS.CANCELLED
        assert appointment.cancelled_by == "client"
        (notice,) = _messages(appointment, Kind.CANCELLATION)
        assert notice.status in (Status.SENT, Status.DELIVERED)
        assert "cancelled" in notice.body


@pytest.mark.clock(NOW)
def test_a_move_sends_a_notice_and_cancels_the_old_time_reminder(cast, db):
    with tenant_context(cast.tenant_a):
        appointment = _book(cast.tenant_a, cast.practitioner_a, starts_at=MONDAY_10)
        with time_machine.travel(MONDAY_10 - dt.timedelta(hours=23), tick=False):
            assert tasks.enqueue_reminders() == 1
        (reminder,) = _messages(appointment, Kind.REMINDER)
        Message.objects.filter(pk=reminder.pk).update(status=Status.QUEUED)
        moved = appointment_reschedule(
            appointment=appointment,
            starts_at=MONDAY_10 + dt.timedelta(days=1),
            reason="asked",
            respect_hours=False,
        )
        reminder.refresh_from_db()
        assert reminder.status == Status.CANCELLED
        (notice,) = _messages(moved, Kind.RESCHEDULE)
        assert "Tue 24 Nov" in notice.body
        # The old confirm link leads to the booking it moved to.
        found = links.find_appointment(links.token(links.CONFIRM, appointment.pk), links.CONFIRM)
        assert found.pk == moved.pk


@pytest.mark.clock(NOW)
def test_a_requested_booking_is_confirmed_when_approved(cast, db):
    with tenant_context(cast.tenant_a):
        staff = staff_member(cast.tenant_a, cast.practitioner_a)
        facial = schedule.service("Facial", staff=[staff])
        client = ClientFactory(tenant=cast.tenant_a, name="Requested", mobile="13812345679")
        (appointment,) = appointment_book(
            client=client,
            services=[facial],
            starts_at=MONDAY_10,
            staff=staff,
            respect_hours=False,
            status=AS.REQUESTED,
        )
        assert _messages(appointment, Kind.CONFIRMATION) == []
        appointment_transition(appointment=appointment, to=AS.BOOKED)
        assert len(_messages(appointment, Kind.CONFIRMATION)) == 1


@pytest.mark.clock(NOW)
def test_a_completed_visit_gets_a_follow_up_whose_survey_lands_on_the_visit(cast, db):
    with tenant_context(cast.tenant_a):
        appointment = _book(
            cast.tenant_a, cast.practitioner_a, starts_at=NOW + dt.timedelta(minutes=30)
        )
        appointment_transition(appointment=appointment, to=AS.ARRIVED)
        visit = appointment_complete(appointment=appointment)
        (follow_up,) = list(Message.objects.filter(visit=visit, kind=Kind.FOLLOW_UP))
        hours = NotificationSettings.load().follow_up_after_hours
        assert follow_up.status == Status.QUEUED
        assert follow_up.send_after >= NOW + dt.timedelta(hours=hours)
        path = _path(links.survey_url(visit))
        assert "/m/s/" in follow_up.body
    web = HttpClient(HTTP_HOST=cast.host_a)
    assert web.get(path).status_code == 200
    refused = web.post(path, {"score": "9"})
    assert refused.status_code == 400
    assert "Choose from 1" in refused.content.decode() or "Select a valid" in (
        refused.content.decode()
    )
    assert web.post(path, {"score": "4", "comment": "Lovely"}).status_code == 302
    with tenant_context(cast.tenant_a):
        visit.refresh_from_db()
        assert visit.satisfaction == 4
        assert "Lovely" in visit.suggestions
    # Answered once: the link says so, and tenant B cannot open it.
    assert web.get(path).status_code == 400
    assert HttpClient(HTTP_HOST=cast.host_b).get(path).status_code == 404


@pytest.mark.clock(NOW)
def test_the_opt_out_link_withdraws_marketing_consent(cast, db):
    from privacy.models import Purpose
    from privacy.selectors import current_consents

    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="Opt", mobile="13812345670")
        path = _path(links.opt_out_url(client, "sms"))
    web = HttpClient(HTTP_HOST=cast.host_a)
    assert web.get(path).status_code == 200
    assert HttpClient(HTTP_HOST=cast.host_b).post(path, {"everything": "on"}).status_code == 404
    assert web.post(path, {"everything": "on"}).status_code == 200
    with tenant_context(cast.tenant_a):
        client.refresh_from_db()
        assert "do_not_contact" in client.flags
        latest = current_consents([client.pk])[client.pk][Purpose.MARKETING_SMS]
        assert latest.granted is False
    # A token for SMS does not opt out of email.
    assert web.get(path.replace("/sms/", "/email/")).status_code == 404


@pytest.mark.clock(dt.datetime(2027, 3, 20, 12, 0, tzinfo=dt.UTC))
def test_the_24_hour_reminder_counts_real_hours_across_the_clocks_going_forward(cast, db):
    """Europe/London goes to summer time at 01:00 UTC on Sunday 28 March 2027. The
    reminder of a 09:00 (BST) Sunday appointment is due 24 real hours before: 08:00 GMT
    on Saturday; the text shows 09:00."""
    with tenant_context(cast.tenant_b):
        starts = dt.datetime(2027, 3, 28, 9, 0, tzinfo=LONDON)
        appointment = _book(cast.tenant_b, cast.owner_b, starts_at=starts, language="en")
        due = dt.datetime(2027, 3, 27, 8, 0, tzinfo=dt.UTC)
        # Real hours (UTC arithmetic), not the wall clock of the day before.
        assert starts.astimezone(dt.UTC) - dt.timedelta(hours=24) == due
        assert tasks.enqueue_reminders(now=due - dt.timedelta(minutes=1)) == 0
        with time_machine.travel(due, tick=False):
            assert tasks.enqueue_reminders(now=due) == 1
            assert tasks.enqueue_reminders(now=due + dt.timedelta(minutes=1)) == 0
        (reminder,) = _messages(appointment, Kind.REMINDER)
        assert reminder.meta == {"hours_before": 24}
        assert "Sun 28 Mar 09:00" in reminder.body


@pytest.mark.clock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
def test_reminders_in_shanghai_and_quiet_hours_hold_them_until_morning(cast, db):
    """An 09:00 Shanghai appointment's 24 h reminder falls at 09:00 the day before (not
    quiet); its 2 h reminder at 07:00, inside the quiet hours (21:00–08:00): held until
    08:00, still before the appointment."""
    with tenant_context(cast.tenant_a):
        starts = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
        appointment = _book(cast.tenant_a, cast.practitioner_a, starts_at=starts)
        day_before = starts - dt.timedelta(hours=24)
        with time_machine.travel(day_before, tick=False):
            assert tasks.enqueue_reminders() == 1
        two_hours = starts - dt.timedelta(hours=2)
        with time_machine.travel(two_hours, tick=False):
            assert tasks.enqueue_reminders() == 1
        by_hours = {m.meta["hours_before"]: m for m in _messages(appointment, Kind.REMINDER)}
        assert by_hours[24].send_after == day_before
        assert by_hours[2].send_after == dt.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
        assert by_hours[2].status == Status.QUEUED


@pytest.mark.clock(NOW)
def test_a_cancelled_appointment_gets_no_reminder_and_its_queued_ones_stop(cast, db):
    with tenant_context(cast.tenant_a):
        appointment = _book(cast.tenant_a, cast.practitioner_a, starts_at=MONDAY_10)
        appointment_cancel(appointment=appointment, by="business", reason="closed")
        (confirmation,) = _messages(appointment, Kind.CONFIRMATION)
        with time_machine.travel(MONDAY_10 - dt.timedelta(hours=2), tick=False):
            assert tasks.enqueue_reminders() == 0
        assert len(_messages(appointment, Kind.CANCELLATION)) == 1


@pytest.mark.clock(NOW)
def test_tenant_b_sees_none_of_tenant_a_messages(cast, db):
    with tenant_context(cast.tenant_a):
        _book(cast.tenant_a, cast.practitioner_a, starts_at=MONDAY_10)
        assert Message.objects.filter(kind=Kind.CONFIRMATION).exists()
    with tenant_context(cast.tenant_b):
        assert not Message.objects.filter(kind=Kind.CONFIRMATION).exists()


@pytest.mark.clock(dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.UTC))  # 02:30 in Shanghai
def test_a_confirmation_answers_at_once_even_in_the_quiet_hours_but_a_follow_up_waits(cast, db):
    with tenant_context(cast.tenant_a):
        appointment = _book(cast.tenant_a, cast.practitioner_a, starts_at=MONDAY_10)
        (confirmation,) = _messages(appointment, Kind.CONFIRMATION)
        assert confirmation.send_after == dt.datetime(2026, 11, 20, 18, 30, tzinfo=dt.UTC)
        visit_appointment = _book(
            cast.tenant_a,
            cast.practitioner_a,
            starts_at=dt.datetime(2026, 11, 20, 18, 35, tzinfo=dt.UTC),
            name="Night owl",
            mobile="13812345611",
        )
        appointment_transition(appointment=visit_appointment, to=AS.ARRIVED)
        NotificationSettings.objects.update(follow_up_after_hours=1)
        visit = appointment_complete(appointment=visit_appointment)
        follow_up = Message.objects.get(visit=visit, kind=Kind.FOLLOW_UP)
        # 03:30 local is quiet: held until 08:00 Shanghai.
        assert follow_up.send_after == dt.datetime(2026, 11, 21, 8, 0, tzinfo=SHANGHAI)


@pytest.mark.clock(NOW)
def test_the_minute_round_reads_a_fixed_number_of_rows_for_reminders_already_written(
    cast, db, django_assert_max_num_queries
):
    with tenant_context(cast.tenant_a):
        for n in range(6):
            _book(
                cast.tenant_a,
                cast.practitioner_a,
                starts_at=MONDAY_10 + dt.timedelta(hours=n),
                name=f"Round {n}",
                mobile=f"1381234570{n}",
            )
        with time_machine.travel(MONDAY_10 - dt.timedelta(hours=18), tick=False):
            assert tasks.enqueue_reminders() == 6
            # Every minute after: nothing new, and the same few queries however many.
            with django_assert_max_num_queries(4):
                assert tasks.enqueue_reminders() == 0
