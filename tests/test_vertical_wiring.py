"""The vertical registry wired into the core: demo records, completion checks and the
visit-record form, recall defaults, documents on the profile, allergy alerts, import
columns, business types, the owner's clinical modules and the gating of tabs and
navigation by the verticals a business has on."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.roles import Capability, ExtraCapability
from scheduling.models import Appointment, Recall, Status
from scheduling.services import appointment_book, appointment_transition
from tenants.models import Tenant
from tests import schedule
from tests.conftest import staff_member
from tests.factories import ClientFactory
from verticals import registry
from visits.models import Visit

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Monday 23 November 2026, 09:00 in Shanghai (tenant A's zone).
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))
MONDAY = dt.date(2026, 11, 23)


@pytest.fixture
def fake_vertical(monkeypatch):
    """A test-only trade ("lab") in the registry, removed after the test; change it with
    ``set(**fields)``."""

    def put(**fields):
        vertical = registry.Vertical(key="lab", label="Lab", business_types=(), **fields)
        monkeypatch.setitem(registry._verticals, "lab", vertical)
        return vertical

    put()
    return put


def _turn_on(tenant, *keys):
    Tenant.objects.filter(pk=tenant.pk).update(extra_verticals=list(keys))


def _arrived(tenant, email, *, vertical="", recall_days=None):
    """An appointment of tenant's at 10:00 today, checked in, of a service of ``vertical``."""
    person = staff_member(tenant, email)
    with tenant_context(tenant):
        schedule.open_business("08:00-20:00")
        schedule.working(person, "09:00-12:00 13:00-18:00")
        service = schedule.service("Lab work", staff=[person], recall_days=recall_days)
        service.vertical = vertical
        service.save(update_fields=["vertical"])
        client = ClientFactory(tenant=tenant, name="Wendy Wang", mobile="+8613812345678")
        (made,) = appointment_book(
            client=client,
            services=[service],
            starts_at=dt.datetime.combine(MONDAY, dt.time(10), tzinfo=SHANGHAI),
            staff=person,
        )
        appointment_transition(appointment=made, to=Status.ARRIVED)
    return made


# ---------- 1. demo records ----------


def test_seed_demo_hands_the_trade_its_clients_oldest_first_and_staff_in_the_tenant(
    cast, db, fake_vertical
):
    from tenants.management.commands.seed_demo import Command

    seen = {}

    def seed(tenant, clients, staff_by_email, today):
        seen.update(
            tenant=tenant.pk,
            schema=connection.schema_name,
            connection_tenant=connection.tenant.pk,
            clients=[c.name for c in clients],
            staff=set(staff_by_email),
            today=today,
        )

    with tenant_context(cast.tenant_a):
        for name in ("First", "Second", "Third"):
            ClientFactory(tenant=cast.tenant_a, name=name)
    vertical = fake_vertical(seed_demo_records=seed)
    Command()._demo_vertical_records(cast.tenant_a, vertical)
    assert seen["tenant"] == cast.tenant_a.pk == seen["connection_tenant"]
    assert seen["schema"] == cast.tenant_a.schema_name
    assert seen["clients"][-3:] == ["First", "Second", "Third"]
    assert {cast.owner_a, cast.practitioner_a, cast.front_desk_a} <= seen["staff"]
    assert seen["today"] == MONDAY


def test_seed_demo_skips_a_trade_without_demo_records(cast, db, fake_vertical):
    from tenants.management.commands.seed_demo import Command

    # a trade that declares none is simply passed over
    Command()._demo_vertical_records(cast.tenant_a, fake_vertical())


# ---------- 2. completing an appointment ----------


def test_a_completion_check_refuses_with_its_message_and_nothing_is_written(
    cast, practitioner_a, fake_vertical
):
    def needs_consent(appointment):
        if appointment.service.vertical == "lab":
            raise ValidationError("The consent for this treatment is not signed yet.")

    fake_vertical(completion_checks=(needs_consent,))
    _turn_on(cast.tenant_a, "lab")
    made = _arrived(cast.tenant_a, cast.practitioner_a, vertical="lab", recall_days=30)
    answer = practitioner_a.post(f"/appointments/{made.pk}/status/", {"action": "complete"})
    # The appointment page again, the reason beside its Complete button (not a flash).
    assert answer.status_code == 400
    page = answer.content.decode()
    assert 'id="complete-refused"' in page and 'value="complete"' in page
    assert "The consent for this treatment is not signed yet." in page
    with tenant_context(cast.tenant_a):
        row = Appointment.objects.get(pk=made.pk)
        assert row.status == Status.ARRIVED and row.visit_id is None
        assert not Visit.objects.filter(client_id=made.client_id).exists()
        assert not Recall.objects.filter(client_id=made.client_id).exists()
    later = practitioner_a.get(f"/appointments/{made.pk}/").content.decode()
    assert "not signed yet" not in later


def test_a_completion_check_can_carry_a_link_to_put_it_right(
    cast, practitioner_a, front_desk_a, fake_vertical
):
    """The core knows nothing of consents: the check's error carries the address, its
    label and the capability needed to follow it, in its params."""

    def needs_form(appointment):
        raise ValidationError(
            "Form %(name)s is missing.",
            params={
                "name": "X-1",
                "url": f"/clients/{appointment.client_id}/",
                "url_label": "Fill in form X-1",
                "url_capability": Capability.RECORD_TREATMENT,
            },
        )

    fake_vertical(completion_checks=(needs_form,))
    _turn_on(cast.tenant_a, "lab")
    made = _arrived(cast.tenant_a, cast.practitioner_a, vertical="lab", recall_days=30)
    action = f"/appointments/{made.pk}/status/"
    page = practitioner_a.post(action, {"action": "complete"}).content.decode()
    assert "Form X-1 is missing." in page
    assert f'href="/clients/{made.client_id}/">Fill in form X-1</a>' in page
    # Front desk (no treatment.record) is told why, without the link.
    desk = front_desk_a.post(action, {"action": "complete"})
    assert desk.status_code == 400
    assert "Form X-1 is missing." in desk.content.decode()
    assert "Fill in form X-1" not in desk.content.decode()


def test_a_completion_check_of_a_trade_that_is_off_holds_nothing_up(
    cast, practitioner_a, fake_vertical
):
    """A trade turned off keeps its records but its pages are 404: its check (a consent
    still tied to the service) must not leave the appointment impossible to complete."""

    def needs_consent(appointment):
        raise ValidationError("The consent for this treatment is not signed yet.")

    fake_vertical(completion_checks=(needs_consent,))
    made = _arrived(cast.tenant_a, cast.practitioner_a, vertical="lab")
    answer = practitioner_a.post(f"/appointments/{made.pk}/status/", {"action": "complete"})
    assert answer.status_code == 302
    with tenant_context(cast.tenant_a):
        assert Appointment.objects.get(pk=made.pk).status == Status.COMPLETED


def test_completing_opens_the_trades_visit_record_when_it_is_on_and_the_user_may(
    cast, practitioner_a, front_desk_a, fake_vertical
):
    fake_vertical(
        visit_record=registry.VisitRecord(
            label="Lab record",
            url_name="dental:visit_record",
            capability=Capability.RECORD_TREATMENT,
        )
    )
    _turn_on(cast.tenant_a, "lab")
    made = _arrived(cast.tenant_a, cast.practitioner_a, vertical="lab")
    answer = practitioner_a.post(f"/appointments/{made.pk}/status/", {"action": "complete"})
    with tenant_context(cast.tenant_a):
        visit_id = Appointment.objects.get(pk=made.pk).visit_id
    assert visit_id and answer["Location"] == f"/dental/visit/{visit_id}/"
    # and the appointment's page links to it afterwards
    page = practitioner_a.get(f"/appointments/{made.pk}/").content.decode()
    assert f'href="/dental/visit/{visit_id}/">Lab record</a>' in page


def test_completing_stays_on_the_appointment_when_the_trade_is_off(
    cast, practitioner_a, fake_vertical
):
    fake_vertical(
        visit_record=registry.VisitRecord(
            label="Lab record",
            url_name="dental:visit_record",
            capability=Capability.RECORD_TREATMENT,
        )
    )
    made = _arrived(cast.tenant_a, cast.practitioner_a, vertical="lab")
    answer = practitioner_a.post(f"/appointments/{made.pk}/status/", {"action": "complete"})
    assert answer["Location"] == f"/appointments/{made.pk}/"
    with tenant_context(cast.tenant_a):
        assert Appointment.objects.get(pk=made.pk).status == Status.COMPLETED


def test_a_user_without_the_record_capability_is_not_sent_to_the_form(cast, owner_a, fake_vertical):
    fake_vertical(
        visit_record=registry.VisitRecord(
            label="Lab record",
            url_name="dental:visit_record",
            capability=ExtraCapability("lab.nobody", "Nobody has it"),
        )
    )
    _turn_on(cast.tenant_a, "lab")
    made = _arrived(cast.tenant_a, cast.owner_a, vertical="lab")
    answer = owner_a.post(f"/appointments/{made.pk}/status/", {"action": "complete"})
    assert answer["Location"] == f"/appointments/{made.pk}/"


def test_the_service_form_offers_only_the_trades_the_business_has_on(cast, owner_a):
    page = owner_a.get("/appointments/setup/services/new/").content.decode()
    # one trade only: no choice to make, the field is not shown
    assert 'name="vertical"' not in page
    _turn_on(cast.tenant_a, "dental")
    page = owner_a.get("/appointments/setup/services/new/").content.decode()
    assert 'name="vertical"' in page and 'value="dental"' in page
    assert 'value="optical"' not in page


# ---------- 6. recall defaults ----------


def test_a_service_without_its_own_interval_takes_the_trades_recall_months(cast, db, fake_vertical):
    from scheduling.services import appointment_complete

    fake_vertical(recall_months=6)
    made = _arrived(cast.tenant_a, cast.practitioner_a, vertical="lab")
    with tenant_context(cast.tenant_a):
        appointment_complete(appointment=made)
        recall = Recall.objects.get(client_id=made.client_id)
    assert recall.due_on == dt.date(2027, 5, 23)


def test_the_services_own_interval_wins_and_none_anywhere_means_no_recall(cast, db, fake_vertical):
    from scheduling.services import appointment_complete, recall_due_on

    fake_vertical(recall_months=6)
    made = _arrived(cast.tenant_a, cast.practitioner_a, vertical="lab", recall_days=30)
    with tenant_context(cast.tenant_a):
        appointment_complete(appointment=made)
        assert Recall.objects.get(client_id=made.client_id).due_on == dt.date(2026, 12, 23)
        plain = schedule.service("Plain facial")
        assert recall_due_on(plain, MONDAY) is None
        # the month's last day when the day does not exist six months on
        plain.vertical = "lab"
        assert recall_due_on(plain, dt.date(2026, 8, 31)) == dt.date(2027, 2, 28)


# ---------- 3. documents on the profile ----------


def test_the_profile_lists_the_trades_documents_the_user_may_print(
    cast, practitioner_a, front_desk_a, fake_vertical
):
    fake_vertical(
        documents=(
            registry.Document(
                key="plan",
                label="Lab plan",
                url_name="dental:plan_print",
                capability=Capability.VIEW_HEALTH,
            ),
        )
    )
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="Wendy Wang")
    # the trade is off: nothing listed
    page = practitioner_a.get(f"/clients/{client.pk}/").content.decode()
    assert "Lab plan" not in page
    _turn_on(cast.tenant_a, "lab")
    page = practitioner_a.get(f"/clients/{client.pk}/").content.decode()
    assert "Lab plan" in page and f'href="/dental/client/{client.pk}/plan/print/"' in page
    # the front desk may not see clinical documents
    page = front_desk_a.get(f"/clients/{client.pk}/").content.decode()
    assert "Lab plan" not in page


# ---------- 4. the trades' allergies in the alert ----------


def _lab_allergies(calls):
    def allergies(clients):
        calls.append([c.pk for c in clients])
        return {c.pk: ["Lidocaine (anaesthetic cream)"] for c in clients if c.name == "Wendy Wang"}

    return allergies


def test_the_allergy_alert_shows_the_trades_allergies_to_clinical_roles_only(
    cast, practitioner_a, front_desk_a, fake_vertical
):
    calls = []
    fake_vertical(allergies=_lab_allergies(calls))
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="Wendy Wang")
    page = practitioner_a.get(f"/clients/{client.pk}/").content.decode()
    assert "Lidocaine" not in page and not calls  # off: not even asked
    _turn_on(cast.tenant_a, "lab")
    page = practitioner_a.get(f"/clients/{client.pk}/").content.decode()
    assert 'class="alert danger"' in page and "Lidocaine (anaesthetic cream)" in page
    assert "Lidocaine" not in front_desk_a.get(f"/clients/{client.pk}/").content.decode()


def test_the_client_list_flags_the_trades_allergies_for_clinical_roles_once_per_page(
    cast, practitioner_a, front_desk_a, fake_vertical
):
    calls = []
    fake_vertical(allergies=_lab_allergies(calls))
    _turn_on(cast.tenant_a, "lab")
    for name in ("Wendy Wang", "Other One", "Third Person"):
        ClientFactory(tenant=cast.tenant_a, name=name)
    page = practitioner_a.get("/clients/?q=Wendy").content.decode()
    assert 'title="Allergies on file"' in page
    page = practitioner_a.get("/clients/").content.decode()
    row = re.search(r"Wendy Wang</a>(.*?)</td>", page, re.S).group(1)
    assert 'class="badge danger"' in row
    assert len(calls) == 2  # one call for each page of the list, whatever its rows
    calls.clear()
    assert 'title="Allergies on file"' not in front_desk_a.get("/clients/").content.decode()
    assert not calls


def test_the_calendar_asks_the_trade_once_for_all_of_todays_arrivals(
    cast, practitioner_a, fake_vertical
):
    calls = []
    fake_vertical(allergies=_lab_allergies(calls))
    _turn_on(cast.tenant_a, "lab")
    made = _arrived(cast.tenant_a, cast.practitioner_a)
    person = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        for n, hour in enumerate((11, 14, 15)):
            other = ClientFactory(tenant=cast.tenant_a, name=f"Other {n}")
            appointment_book(
                client=other,
                services=[made.service],
                starts_at=dt.datetime.combine(MONDAY, dt.time(hour), tzinfo=SHANGHAI),
                staff=person,
            )
    page = practitioner_a.get("/appointments/").content.decode()
    assert page.count('<span class="badge danger">Allergy</span>') == 1
    assert len(calls) == 1 and len(calls[0]) == 4


# ---------- 5. the trades' import columns ----------


def _skin_sheet(rows):
    import csv
    import io

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["姓名", "手机", "实验指标"])
    writer.writerows(rows)
    fileobj = io.BytesIO(text.getvalue().encode("utf-8"))
    fileobj.name = "clients.csv"
    return fileobj


def _skin_column(calls):
    def apply(client, value, actor):
        if value == "purple":
            raise ValidationError("Not a skin type: purple.")
        calls.append((client.pk, client.name, value, actor.email))

    return registry.ImportColumn(key="skin", header="Skin type", aliases=("实验指标",), apply=apply)


def test_the_import_recognises_a_trades_column_and_hands_each_value_to_it(
    cast, storage, owner_a, fake_vertical
):
    from clients.models import Client
    from tests.sheets import upload

    calls = []
    fake_vertical(import_columns=(_skin_column(calls),))
    _turn_on(cast.tenant_a, "lab")
    job_id = upload(owner_a, _skin_sheet([["陈婷婷", "15800002222", "oily"], ["王芳", "", ""]]))
    page = owner_a.get(f"/clients/import/{job_id}/mapping/")
    chosen = {index: key for index, _h, _s, key in page.context["columns"]}
    # the header's alias is recognised as the trade's column
    assert chosen["2"] == "vertical.lab.skin"
    owner_a.post(f"/clients/import/{job_id}/mapping/", {f"col_{i}": k for i, k in chosen.items()})
    owner_a.post(f"/clients/import/{job_id}/commit/", {})
    with tenant_context(cast.tenant_a):
        made = Client.objects.get(name="陈婷婷")
    # once, for the row with a value, with the saved client and the importing user
    assert calls == [(made.pk, "陈婷婷", "oily", cast.owner_a)]


def test_a_refused_value_names_its_row_and_nothing_is_imported(
    cast, storage, owner_a, fake_vertical
):
    from clients.models import Client
    from imports.models import ImportJob, JobStatus
    from tests.sheets import upload

    fake_vertical(import_columns=(_skin_column([]),))
    _turn_on(cast.tenant_a, "lab")
    job_id = upload(
        owner_a, _skin_sheet([["陈婷婷", "15800002222", "oily"], ["王芳", "", "purple"]])
    )
    page = owner_a.get(f"/clients/import/{job_id}/mapping/")
    owner_a.post(
        f"/clients/import/{job_id}/mapping/",
        {f"col_{i}": k for i, _h, _s, k in page.context["columns"]},
    )
    answer = owner_a.post(f"/clients/import/{job_id}/commit/", {}, follow=True)
    assert "Row 3: Skin type: Not a skin type: purple." in answer.content.decode()
    with tenant_context(cast.tenant_a):
        assert not Client.objects.filter(name__in=["陈婷婷", "王芳"]).exists()
        job = ImportJob.objects.get(pk=job_id)
        assert job.status == JobStatus.FAILED and "Row 3" in job.error


def test_a_trades_column_is_not_offered_where_the_trade_is_off_nor_to_the_front_desk(
    cast, storage, owner_a, front_desk_a, fake_vertical
):
    from tests.sheets import upload

    fake_vertical(import_columns=(_skin_column([]),))
    job_id = upload(owner_a, _skin_sheet([["陈婷婷", "15800002222", "oily"]]))
    page = owner_a.get(f"/clients/import/{job_id}/mapping/")
    assert "vertical.lab.skin" not in page.content.decode()
    _turn_on(cast.tenant_a, "lab")
    job_id = upload(front_desk_a, _skin_sheet([["陈婷婷", "15800002222", "oily"]]))
    page = front_desk_a.get(f"/clients/import/{job_id}/mapping/")
    assert "vertical.lab.skin" not in page.content.decode()


# ---------- 7. business types from the registry ----------


def test_business_types_are_the_ones_the_verticals_declare_in_one_list(db, monkeypatch):
    from tenants.forms import SignupForm

    declared = registry.business_type_choices()
    assert [v for v, _label in declared] == [
        "beauty_salon",
        "medical_aesthetic",
        "dental",
        "optical",
    ]
    field = Tenant._meta.get_field("business_type")
    assert list(field.choices) == declared
    assert list(SignupForm().fields["business_type"].choices) == declared
    # a trade registered later is offered without being listed anywhere else
    lab = registry.Vertical(
        key="lab", label="Lab", business_types=("lab",), business_type_labels=("Lab",)
    )
    monkeypatch.setitem(registry._verticals, "lab", lab)
    assert ("lab", "Lab") in SignupForm().fields["business_type"].choices
    assert ("lab", "Lab") in Tenant._meta.get_field("business_type").choices


def test_signup_refuses_a_business_type_no_vertical_serves(db):
    from tenants.forms import SignupForm

    form = SignupForm(data={"business_type": "bakery"})
    assert not form.is_valid() and "business_type" in form.errors


# ---------- 8. the owner's clinical modules ----------


def test_the_settings_page_offers_the_other_modules_and_saves_them_audited(cast, owner_a):
    from audit.models import AuditEntry

    page = owner_a.get("/settings/").content.decode()
    assert "Clinical modules" in page
    assert 'name="verticals" value="dental"' in page
    assert 'name="verticals" value="aesthetic"' not in page  # its own is always on
    answer = owner_a.post("/settings/clinical-modules/", {"verticals": ["dental"]})
    assert answer.status_code == 302
    assert Tenant.objects.get(pk=cast.tenant_a.pk).extra_verticals == ["dental"]
    with tenant_context(cast.tenant_a):
        entry = AuditEntry.objects.filter(object_type="clinical_modules").latest("id")
        owner = staff_member(cast.tenant_a, cast.owner_a)
        assert entry.actor_id == owner.pk and entry.fields == ["extra_verticals"]
    page = owner_a.get("/settings/").content.decode()
    assert re.search(r'<input[^>]*value="dental"[^>]*checked', page)


def test_only_who_may_change_the_settings_turns_modules_on(cast, practitioner_a, front_desk_a):
    for who in (practitioner_a, front_desk_a):
        answer = who.post("/settings/clinical-modules/", {"verticals": ["dental"]})
        assert answer.status_code == 403
    assert Tenant.objects.get(pk=cast.tenant_a.pk).extra_verticals == []


def test_an_unknown_module_is_refused_next_to_the_field(cast, owner_a):
    answer = owner_a.post("/settings/clinical-modules/", {"verticals": ["bakery"]})
    assert answer.status_code == 400
    assert "errorlist" in answer.content.decode()
    assert Tenant.objects.get(pk=cast.tenant_a.pk).extra_verticals == []


def test_turning_a_module_off_hides_its_pages_and_keeps_its_data(cast, owner_a):
    from verticals.dental.models import TreatmentPlan
    from verticals.dental.services import plan_create

    owner_a.post("/settings/clinical-modules/", {"verticals": ["dental"]})
    with tenant_context(cast.tenant_a):
        client = ClientFactory(tenant=cast.tenant_a, name="Wendy Wang")
        plan = plan_create(
            client=client, actor=staff_member(cast.tenant_a, cast.owner_a), title="Upper crowns"
        )
    assert owner_a.get(f"/dental/plan/{plan.pk}/").status_code == 200
    # when the owner turns dental off again
    owner_a.post("/settings/clinical-modules/", {})
    # then its page is gone, and the plan is still there
    assert owner_a.get(f"/dental/plan/{plan.pk}/").status_code == 404
    with tenant_context(cast.tenant_a):
        assert TreatmentPlan.objects.filter(pk=plan.pk, title="Upper crowns").exists()
    # and on again: visible as it was
    owner_a.post("/settings/clinical-modules/", {"verticals": ["dental"]})
    page = owner_a.get(f"/dental/plan/{plan.pk}/")
    assert page.status_code == 200 and "Upper crowns" in page.content.decode()


# ---------- 10. tabs and navigation by trade ----------


@pytest.fixture
def dental_items(monkeypatch):
    """A profile tab and a menu entry of the dental trade, for this test only."""
    from clients import profile
    from portal import navigation

    tab = profile.ProfileTab(
        key="wiring-dental",
        label="Wiring dental tab",
        order=99,
        capability=Capability.VIEW_CLIENTS,
        template="clients/tabs/timeline.html",
        context=lambda request, client: {"timeline": []},
        vertical="dental",
    )
    item = navigation.NavItem(
        key="wiring-dental",
        label="Wiring dental menu",
        url_name="portal:dashboard",
        capability=Capability.VIEW_CLIENTS,
        icon="home",
        order=99,
        vertical="dental",
    )
    monkeypatch.setitem(profile._tabs, tab.key, tab)
    monkeypatch.setitem(navigation._items, item.key, item)
    return tab


def _profile(browser, tenant, name="Wendy Wang"):
    with tenant_context(tenant):
        client = ClientFactory(tenant=tenant, name=name)
    return client, browser.get(f"/clients/{client.pk}/").content.decode()


def test_a_dental_tab_and_menu_entry_show_only_where_dental_is_on(
    cast, optical, owner_a, owner_b, owner_c, dental_items
):
    # the dental practice (B) shows them
    client_b, page = _profile(owner_b, cast.tenant_b)
    assert "Wiring dental tab" in page and "Wiring dental menu" in page
    assert owner_b.get(f"/clients/{client_b.pk}/wiring-dental/").status_code == 200
    # the optical shop (C) and the aesthetic clinic (A) never do
    for browser, tenant in ((owner_c, optical.tenant), (owner_a, cast.tenant_a)):
        client, page = _profile(browser, tenant)
        assert "Wiring dental tab" not in page and "Wiring dental menu" not in page
        assert browser.get(f"/clients/{client.pk}/wiring-dental/").status_code == 404
    # once A's owner turns dental on as a second module, A shows them
    owner_a.post("/settings/clinical-modules/", {"verticals": ["dental"]})
    client_a, page = _profile(owner_a, cast.tenant_a, name="Second")
    assert "Wiring dental tab" in page and "Wiring dental menu" in page
    assert owner_a.get(f"/clients/{client_a.pk}/wiring-dental/").status_code == 200
    # and off again: gone
    owner_a.post("/settings/clinical-modules/", {})
    assert "Wiring dental tab" not in owner_a.get(f"/clients/{client_a.pk}/").content.decode()


# ---------- 9. the roles page ----------


@pytest.fixture
def dental_capability(monkeypatch):
    """A capability of the dental trade that practitioners get, for this test only."""
    from accounts import roles

    cap = ExtraCapability(
        "wiring.dental_chart", "See the wiring chart", clinical=True, vertical="dental"
    )
    monkeypatch.setitem(roles._extra, str(cap), cap)
    monkeypatch.setitem(roles._in_use, cap, [""])
    for role in (roles.Role.OWNER, roles.Role.PRACTITIONER):
        monkeypatch.setitem(roles.ROLE_CAPABILITIES, role, roles.ROLE_CAPABILITIES[role] | {cap})
    return cap


def test_the_roles_page_lists_a_trades_capability_only_where_the_trade_is_on(
    cast, owner_a, owner_b, dental_capability
):
    assert "See the wiring chart" in owner_b.get("/accounts/roles/").content.decode()
    assert "See the wiring chart" not in owner_a.get("/accounts/roles/").content.decode()
    owner_a.post("/settings/clinical-modules/", {"verticals": ["dental"]})
    assert "See the wiring chart" in owner_a.get("/accounts/roles/").content.decode()
