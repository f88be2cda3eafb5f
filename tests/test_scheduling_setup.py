"""The scheduling set-up: services of the menu, hours, time off, holidays and booking
rules (scheduling.setup), the starting menu signup seeds, who is bookable, and the
set-up pages under /appointments/setup/."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from accounts.services import staff_create
from audit.models import AuditEntry
from scheduling import selectors, setup
from scheduling.models import (
    Appointment,
    BookingSettings,
    BusinessHours,
    Holiday,
    Resource,
    Service,
    ServiceCategory,
    TimeOff,
    WorkingHours,
)
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory

pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
T = dt.time.fromisoformat


def _service(name="Test peel", staff=(), **values) -> Service:
    return setup.service_save(
        service=None,
        values={"name": name, "duration_minutes": 30, "price": Decimal("100"), **values},
        staff=list(staff),
    )


def _post_data(service: Service, **changes) -> dict:
    data = {
        "name": service.name,
        "category": service.category_id or "",
        "duration_minutes": service.duration_minutes,
        "buffer_before_minutes": service.buffer_before_minutes,
        "buffer_after_minutes": service.buffer_after_minutes,
        "price": str(service.price),
        "colour": service.colour,
        "recall_days": service.recall_days or "",
        "order": service.order,
        "online_bookable": "on" if service.online_bookable else "",
        "staff": [u.pk for u in service.staff.all()],
        "resources": [r.pk for r in service.resources.all()],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


# ---------- the starting menu ----------


def test_signup_seeded_the_aesthetic_menu_performed_by_the_owner(cast, db):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        menu = {s.name: s for s in Service.objects.prefetch_related("staff", "resources")}
        assert {"面部深层清洁", "水光针补水", "光子嫩肤 IPL"} <= set(menu)
        assert menu["水光针补水"].recall_days == 28
        assert menu["光子嫩肤 IPL"].recall_days == 30
        assert [r.name for r in menu["光子嫩肤 IPL"].resources.all()] == ["光子治疗仪"]
        assert all(list(s.staff.all()) == [owner] for s in menu.values())
        assert ServiceCategory.objects.filter(name="注射").exists()
        # open Monday to Saturday 09:00–18:00, and so is the owner
        assert sorted(BusinessHours.objects.values_list("weekday", flat=True)) == list(range(6))
        assert set(BusinessHours.objects.values_list("opens", "closes")) == {
            (T("09:00"), T("18:00"))
        }
        assert WorkingHours.objects.filter(staff=owner).count() == 6


def test_signup_seeded_the_dental_menu_with_a_six_month_recall(cast, db):
    with tenant_context(cast.tenant_b):
        cleaning = Service.objects.get(name="Check-up and cleaning")
        assert cleaning.recall_days == 182
        assert {r.kind for r in cleaning.resources.all()} == {"chair"}
        assert Resource.objects.filter(kind="chair").count() == 2


def test_the_optical_menu_rechecks_after_twelve_months():
    from verticals.registry import for_business_type

    menu = for_business_type("optical").starting_menu
    assert next(line for line in menu if line.name == "Eye examination").recall_days == 365


# ---------- services ----------


def test_a_service_is_saved_with_its_staff_and_resources_and_audited(cast, db):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        room = setup.resource_save(resource=None, values={"name": "Room 9", "kind": "room"})
        # when
        service = setup.service_save(
            service=None,
            values={"name": "Peel", "duration_minutes": 40, "buffer_after_minutes": 10},
            staff=[doctor],
            resources=[room],
            actor=doctor,
        )
        # then
        service.refresh_from_db()
        assert list(service.staff.all()) == [doctor]
        assert list(service.resources.all()) == [room]
        entry = AuditEntry.objects.filter(object_type="service", object_id=str(service.pk)).get()
        assert entry.changes["staff"] == [None, [doctor.pk]]


def test_two_offered_services_cannot_share_a_name(cast, db):
    with tenant_context(cast.tenant_a):
        _service("Peel")
        with pytest.raises(ValidationError) as refused:
            _service("Peel")
    assert refused.value.message_dict["name"] == ["An offered service already has this name."]


def test_retiring_a_service_keeps_its_appointments_and_it_cannot_be_deleted(cast, db):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        service = _service("Peel", staff=[doctor])
        start = dt.datetime(2026, 11, 23, 10, tzinfo=SHANGHAI)
        booked = Appointment.objects.create(
            client=ClientFactory(tenant=cast.tenant_a),
            service=service,
            staff=doctor,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            blocked_from=start,
            blocked_until=start + dt.timedelta(minutes=30),
        )
        # when
        setup.service_retire(service=service)
        # then
        booked.refresh_from_db()
        assert booked.service_id == service.pk
        assert service not in selectors.services_for_booking(online=False)
        with pytest.raises(ValidationError):
            setup.service_delete(service=service)
        # a new service may take the retired one's name; offering the old one again may not
        _service("Peel", staff=[doctor])
        with pytest.raises(ValidationError):
            setup.service_reoffer(service=service)


def test_a_service_never_booked_can_be_deleted(cast, db):
    with tenant_context(cast.tenant_a):
        service = _service("Peel")
        setup.service_delete(service=service)
        assert not Service.objects.filter(pk=service.pk).exists()


# ---------- hours, time off, holidays, rules ----------


def test_working_hours_with_a_break_replace_the_week(cast, db):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        setup.working_hours_set(
            staff=doctor, hours={0: [(T("13:00"), T("18:00")), (T("09:00"), T("12:00"))]}
        )
        assert setup.staff_week(doctor)[0] == [(T("09:00"), T("12:00")), (T("13:00"), T("18:00"))]
        assert setup.staff_week(doctor)[1] == []
        entry = AuditEntry.objects.filter(object_type="working_hours").latest("pk")
    assert entry.changes["weekday_0"] == ["", "09:00–12:00, 13:00–18:00"]


def test_overlapping_working_hours_are_refused_on_their_day(cast, db):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        with pytest.raises(ValidationError) as refused:
            setup.working_hours_set(
                staff=doctor, hours={2: [(T("09:00"), T("13:00")), (T("12:00"), T("18:00"))]}
            )
        with pytest.raises(ValidationError) as backwards:
            setup.business_hours_set(hours={4: [(T("18:00"), T("09:00"))]})
    assert refused.value.message_dict["day_2"] == [
        "Wednesday: the times overlap. Leave a gap for a break."
    ]
    assert backwards.value.message_dict["day_4"] == ["The end must be after the start."]


def test_time_off_must_end_after_it_starts_and_not_overlap(cast, db):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    start = dt.datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)
    with tenant_context(cast.tenant_a):
        off = setup.time_off_add(
            staff=doctor, starts_at=start, ends_at=start + dt.timedelta(days=2), reason="training"
        )
        with pytest.raises(ValidationError) as overlap:
            setup.time_off_add(staff=doctor, starts_at=start, ends_at=start + dt.timedelta(hours=1))
        with pytest.raises(ValidationError) as backwards:
            setup.time_off_add(staff=doctor, starts_at=start, ends_at=start)
        setup.time_off_delete(time_off=off)
        assert not TimeOff.objects.filter(staff=doctor).exists()
        created = AuditEntry.objects.filter(object_type="time_off", action="create").latest("pk")
    assert "starts_at" in overlap.value.message_dict
    assert "ends_at" in backwards.value.message_dict
    # the reason is named in the trail, never copied into it
    assert "reason" in created.fields and "reason" not in created.changes


def test_a_date_is_a_holiday_once(cast, db):
    day = dt.date(2027, 2, 6)
    with tenant_context(cast.tenant_a):
        holiday = setup.holiday_save(holiday=None, values={"day": day, "name": "春节"})
        with pytest.raises(ValidationError) as refused:
            setup.holiday_save(holiday=None, values={"day": day, "name": "again"})
        setup.holiday_delete(holiday=holiday)
        assert not Holiday.objects.exists()
    assert "day" in refused.value.message_dict


def test_booking_rules_are_validated_and_saved(cast, db):
    with tenant_context(cast.tenant_a):
        setup.booking_settings_update(values={"approval_required": True, "slot_minutes": 30})
        with pytest.raises(ValidationError) as refused:
            setup.booking_settings_update(values={"max_days_ahead": 0})
        rules = BookingSettings.load()
    assert (rules.approval_required, rules.slot_minutes, rules.max_days_ahead) == (True, 30, 60)
    assert "max_days_ahead" in refused.value.message_dict


# ---------- who is bookable ----------


def test_bookable_staff_leaves_out_who_performs_nothing(cast, db):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        assert owner in selectors.bookable_staff()
        assert doctor not in selectors.bookable_staff()
        retired = _service("Old peel", staff=[doctor])
        setup.service_retire(service=retired)
        assert doctor not in selectors.bookable_staff()
        _service("New peel", staff=[doctor])
        assert doctor in selectors.bookable_staff()


def test_the_menu_groups_services_by_category_and_online_leaves_out_offline_ones(cast, db):
    with tenant_context(cast.tenant_a):
        owner = staff_member(cast.tenant_a, cast.owner_a)
        phone_only = _service("Phone consult", staff=[owner], online_bookable=False)
        groups = {g.category.name if g.category else None: g for g in selectors.service_menu()}
        assert "面部深层清洁" in [s.name for s in groups["皮肤护理"].services]
        assert phone_only in groups[None].services
        assert phone_only in selectors.services_for_booking(online=False)
        assert phone_only not in selectors.services_for_booking(online=True)


# ---------- pages ----------

PAGES = [
    "/appointments/setup/",
    "/appointments/setup/services/",
    "/appointments/setup/services/new/",
    "/appointments/setup/categories/",
    "/appointments/setup/resources/",
    "/appointments/setup/hours/",
    "/appointments/setup/staff/",
    "/appointments/setup/holidays/",
    "/appointments/setup/online/",
]


def test_the_owner_opens_every_set_up_page_and_front_desk_is_refused(cast, owner_a, front_desk_a):
    for url in PAGES:
        assert owner_a.get(url).status_code == 200, url
        assert front_desk_a.get(url).status_code == 403, url
        assert front_desk_a.post(url, {}).status_code == 403, url


def test_the_menu_page_shows_price_in_the_currency_and_performers(cast, owner_a):
    page = owner_a.get("/appointments/setup/services/").content.decode()
    assert "水光针补水" in page and "CNY 1280.00" in page and "Olivia Owner" in page
    assert 'class="swatch swatch-blue"' in page


def test_the_owner_adds_and_edits_a_service_on_the_page(cast, owner_a):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    # when
    response = owner_a.post(
        "/appointments/setup/services/new/",
        {
            "name": "Peel",
            "duration_minutes": "40",
            "buffer_before_minutes": "0",
            "buffer_after_minutes": "5",
            "price": "250",
            "colour": "pink",
            "order": "0",
            "staff": [doctor.pk],
            "online_bookable": "on",
        },
    )
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        service = Service.objects.get(name="Peel")
        assert list(service.staff.all()) == [doctor]
        data = _post_data(service, duration_minutes="50")
    assert owner_a.post(f"/appointments/setup/services/{service.pk}/", data).status_code == 302
    assert owner_a.post(f"/appointments/setup/services/{service.pk}/retire/").status_code == 302
    with tenant_context(cast.tenant_a):
        service.refresh_from_db()
        assert (service.duration_minutes, service.active) == (50, False)


def test_the_owner_saves_categories_resources_holidays_and_rules(cast, owner_a):
    assert (
        owner_a.post("/appointments/setup/categories/", {"name": "Peels", "order": "3"}).status_code
        == 302
    )
    assert (
        owner_a.post(
            "/appointments/setup/resources/", {"name": "Room 7", "kind": "room"}
        ).status_code
        == 302
    )
    assert (
        owner_a.post(
            "/appointments/setup/holidays/", {"day": "2027-01-01", "name": "New Year"}
        ).status_code
        == 302
    )
    rules = {
        "online_enabled": "on",
        "min_notice_minutes": "60",
        "max_days_ahead": "30",
        "slot_minutes": "15",
        "late_cancel_hours": "12",
    }
    assert owner_a.post("/appointments/setup/online/", rules).status_code == 302
    with tenant_context(cast.tenant_a):
        assert ServiceCategory.objects.filter(name="Peels").exists()
        assert Resource.objects.filter(name="Room 7").exists()
        assert Holiday.objects.filter(day=dt.date(2027, 1, 1)).exists()
        assert BookingSettings.load().max_days_ahead == 30


def test_the_owner_sets_business_hours_on_the_weekly_grid(cast, owner_a):
    data = {
        "day_0": "on",
        "day_0_from1": "09:00",
        "day_0_to1": "12:00",
        "day_0_from2": "14:00",
        "day_0_to2": "19:00",
    }
    assert owner_a.post("/appointments/setup/hours/", data).status_code == 302
    with tenant_context(cast.tenant_a):
        assert setup.business_week()[0] == [(T("09:00"), T("12:00")), (T("14:00"), T("19:00"))]
        assert setup.business_week()[1] == []


def test_overlapping_working_hours_are_shown_beside_the_day(cast, owner_a):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    data = {
        "form": "hours",
        "day_1": "on",
        "day_1_from1": "09:00",
        "day_1_to1": "13:00",
        "day_1_from2": "12:00",
        "day_1_to2": "18:00",
    }
    # when
    response = owner_a.post(f"/appointments/setup/staff/{doctor.pk}/", data)
    # then
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_day_1_errors"' in page and "Tuesday: the times overlap" in page
    with tenant_context(cast.tenant_a):
        assert not WorkingHours.objects.filter(staff=doctor).exists()


def test_the_owner_adds_and_deletes_a_staff_members_time_off(cast, owner_a):
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    url = f"/appointments/setup/staff/{doctor.pk}/"
    data = {
        "form": "time_off",
        "starts_at": "2026-12-01T09:00",
        "ends_at": "2026-12-03T18:00",
        "reason": "Course",
    }
    assert owner_a.post(url, data).status_code == 302
    with tenant_context(cast.tenant_a):
        off = TimeOff.objects.get(staff=doctor)
        assert off.starts_at == dt.datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)
    assert "Course" in owner_a.get(url).content.decode()
    assert owner_a.post(f"/appointments/setup/time-off/{off.pk}/delete/").status_code == 302
    with tenant_context(cast.tenant_a):
        assert not TimeOff.objects.filter(staff=doctor).exists()


def test_tenant_b_cannot_open_or_change_tenant_as_service(cast, twins, db):
    # given a service of A and one of B under the same id
    a_service, _b_service = twins(Service, lambda tenant: _service(f"Twin {tenant.schema_name}"))
    owner_b = signed_in(cast.tenant_b, cast.host_b, cast.owner_b)
    with tenant_context(cast.tenant_a):
        only_in_a = _service("Only in A")
    # then B sees its own row under the shared id, never A's, and none under A's own id
    assert (
        f"Twin {cast.tenant_a.schema_name}"
        not in owner_b.get(f"/appointments/setup/services/{a_service.pk}/").content.decode()
    )
    assert owner_b.get(f"/appointments/setup/services/{only_in_a.pk}/").status_code == 404
    assert owner_b.post(f"/appointments/setup/services/{only_in_a.pk}/retire/").status_code == 404
    with tenant_context(cast.tenant_a):
        only_in_a.refresh_from_db()
        assert only_in_a.active


def test_the_menu_page_keeps_its_queries_as_services_grow(
    cast, owner_a, django_assert_max_num_queries
):
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        for n in range(15):
            _service(f"Extra {n}", staff=[owner])
    with django_assert_max_num_queries(20):
        assert owner_a.get("/appointments/setup/services/").status_code == 200


def test_the_set_up_pages_read_in_chinese(cast, db):
    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="经理",
            email="zh@alpha.test",
            password="x-Pass-2026-abc",
            roles=["manager"],
            language="zh-hans",
        )
    manager = signed_in(cast.tenant_a, cast.host_a, "zh@alpha.test")
    page = manager.get("/appointments/setup/hours/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "服务与排班" in text and "营业时间" in text and "星期一" in text
