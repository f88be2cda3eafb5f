"""The appointments issue's finish line, in a real browser: the front desk books from a
free time on the day view, drags the appointment to another time and confirms the move,
checks the client in; the practitioner starts and completes it; and a client books
online on a phone and cancels through the link. Dates are derived from today, in the
business's own time zone, so the test passes on any day."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.e2e

CLIENT = "林晓雪"
SERVICE = "E2E hydra facial"


def _open_clinic(cast, django_db_blocker):
    """Tenant A open every day, its practitioner working 09:00–18:00, one service."""
    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from scheduling.availability import tenant_zone
        from scheduling.models import BookingSettings
        from tests import schedule
        from tests.conftest import staff_member
        from tests.factories import ClientFactory

        doctor = staff_member(cast.tenant_a, cast.practitioner_a)
        with tenant_context(cast.tenant_a):
            schedule.open_business("08:00-20:00")
            schedule.working(doctor, "09:00-18:00")
            service = schedule.service(SERVICE, staff=[doctor], minutes=60)
            service.online_bookable = True
            service.save()
            # The code texted to verify the phone has its own tests
            # (tests/test_online_booking_phone_code.py).
            BookingSettings.objects.update_or_create(
                singleton=True, defaults={"verify_phone": False}
            )
            ClientFactory(tenant=cast.tenant_a, name=CLIENT, mobile="+8613900001111")
            day = timezone.localtime(timezone.now(), tenant_zone()).date() + dt.timedelta(days=2)
        connection.set_schema_to_public()
    return doctor, service, day


def _clean(cast, django_db_blocker):
    with django_db_blocker.unblock():
        from django_tenants.utils import tenant_context

        from clients.models import Client
        from scheduling.models import (
            Appointment,
            BookingSettings,
            BusinessHours,
            Recall,
            Service,
            WorkingHours,
        )
        from visits.models import Visit

        with tenant_context(cast.tenant_a):
            Recall.objects.all().delete()
            Appointment.objects.filter(rescheduled_to__isnull=False).update(rescheduled_to=None)
            Appointment.objects.all().delete()
            Visit.objects.filter(client__name__in=[CLIENT, "Online Lin"]).delete()
            Client.objects.filter(name__in=[CLIENT, "Online Lin"]).delete()
            Service.objects.filter(name=SERVICE).delete()
            WorkingHours.objects.all().delete()
            BusinessHours.objects.all().delete()
            BookingSettings.objects.all().delete()
        connection.set_schema_to_public()


def test_front_desk_books_moves_checks_in_and_the_practitioner_completes(
    cast, live_server_url, browser, django_db_blocker
):
    port = live_server_url.rsplit(":", 1)[1]
    base = f"http://{cast.host_a}:{port}"
    doctor, service, day = _open_clinic(cast, django_db_blocker)
    ARTIFACTS.mkdir(exist_ok=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    clinician = browser.new_context(viewport={"width": 1280, "height": 900})
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    try:
        page = desk.new_page()
        sign_in(page, base, cast.front_desk_a, cast.password)
        page.goto(f"{base}/appointments/?day={day.isoformat()}&staff={doctor.pk}")
        # a click on the free 10:00 opens the booking form with the time and staff
        page.get_by_role("link", name="Book at 10:00").click()
        page.fill("input[name=q]", "林晓")
        page.get_by_role("button", name="Search").click()
        page.get_by_role("button", name="Choose").first.click()
        first_service = page.locator("select[name^=service]").first
        wanted = first_service.locator("option", has_text=SERVICE).get_attribute("value")
        first_service.select_option(wanted)
        page.get_by_role("button", name="Book", exact=True).click()
        appointment = page.locator(".cal-appt", has_text=CLIENT)
        expect(appointment).to_contain_text("10:00–11:00")
        page.screenshot(path=str(ARTIFACTS / "calendar-booked.png"), full_page=True)
        # dragged to 14:00: the move page says what changes, and the move is confirmed
        column = page.locator(f'.cal-col[data-staff="{doctor.pk}"]')
        appointment.drag_to(column.get_by_role("link", name="Book at 14:00"))
        expect(page.locator("main")).to_contain_text("14:00")
        page.screenshot(path=str(ARTIFACTS / "calendar-move-confirm.png"), full_page=True)
        page.get_by_role("button", name="Move appointment").click()
        moved = page.locator(".cal-appt", has_text=CLIENT)
        expect(moved).to_contain_text("14:00–15:00")
        # checked in from its page
        moved.click()
        page.get_by_role("button", name="Check in").click()
        expect(page.locator("main")).to_contain_text("Arrived")
        appointment_url = page.url

        page = clinician.new_page()
        sign_in(page, base, cast.practitioner_a, cast.password)
        page.goto(appointment_url)
        page.get_by_role("button", name="Start").click()
        page.get_by_role("button", name="Complete").click()
        expect(page.locator("main")).to_contain_text("Completed")
        page.screenshot(path=str(ARTIFACTS / "appointment-completed.png"), full_page=True)
        with django_db_blocker.unblock():
            from django_tenants.utils import tenant_context

            from visits.models import Visit

            with tenant_context(cast.tenant_a):
                visit = Visit.objects.get(client__name=CLIENT)
                assert visit.appointment.status == "completed"
            connection.set_schema_to_public()

        # a client books online on a phone, in Chinese, and cancels through the link
        page = phone.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(f"{base}/book/")
        page.get_by_role("link", name=re.compile(SERVICE)).click()
        # (who: anyone; the day: the one the clinic used above)
        page.goto(f"{base}/book/{service.pk}/times/?staff=any&day={day.isoformat()}")
        page.locator("main a.btn", has_text=re.compile(r"^\d\d:\d\d$")).first.click()
        page.fill("input[name=name]", "Online Lin")
        page.fill("input[name=phone]", "139 0000 2222")
        page.locator("button.book-submit").click()
        expect(page.locator("main")).to_contain_text(SERVICE)
        page.screenshot(path=str(ARTIFACTS / "online-booked-zh.png"), full_page=True)
        manage = page.locator("a[href*='/book/manage/']").first.get_attribute("href")
        page.goto(manage if manage.startswith("http") else base + manage)
        page.locator("button.danger").click()
        expect(page.locator("main")).to_contain_text("取消")
        page.screenshot(path=str(ARTIFACTS / "online-cancelled-zh.png"), full_page=True)
    finally:
        desk.close()
        clinician.close()
        phone.close()
        _clean(cast, django_db_blocker)
