"""The outbox's finish line, in a real browser: the front desk books an appointment on
the calendar and its confirmation leaves at once (console backend); the client opens the
confirm link on a phone, in Chinese, and the calendar shows the booking confirmed; the
24-hour reminder is written and sent when its time comes (the clock moved there); the
message log shows both messages and each one's life, in English and in Chinese. Dates
derive from today in the business's zone."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

CLIENT = "周明华"
SERVICE = "E2E message facial"


def _open_clinic(cast, django_db_blocker):
    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from scheduling.availability import tenant_zone
        from tests import schedule
        from tests.conftest import staff_member
        from tests.factories import ClientFactory

        doctor = staff_member(cast.tenant_a, cast.practitioner_a)
        with tenant_context(cast.tenant_a):
            schedule.open_business("08:00-20:00")
            schedule.working(doctor, "09:00-18:00")
            schedule.service(SERVICE, staff=[doctor], minutes=60)
            ClientFactory(
                tenant=cast.tenant_a, name=CLIENT, mobile="+8613900003333", language="zh-hans"
            )
            day = timezone.localtime(timezone.now(), tenant_zone()).date() + dt.timedelta(days=3)
        connection.set_schema_to_public()
    return doctor, day


def _clean(cast, django_db_blocker):
    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from accounts.models import User
        from clients.models import Client
        from notifications.models import Message
        from scheduling.models import Appointment, BusinessHours, Service, WorkingHours

        with tenant_context(cast.tenant_a):
            # The front desk switched the portal to Chinese: back to the default for the
            # tests that follow (the live server's data is committed).
            User.objects.filter(email=cast.front_desk_a).update(language="")
            Message.objects.filter(client__name=CLIENT).delete()
            Appointment.objects.filter(client__name=CLIENT).delete()
            Client.objects.filter(name=CLIENT).delete()
            Service.objects.filter(name=SERVICE).delete()
            WorkingHours.objects.all().delete()
            BusinessHours.objects.all().delete()
        connection.set_schema_to_public()


def _messages(cast, django_db_blocker):
    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from notifications.models import Message

        with tenant_context(cast.tenant_a):
            rows = list(
                Message.objects.filter(client__name=CLIENT)
                .select_related("appointment")
                .order_by("id")
            )
        connection.set_schema_to_public()
    return rows


def test_a_booking_is_confirmed_by_its_link_reminded_and_logged(
    cast, live_server_url, browser, django_db_blocker, capsys
):
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    doctor, day = _open_clinic(cast, django_db_blocker)
    ARTIFACTS.mkdir(exist_ok=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = desk.new_page()
        sign_in(page, base, cast.front_desk_a, cast.password)
        page.goto(f"{base}/appointments/?day={day.isoformat()}&staff={doctor.pk}")
        page.get_by_role("link", name="Book at 10:00").click()
        page.fill("input[name=q]", CLIENT[:2])
        page.get_by_role("button", name="Search").click()
        page.get_by_role("button", name="Choose").first.click()
        first_service = page.locator("select[name^=service]").first
        wanted = first_service.locator("option", has_text=SERVICE).get_attribute("value")
        first_service.select_option(wanted)
        page.get_by_role("button", name="Book", exact=True).click()
        expect(page.locator(".cal-appt", has_text=CLIENT)).to_contain_text("10:00–11:00")

        # The confirmation left at once, in the client's language, on the console.
        (confirmation,) = _messages(cast, django_db_blocker)
        assert confirmation.kind == "confirmation"
        assert confirmation.status == "delivered"
        assert "10:00" in confirmation.body and "您好" in confirmation.body
        assert confirmation.body in capsys.readouterr().out
        link = re.search(r"https?://\S+/m/c/\S+/", confirmation.body).group(0)

        # The client confirms on the phone, in Chinese.
        mobile = phone.new_page()
        mobile.goto(link)
        expect(mobile.locator("main")).to_contain_text("确认预约")
        mobile.screenshot(path=str(ARTIFACTS / "message-confirm-link-zh.png"), full_page=True)
        mobile.locator("main form button").click()
        expect(mobile.locator("main")).to_contain_text("您的预约已确认")
        mobile.screenshot(path=str(ARTIFACTS / "message-confirmed-zh.png"), full_page=True)

        # The calendar shows it confirmed.
        page.goto(f"{base}/appointments/?day={day.isoformat()}&staff={doctor.pk}")
        page.locator(".cal-appt", has_text=CLIENT).click()
        expect(page.locator("main")).to_contain_text("Confirmed")

        # The 24-hour reminder, when its time comes.
        starts_at = confirmation.appointment.starts_at
        moment = starts_at - dt.timedelta(hours=24)
        with (
            time_machine.travel(moment + dt.timedelta(minutes=1), tick=False),
            django_db_blocker.unblock(),
        ):
            from django_tenants.utils import tenant_context

            from notifications import tasks

            with tenant_context(cast.tenant_a):
                done = tasks.run_due()
            connection.set_schema_to_public()
        assert done["reminders"] == 1
        kinds = {m.kind: m for m in _messages(cast, django_db_blocker)}
        assert kinds["reminder"].status in ("sent", "delivered")
        # Written and sent by the minute's round that followed its moment.
        assert moment < kinds["reminder"].sent_at <= moment + dt.timedelta(minutes=1)

        # The message log, with each message's life, in English then in Chinese.
        page.goto(f"{base}/messages/")
        expect(page.locator("main")).to_contain_text("Booking confirmation")
        expect(page.locator("main")).to_contain_text("Appointment reminder")
        page.screenshot(path=str(ARTIFACTS / "message-log-en.png"), full_page=True)
        page.goto(f"{base}/messages/{confirmation.pk}/")
        expect(page.locator("main")).to_contain_text("Delivered")
        expect(page.locator("main")).to_contain_text("Queued")
        page.screenshot(path=str(ARTIFACTS / "message-life-en.png"), full_page=True)
        page.locator("select[name=language]").first.select_option("zh-hans")
        page.wait_for_load_state()
        expect(page.locator("main")).to_contain_text("已送达")
        page.screenshot(path=str(ARTIFACTS / "message-life-zh.png"), full_page=True)
        page.goto(f"{base}/messages/")
        expect(page.locator("main")).to_contain_text("预约确认")
        expect(page.locator("main")).to_contain_text("预约提醒")
        page.screenshot(path=str(ARTIFACTS / "message-log-zh.png"), full_page=True)
    finally:
        desk.close()
        phone.close()
        _clean(cast, django_db_blocker)
