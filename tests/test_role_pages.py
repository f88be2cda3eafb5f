"""Pages that follow the user's role: the "not available for your role" answer, the
dashboard per role, and a Roles page that describes only what exists."""

import pytest
from django.template import Context, Template
from django_tenants.utils import tenant_context

from accounts import roles
from accounts.models import User
from accounts.roles import Capability
from accounts.services import staff_create
from tests.conftest import PASSWORD, signed_in, staff_member


@pytest.mark.parametrize("path", ["/accounts/staff/", "/settings/", "/accounts/roles/"])
def test_a_page_the_role_may_not_open_says_so_with_a_way_back(cast, front_desk_a, path):
    # when
    response = front_desk_a.get(path, HTTP_REFERER="http://alpha.localhost/clients/")
    # then
    assert response.status_code == 403
    html = response.content.decode()
    assert "Not available for your role" in html
    assert 'href="http://alpha.localhost/clients/"' in html  # back where they came from
    assert 'href="/"' in html  # and to the dashboard
    assert "Front desk" in html


def test_the_not_available_page_is_in_chinese_for_a_chinese_user(cast, db):
    # given
    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="王经理",
            email="wang@alpha.test",
            password=PASSWORD,
            roles=["manager"],
            language="zh-hans",
        )
    manager = signed_in(cast.tenant_a, cast.host_a, "wang@alpha.test")
    # when: a manager on the owner's settings page, sent from another site
    response = manager.get("/settings/", HTTP_REFERER="https://evil.test/")
    # then
    assert response.status_code == 403
    html = response.content.decode()
    assert "您的角色无法使用此页面" in html and "返回工作台" in html
    assert "evil.test" not in html


def test_a_forbidden_role_learns_nothing_about_which_objects_exist(cast, front_desk_a):
    existing = front_desk_a.get(f"/accounts/staff/{staff_member(cast.tenant_a, cast.owner_a).pk}/")
    missing = front_desk_a.get("/accounts/staff/999999/")
    assert existing.status_code == missing.status_code == 403


def test_missing_and_other_tenants_objects_still_answer_404(cast, owner_a, owner_b):
    # given: a staff id that exists only in A
    with tenant_context(cast.tenant_b):
        ids_in_b = set(User.objects.values_list("pk", flat=True))
    only_in_a = next(
        pk
        for pk in (
            staff_member(cast.tenant_a, e).pk for e in (cast.front_desk_a, cast.practitioner_a)
        )
        if pk not in ids_in_b
    )
    # then
    assert owner_a.get("/accounts/staff/999999/").status_code == 404
    assert owner_b.get(f"/accounts/staff/{only_in_a}/").status_code == 404
    assert owner_a.get(f"/accounts/staff/{only_in_a}/").status_code == 200


@pytest.mark.parametrize("who", ["front_desk_a", "practitioner_a"])
def test_front_desk_and_practitioners_see_no_staff_admin_cards(cast, request, who):
    html = request.getfixturevalue(who).get("/").content.decode()
    assert "Active staff" not in html
    assert "Open invitations" not in html
    assert "Staff with two-factor login" not in html
    assert "My follow-ups" in html


def test_the_dashboard_puts_todays_work_before_the_admin_cards(owner_a):
    html = owner_a.get("/").content.decode()
    assert "Active staff" in html and "Open invitations" in html
    assert html.index("My follow-ups") < html.index("Active staff")


def test_the_roles_page_describes_only_what_exists_today(owner_a):
    html = owner_a.get("/accounts/roles/").content.decode()
    assert str(Capability.VIEW_HEALTH.label) in html
    assert str(Capability.RECORD_TREATMENT.label) in html
    # the calendar guards its pages with the schedule capabilities
    assert str(Capability.VIEW_SCHEDULE.label) in html
    assert str(Capability.MANAGE_SCHEDULE.label) in html
    # the till guards its bill pages and its reports with the finance capabilities
    assert str(Capability.TAKE_PAYMENTS.label) in html
    assert str(Capability.VIEW_FINANCE.label) in html
    for future in (Capability.VIEW_REPORTS,):
        assert str(future.label) not in html


def test_the_roles_page_grows_when_a_feature_registers_its_capability(owner_a, monkeypatch):
    # given: a calendar lands and guards its pages with the schedule capability
    monkeypatch.setattr(roles, "_in_use", {k: list(v) for k, v in roles._in_use.items()})
    roles.capability_in_use(Capability.VIEW_SCHEDULE)
    # when
    html = owner_a.get("/accounts/roles/").content.decode()
    # then
    assert str(Capability.VIEW_SCHEDULE.label) in html


def test_templates_name_capabilities_through_the_enum(cast, db):
    with tenant_context(cast.tenant_a):
        owner = User.objects.get(email=cast.owner_a)
    context = Context({"user": owner, "Capability": Capability})
    ok = Template(
        "{% load portal_tags %}{% if user|can:Capability.MANAGE_SETTINGS %}yes{% endif %}"
    )
    assert ok.render(context) == "yes"
    typo = Template('{% load portal_tags %}{{ user|can:"settings.manag" }}')
    with pytest.raises(ValueError):
        typo.render(context)


def test_a_profile_tab_the_role_may_not_open_says_so_and_unknown_ones_are_not_found(
    cast, front_desk_a, owner_a
):
    from tests.factories import ClientFactory

    client = ClientFactory(tenant=cast.tenant_a, name="标签页")
    health = front_desk_a.get(f"/clients/{client.pk}/health/")
    assert health.status_code == 403 and "Not available for your role" in health.content.decode()
    # the role is refused before the client is looked up: no hint whether it exists
    assert front_desk_a.get("/clients/999999/health/").status_code == 403
    assert front_desk_a.get(f"/clients/{client.pk}/nonsense/").status_code == 404
    assert owner_a.get("/clients/999999/health/").status_code == 404


def test_the_dashboard_lists_todays_visits_a_practitioners_own_and_everyones_for_the_desk(
    cast, practitioner_a, front_desk_a
):
    # given: today in the business's time zone, whatever the date
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from tests.factories import ClientFactory, VisitFactory

    today = timezone.localdate(timezone=ZoneInfo("Asia/Shanghai"))
    with tenant_context(cast.tenant_a):
        doctor = User.objects.get(email=cast.practitioner_a)
        other = staff_create(
            full_name="Dr. Other",
            email="other@alpha.test",
            password=PASSWORD,
            roles=["practitioner"],
        )
    for name, who, day in (
        ("今天我的", doctor, today),
        ("今天别人的", other, today),
        ("昨天我的", doctor, today - dt.timedelta(days=1)),
    ):
        client = ClientFactory(tenant=cast.tenant_a, name=name)
        VisitFactory(tenant=cast.tenant_a, client=client, visited_on=day, practitioner=who)
    # when
    doctor_page = practitioner_a.get("/").content.decode()
    desk_page = front_desk_a.get("/").content.decode()
    # then
    assert "My visits today" in doctor_page
    assert "今天我的" in doctor_page and "今天别人的" not in doctor_page
    assert "Visits today" in desk_page
    assert "今天我的" in desk_page and "今天别人的" in desk_page
    assert "昨天我的" not in doctor_page + desk_page


def test_no_code_names_a_capability_by_its_string():
    # given every source and template of the product
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    values = "|".join(re.escape(cap.value) for cap in Capability)
    by_string = re.compile(rf"""can\(\s*["']|can:["']|["']({values})["']""")
    found = [
        f"{path.relative_to(root)}:{n}"
        for folder in ("platform", "verticals", "tenants", "api", "notifications", "billing")
        for path in (root / folder).rglob("*")
        if path.suffix in {".py", ".html"}
        and "migrations" not in path.parts
        and path.name != "roles.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if by_string.search(line)
    ]
    # then each goes through the enum (roles.py declares the values)
    assert found == []
