import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from audit.services import changes_of
from clients.models import Client
from contactlog.models import ContactEntry
from tests.conftest import staff_member
from tests.factories import ClientFactory, ContactEntryFactory
from visits.services import visit_create

# The entries below are dated March 2026: a contact may not lie in the future, so the
# clock stands after them whatever the real date.
pytestmark = pytest.mark.clock(dt.datetime(2026, 3, 20, 4, 0, tzinfo=dt.UTC))

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_logging_a_contact_from_the_tab_defaults_to_me_and_is_audited(cast, front_desk_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a)
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    tab = front_desk_a.get(f"/clients/{client.pk}/contacts/")
    form = tab.context["contact_form"]
    assert form["staff"].value() == desk.pk
    # when: the time is typed in the tenant's zone (Shanghai, UTC+8)
    response = front_desk_a.post(
        f"/contacts/client/{client.pk}/new/",
        {
            "contacted_at": "2026-03-02T09:30",
            "staff": desk.pk,
            "purpose": "appointment",
            "channel": "wechat",
            "summary": "确认周五 14:00 的预约",
            "outcome": "客户已确认",
            "next_follow_up": "2026-03-05",
        },
    )
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        entry = ContactEntry.objects.get(client=client)
        assert entry.contacted_at == dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)
        assert (entry.staff_id, entry.created_by_id) == (desk.pk, desk.pk)
        audit = AuditEntry.objects.get(object_type="contact")
        assert audit.action == "create" and audit.client_id == client.pk
        assert "summary" in audit.fields and "summary" not in audit.changes
    page = front_desk_a.get(f"/clients/{client.pk}/contacts/").content.decode()
    assert "确认周五" in page and "客户已确认" in page


def test_bad_contact_input_is_refused_beside_the_field(cast, front_desk_a):
    client = ClientFactory(tenant=cast.tenant_a)
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    response = front_desk_a.post(
        f"/contacts/client/{client.pk}/new/",
        {
            "contacted_at": "2026-03-02T09:30",
            "staff": desk.pk,
            "purpose": "nonsense",
            "channel": "phone",
            "summary": "",
            "next_follow_up": "2026-03-01",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"purpose", "summary", "next_follow_up"}
    assert "before the contact" in errors["next_follow_up"][0]
    with tenant_context(cast.tenant_a):
        assert not ContactEntry.objects.exists()


def test_edit_and_delete_are_for_the_author_and_managers_and_are_audited(
    cast, owner_a, practitioner_a, front_desk_a
):
    # given: the practitioner's entry
    client = ClientFactory(tenant=cast.tenant_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    entry = ContactEntryFactory(tenant=cast.tenant_a, client=client, staff=doctor)
    # then: front desk may neither edit nor delete it
    assert front_desk_a.get(f"/contacts/{entry.pk}/edit/").status_code == 404
    assert front_desk_a.post(f"/contacts/{entry.pk}/delete/").status_code == 404
    # the author may edit it
    response = practitioner_a.post(
        f"/contacts/{entry.pk}/edit/",
        {
            "contacted_at": "2026-03-02T09:30",
            "staff": doctor.pk,
            "purpose": "complaint",
            "channel": "in_person",
            "summary": "对等候时间不满",
            "outcome": "",
            "next_follow_up": "",
        },
    )
    assert response.status_code == 302
    # and the owner may delete it
    assert owner_a.post(f"/contacts/{entry.pk}/delete/").status_code == 302
    with tenant_context(cast.tenant_a):
        assert not ContactEntry.objects.exists()
        actions = list(
            AuditEntry.objects.filter(object_type="contact").values_list("action", flat=True)
        )
        assert actions == ["delete", "update", "create"]
        update = AuditEntry.objects.get(object_type="contact", action="update")
        assert changes_of(update)["purpose"] == ["follow_up", "complaint"]


@pytest.mark.clock(dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC))
def test_follow_ups_are_due_by_the_tenants_date_not_utc(cast, practitioner_a):
    # given: 17:00 UTC on 10 March is 01:00 on 11 March in Shanghai
    client = ClientFactory(tenant=cast.tenant_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    when = dt.datetime(2026, 3, 1, 10, 0, tzinfo=SHANGHAI)
    overdue = ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=doctor,
        contacted_at=when,
        summary="甲",
        next_follow_up=dt.date(2026, 3, 10),
    )
    today = ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=doctor,
        contacted_at=when,
        summary="乙",
        next_follow_up=dt.date(2026, 3, 11),
    )
    later = ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=doctor,
        contacted_at=when,
        summary="丙",
        next_follow_up=dt.date(2026, 3, 14),
    )
    # when
    follow_ups = practitioner_a.get("/follow-ups/").context["follow_ups"]
    # then
    assert follow_ups.today == dt.date(2026, 3, 11)
    assert [e.pk for e in follow_ups.overdue] == [overdue.pk]
    assert [e.pk for e in follow_ups.due_today] == [today.pk]
    assert [e.pk for e in follow_ups.upcoming] == [later.pk]
    assert (follow_ups.overdue_count, follow_ups.due_today_count) == (1, 1)


def test_the_list_shows_my_follow_ups_and_only_managers_see_everyones(
    cast, owner_a, practitioner_a, front_desk_a
):
    # given
    client = ClientFactory(tenant=cast.tenant_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    today = timezone.localdate(timezone=SHANGHAI)
    mine = ContactEntryFactory(
        tenant=cast.tenant_a, client=client, staff=doctor, summary="医生的", next_follow_up=today
    )
    theirs = ContactEntryFactory(
        tenant=cast.tenant_a, client=client, staff=desk, summary="前台的", next_follow_up=today
    )
    # then
    doctor_page = practitioner_a.get("/follow-ups/?who=all")
    assert [e.pk for e in doctor_page.context["follow_ups"].due_today] == [mine.pk]
    assert "All staff" not in doctor_page.content.decode()
    everyone = owner_a.get("/follow-ups/?who=all").context["follow_ups"].due_today
    assert {e.pk for e in everyone} == {mine.pk, theirs.pk}
    one = owner_a.get(f"/follow-ups/?who={desk.pk}").context["follow_ups"].due_today
    assert [e.pk for e in one] == [theirs.pk]
    assert owner_a.get("/follow-ups/").context["follow_ups"].due_today == []


def test_completing_a_follow_up_from_the_list_with_htmx(cast, practitioner_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    entry = ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=doctor,
        next_follow_up=timezone.localdate(timezone=SHANGHAI),
    )
    # when
    response = practitioner_a.post(f"/contacts/{entry.pk}/done/", HTTP_HX_REQUEST="true")
    # then
    assert response.status_code == 200
    assert f'id="follow-up-{entry.pk}"' in response.content.decode()
    assert "Mark done" not in response.content.decode()
    with tenant_context(cast.tenant_a):
        entry.refresh_from_db()
        assert entry.follow_up_done and entry.follow_up_done_by_id == doctor.pk
    assert practitioner_a.get("/follow-ups/").context["follow_ups"].due_today == []
    # and a plain form post goes back where it came from
    again = practitioner_a.post(f"/contacts/{entry.pk}/done/", {"next": "/follow-ups/"})
    assert again.status_code == 302 and again["Location"] == "/follow-ups/"
    evil = practitioner_a.post(f"/contacts/{entry.pk}/done/", {"next": "https://evil.test/"})
    assert evil["Location"] == f"/clients/{client.pk}/contacts/"


def test_the_dashboard_shows_my_due_and_overdue_follow_ups(cast, practitioner_a, front_desk_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a, name="周雅琪")
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    today = timezone.localdate(timezone=SHANGHAI)
    ContactEntryFactory(
        tenant=cast.tenant_a, client=client, staff=doctor, summary="复诊提醒", next_follow_up=today
    )
    ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=doctor,
        summary="逾期回访",
        next_follow_up=today - dt.timedelta(days=3),
    )
    ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=doctor,
        summary="下周",
        next_follow_up=today + dt.timedelta(days=7),
    )
    # when
    page = practitioner_a.get("/").content.decode()
    # then
    assert "My follow-ups" in page and "周雅琪" in page
    assert "1 overdue" in page and "1 due today" in page
    assert "逾期回访" in page and "下周" not in page
    # and the front desk's dashboard shows none of the practitioner's
    assert "周雅琪" not in front_desk_a.get("/").content.decode()


def test_the_timeline_holds_visits_and_contacts_newest_first(cast, owner_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a)
    owner = staff_member(cast.tenant_a, cast.owner_a)
    with tenant_context(cast.tenant_a):
        visit_create(
            client=client, values={"visited_on": dt.date(2026, 2, 1), "treatment_items": ["水光针"]}
        )
        visit_create(
            client=client,
            values={"visited_on": dt.date(2026, 2, 20), "treatment_items": ["热玛吉"]},
        )
    ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=owner,
        summary="预约确认",
        contacted_at=dt.datetime(2026, 2, 10, 9, 0, tzinfo=SHANGHAI),
    )
    ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=owner,
        summary="术后回访",
        contacted_at=dt.datetime(2026, 2, 25, 9, 0, tzinfo=SHANGHAI),
    )
    # when
    timeline = owner_a.get(f"/clients/{client.pk}/timeline/").context["timeline"]
    # then
    kinds = [
        (e.kind, e.title if e.kind == "visit" else e.detail)
        for e in timeline
        if e.kind in ("visit", "contact")
    ]
    assert kinds == [
        ("contact", "术后回访"),
        ("visit", "热玛吉"),
        ("contact", "预约确认"),
        ("visit", "水光针"),
    ]


def test_another_tenant_reaches_only_its_own_entry_through_the_same_id(cast, owner_b, twins):
    # given: a follow-up in each tenant with the same id
    def entry(tenant):
        summary = "术后回访" if tenant.pk == cast.tenant_a.pk else "洗牙回访"
        return ContactEntryFactory(summary=summary, next_follow_up=dt.date(2026, 3, 1))

    entry_a, _entry_b = twins(ContactEntry, entry)
    # when: tenant B opens the entry of that id and marks it done
    page = owner_b.get(f"/contacts/{entry_a.pk}/edit/").content.decode()
    follow_ups = owner_b.get("/follow-ups/?who=all").content.decode()
    done = owner_b.post(f"/contacts/{entry_a.pk}/done/")
    # then: B saw and completed its own entry; A's is untouched
    assert "洗牙回访" in page and "术后回访" not in page
    assert "洗牙回访" in follow_ups and "术后回访" not in follow_ups
    assert done.status_code == 302
    with tenant_context(cast.tenant_b):
        assert ContactEntry.objects.get(pk=entry_a.pk).follow_up_done_at is not None
    with tenant_context(cast.tenant_a):
        assert ContactEntry.objects.get(pk=entry_a.pk).follow_up_done_at is None


def test_export_and_erase_blank_what_was_said_and_keep_the_dates(cast, db):
    from clients import related

    client = ClientFactory(tenant=cast.tenant_a)
    owner = staff_member(cast.tenant_a, cast.owner_a)
    ContactEntryFactory(
        tenant=cast.tenant_a,
        client=client,
        staff=owner,
        outcome="同意复诊",
        next_follow_up=dt.date(2026, 3, 1),
    )
    handler = next(h for h in related.handlers() if h.key == "contacts")
    with tenant_context(cast.tenant_a):
        exported = handler.export(client, user=owner)
        assert exported[0]["summary"] == "术后回访" and exported[0]["outcome"] == "同意复诊"
        handler.erase(client)
        entry = ContactEntry.objects.get(client=client)
        assert (entry.summary, entry.outcome) == ("", "")
        assert entry.next_follow_up == dt.date(2026, 3, 1)


def test_pages_keep_a_constant_number_of_queries(
    cast, practitioner_a, django_assert_max_num_queries
):
    client = ClientFactory(tenant=cast.tenant_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    today = timezone.localdate(timezone=SHANGHAI)

    def add(n):
        for i in range(n):
            ContactEntryFactory(
                tenant=cast.tenant_a,
                client=client,
                staff=doctor,
                summary=f"第{i}次",
                next_follow_up=today - dt.timedelta(days=i % 3),
            )

    urls = [
        f"/clients/{client.pk}/contacts/",
        "/follow-ups/",
        "/",
        f"/clients/{client.pk}/timeline/",
    ]
    add(2)
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(30) as few:
            practitioner_a.get(url)
        counts[url] = len(few.captured_queries)
    add(25)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert practitioner_a.get(url).status_code == 200


def test_seed_demo_adds_visits_and_follow_ups_due_today_and_overdue_once(cast, db):
    import io

    from django.core.management import call_command
    from django_tenants.utils import schema_context

    from contactlog.selectors import follow_up_list
    from tenants.models import Domain
    from visits.models import Visit

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    tenant = Domain.objects.select_related("tenant").get(domain="glow.localhost").tenant
    with schema_context(tenant.schema_name), timezone.override(ZoneInfo(tenant.time_zone)):
        # the demo history's own visits (completed demo appointments add theirs)
        assert Visit.objects.exclude(origin="appointment").count() == 6
        assert ContactEntry.objects.count() == 5
        everyone = follow_up_list(staff=None)
        assert everyone.overdue_count == 2 and everyone.due_today_count == 1
        client = Client.objects.order_by("id").first()
        assert client.visit_count >= 2 and client.total_spend > 0
