from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from accounts.models import User
from accounts.services import staff_create
from audit.models import AuditEntry
from clients.models import Client
from scheduling import setup as scheduling_setup
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory, VisitFactory
from tests.money_source_helpers import billed_visit
from visits.models import Visit
from visits.services import visit_create, visit_delete, visit_update

# Visits below are dated in 2026 and a visit may not lie in the future: the clock stands
# after them whatever the real date.
pytestmark = pytest.mark.clock(datetime(2026, 11, 20, 4, 0, tzinfo=UTC))


def test_visits_keep_the_clients_first_and_last_visit_and_count_but_not_the_spend(cast, db):
    client = ClientFactory(tenant=cast.tenant_a)
    with tenant_context(cast.tenant_a):
        Client.objects.filter(pk=client.pk).update(
            opening_spend=Decimal("500"), total_spend=Decimal("500")
        )
        first = billed_visit(
            client=client, amount=800, visited_on=date(2026, 3, 1), treatment_items=["水光针"]
        )
        later = visit_create(
            client=client, values={"visited_on": date(2026, 9, 9), "satisfaction": 5}
        )
        client.refresh_from_db()
        assert (client.visit_count, client.first_visit_on, client.last_visit_on) == (
            2,
            date(2026, 3, 1),
            date(2026, 9, 9),
        )
        assert client.total_spend == Decimal("1300")
        # the amount is the till's: a visit neither takes nor changes one
        with pytest.raises(ValueError, match="amount"):
            visit_update(visit=first, values={"amount": Decimal("100")})
        visit_delete(visit=later)
        visit_delete(visit=first)
        client.refresh_from_db()
        assert (client.visit_count, client.last_visit_on, client.total_spend) == (
            0,
            None,
            Decimal("1300"),
        )


def test_the_visits_tab_lists_visits_newest_first_with_the_clients_figures(cast, owner_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a)
    with tenant_context(cast.tenant_a):
        billed_visit(
            client=client, amount=800, visited_on=date(2026, 1, 5), treatment_items=["水光针"]
        )
        billed_visit(
            client=client,
            amount=Decimal("1200.50"),
            visited_on=date(2026, 3, 9),
            treatment_items=["光子嫩肤", "面部清洁"],
            satisfaction=4,
        )
    # when
    response = owner_a.get(f"/clients/{client.pk}/visits/")
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index("光子嫩肤, 面部清洁") < page.index("水光针")  # an English page
    assert "2,000.50 CNY" in page and "4/5" in page and "1,200.50</td>" in page
    assert [v.visited_on for v in response.context["visit_page"].object_list] == [
        date(2026, 3, 9),
        date(2026, 1, 5),
    ]


def test_front_desk_never_sees_clinical_notes_but_a_practitioner_does(
    cast, front_desk_a, practitioner_a
):
    # given
    client = ClientFactory(tenant=cast.tenant_a)
    visit = VisitFactory(
        tenant=cast.tenant_a,
        client=client,
        visited_on=date(2026, 2, 1),
        treatment_items=["热玛吉"],
        efficacy="轻微红肿，三天消退",
        suggestions="希望缩短等候时间",
    )
    # then: the tab, the timeline and the edit form hide them from front desk
    for url in (
        f"/clients/{client.pk}/visits/",
        f"/clients/{client.pk}/timeline/",
        f"/visits/{visit.pk}/edit/",
    ):
        page = front_desk_a.get(url).content.decode()
        assert "热玛吉" in page
        assert "轻微红肿" not in page and "缩短等候" not in page
    # and a practitioner sees and can write them
    assert "轻微红肿" in practitioner_a.get(f"/clients/{client.pk}/visits/").content.decode()
    form = practitioner_a.get(f"/visits/{visit.pk}/edit/").context["form"]
    assert "efficacy" in form.fields and "suggestions" in form.fields


def test_a_front_desk_edit_keeps_the_clinical_notes_and_cannot_delete_that_visit(
    cast, front_desk_a
):
    # given
    client = ClientFactory(tenant=cast.tenant_a)
    visit = VisitFactory(
        tenant=cast.tenant_a, client=client, visited_on=date(2026, 2, 1), efficacy="良好"
    )
    # when
    response = front_desk_a.post(
        f"/visits/{visit.pk}/edit/",
        {
            "visited_on": "2026-02-01",
            "treatment_items": "补水",
            "efficacy": "篡改",
        },
    )
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        visit.refresh_from_db()
        assert (visit.efficacy, visit.treatment_items) == ("良好", ["补水"])
    assert front_desk_a.get(f"/visits/{visit.pk}/delete/").status_code == 404
    assert front_desk_a.post(f"/visits/{visit.pk}/delete/").status_code == 404


def test_recording_a_visit_splits_items_and_updates_the_figures_and_the_audit_trail(
    cast, practitioner_a
):
    # given a client and a doctor who performs a service (so the form offers them)
    client = ClientFactory(tenant=cast.tenant_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        scheduling_setup.service_save(
            service=None, values={"name": "Peel", "duration_minutes": 30}, staff=[doctor]
        )
    # when
    response = practitioner_a.post(
        f"/visits/client/{client.pk}/new/",
        {
            "visited_on": "2026-04-02",
            "treatment_items": "水光针、光子嫩肤， 面部清洁,",
            "practitioner": doctor.pk,
            "satisfaction": "5",
            "amount": "1680",  # no longer a visit's: ignored
            "efficacy": "肤色提亮",
            "suggestions": "",
        },
    )
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        visit = Visit.objects.get(client=client)
        assert visit.treatment_items == ["水光针", "光子嫩肤", "面部清洁"]
        assert (visit.practitioner_id, visit.satisfaction) == (doctor.pk, 5)
        client.refresh_from_db()
        assert (client.visit_count, client.total_spend, visit.amount) == (1, Decimal("0"), None)
        entry = AuditEntry.objects.get(object_type="visit", action="create")
        assert entry.client_id == client.pk and entry.actor_id == doctor.pk
        assert "efficacy" in entry.fields and "efficacy" not in entry.changes
    # and: edit and delete are recorded too
    practitioner_a.post(
        f"/visits/{visit.pk}/edit/",
        {"visited_on": "2026-04-02", "treatment_items": "水光针", "amount": "1000"},
    )
    practitioner_a.post(f"/visits/{visit.pk}/delete/")
    with tenant_context(cast.tenant_a):
        actions = list(
            AuditEntry.objects.filter(object_type="visit").values_list("action", flat=True)
        )
        assert actions == ["delete", "update", "create"]
        client.refresh_from_db()
        assert (client.visit_count, client.total_spend) == (0, Decimal("0"))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("visited_on", "2999-01-01", "cannot be in the future"),
        ("satisfaction", "7", "Select a valid choice"),
        ("treatment_items", "、".join(["项目"] * 21), "At most 20 items"),
    ],
)
def test_bad_visit_input_is_refused_beside_the_field(cast, owner_a, field, value, message):
    client = ClientFactory(tenant=cast.tenant_a)
    data = {"visited_on": "2026-04-02", "treatment_items": "补水", field: value}
    response = owner_a.post(f"/visits/client/{client.pk}/new/", data)
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field])
    assert f'id="id_{field}' in response.content.decode()
    with tenant_context(cast.tenant_a):
        assert not Visit.objects.exists()


def test_the_visit_form_has_no_amount_and_shows_the_billed_one_in_the_currency(
    cast, owner_a, owner_b
):
    a = ClientFactory(tenant=cast.tenant_a)
    b = ClientFactory(tenant=cast.tenant_b)
    with tenant_context(cast.tenant_a):
        visit_a = billed_visit(client=a, amount=300, visited_on=date(2026, 2, 1))
    with tenant_context(cast.tenant_b):
        visit_b = billed_visit(client=b, amount=40, visited_on=date(2026, 2, 1))
    assert "amount" not in owner_a.get(f"/visits/client/{a.pk}/new/").context["form"].fields
    assert "300.00 CNY" in owner_a.get(f"/visits/{visit_a.pk}/edit/").content.decode()
    assert "40.00 GBP" in owner_b.get(f"/visits/{visit_b.pk}/edit/").content.decode()


@pytest.mark.clock(datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
def test_a_new_visit_is_dated_the_businesss_today(cast, owner_a, owner_b):
    a = ClientFactory(tenant=cast.tenant_a)
    b = ClientFactory(tenant=cast.tenant_b)
    # 23:30 in London is already the next morning in Shanghai.
    shanghai = owner_a.get(f"/visits/client/{a.pk}/new/").context["form"]
    london = owner_b.get(f"/visits/client/{b.pk}/new/").context["form"]
    assert shanghai.initial["visited_on"] == date(2026, 3, 2)
    assert london.initial["visited_on"] == date(2026, 3, 1)


def test_another_tenant_reaches_only_its_own_visit_through_the_same_id(cast, owner_b, twins):
    # given: a visit in each tenant with the same id
    def visit(tenant):
        items = ["水光针"] if tenant.pk == cast.tenant_a.pk else ["洗牙"]
        return VisitFactory(visited_on=date(2026, 2, 1), treatment_items=items)

    visit_a, _visit_b = twins(Visit, visit)
    # when: tenant B opens the visit of that id, then deletes it
    page = owner_b.get(f"/visits/{visit_a.pk}/edit/").content.decode()
    deleted = owner_b.post(f"/visits/{visit_a.pk}/delete/")
    # then: B saw and deleted its own visit; A's is untouched
    assert "洗牙" in page and "水光针" not in page
    assert deleted.status_code == 302
    with tenant_context(cast.tenant_b):
        assert not Visit.objects.filter(pk=visit_a.pk).exists()
    with tenant_context(cast.tenant_a):
        assert Visit.objects.get(pk=visit_a.pk).treatment_items == ["水光针"]


def test_a_marketing_user_sees_the_tab_but_cannot_record_visits(cast, db):
    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mia Marketing",
            email="mia@alpha.test",
            password=cast.password,
            roles=["marketing"],
        )
    marketing = signed_in(cast.tenant_a, cast.host_a, "mia@alpha.test")
    client = ClientFactory(tenant=cast.tenant_a)
    visit = VisitFactory(
        tenant=cast.tenant_a, client=client, visited_on=date(2026, 2, 1), efficacy="良好"
    )
    page = marketing.get(f"/clients/{client.pk}/visits/").content.decode()
    assert "Record a visit" not in page and "良好" not in page
    assert marketing.get(f"/visits/client/{client.pk}/new/").status_code == 403
    assert marketing.get(f"/visits/{visit.pk}/edit/").status_code == 403


def test_the_visits_tab_keeps_a_constant_number_of_queries(
    cast, practitioner_a, django_assert_max_num_queries
):
    client = ClientFactory(tenant=cast.tenant_a)
    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    VisitFactory(
        tenant=cast.tenant_a, client=client, visited_on=date(2026, 1, 1), practitioner=doctor
    )
    with django_assert_max_num_queries(14) as few:
        practitioner_a.get(f"/clients/{client.pk}/visits/")
    for day in range(2, 30):
        VisitFactory(
            tenant=cast.tenant_a, client=client, visited_on=date(2026, 1, day), practitioner=doctor
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = practitioner_a.get(f"/clients/{client.pk}/visits/")
    assert len(response.context["visit_page"].object_list) == 29


def test_export_and_erase_keep_dates_and_amounts(cast, db):
    from clients import related

    client = ClientFactory(tenant=cast.tenant_a)
    with tenant_context(cast.tenant_a):
        billed_visit(
            client=client,
            amount=Decimal("500"),
            visited_on=date(2026, 2, 1),
            efficacy="良好",
            suggestions="无",
        )
    handler = next(h for h in related.handlers() if h.key == "visits")
    with tenant_context(cast.tenant_a):
        exported = handler.export(client, user=staff_member(cast.tenant_a, cast.owner_a))
        assert exported[0]["efficacy"] == "良好" and exported[0]["amount"] == "500.00"
        handler.erase(client)
        visit = Visit.objects.get(client=client)
        assert (visit.efficacy, visit.suggestions) == ("", "")
        assert (visit.visited_on, visit.amount) == (date(2026, 2, 1), Decimal("500.00"))
        client.refresh_from_db()
        assert client.total_spend == Decimal("500")


def test_the_practitioner_choices_are_bookable_staff_and_the_visits_own(cast, owner_a):
    # given a visit naming the front desk, who performs no service
    desk = staff_member(cast.tenant_a, cast.front_desk_a)
    owner = staff_member(cast.tenant_a, cast.owner_a)
    client = ClientFactory(tenant=cast.tenant_a)
    with tenant_context(cast.tenant_a):
        visit = visit_create(
            client=client, values={"visited_on": date(2026, 1, 3), "practitioner": desk}
        )
    # then a new visit offers only those who perform services; the visit keeps its own
    new = owner_a.get(f"/visits/client/{client.pk}/new/").context["form"]
    edit = owner_a.get(f"/visits/{visit.pk}/edit/").context["form"]
    assert [u.pk for u in new.fields["practitioner"].queryset] == [owner.pk]
    assert {u.pk for u in edit.fields["practitioner"].queryset} == {owner.pk, desk.pk}


def test_editing_a_visit_keeps_a_practitioner_who_has_left(cast, owner_a):
    # given
    client = ClientFactory(tenant=cast.tenant_a)
    with tenant_context(cast.tenant_a):
        gone = staff_create(
            full_name="Former Doctor",
            email="gone@alpha.test",
            password=cast.password,
            roles=["practitioner"],
        )
        visit = visit_create(
            client=client, values={"visited_on": date(2026, 1, 3), "practitioner": gone}
        )
        User.objects.filter(pk=gone.pk).update(is_active=False)
    # when
    response = owner_a.post(
        f"/visits/{visit.pk}/edit/",
        {"visited_on": "2026-01-03", "practitioner": gone.pk, "treatment_items": "补水"},
    )
    # then
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        visit.refresh_from_db()
        assert (visit.practitioner_id, visit.treatment_items) == (gone.pk, ["补水"])
    new_form = owner_a.get(f"/visits/client/{client.pk}/new/").context["form"]
    assert gone.pk not in [u.pk for u in new_form.fields["practitioner"].queryset]


def test_the_allergy_warning_shows_wherever_the_client_is_served(
    cast, practitioner_a, front_desk_a
):
    from clients.services import client_health_update

    client = ClientFactory(tenant=cast.tenant_a, name="过敏者")
    plain = ClientFactory(tenant=cast.tenant_a, name="无过敏")
    with tenant_context(cast.tenant_a):
        client_health_update(client=client, values={"drug_allergies": "青霉素"}, updated_by=None)
    pages = [f"/clients/{client.pk}/", f"/visits/client/{client.pk}/new/"]
    pages.append(f"/contacts/client/{client.pk}/new/")
    for url in pages:
        assert "青霉素" in practitioner_a.get(url).content.decode(), url
        # Front desk never sees health data, the warning included.
        body = front_desk_a.get(url).content.decode()
        assert "青霉素" not in body and 'role="alert"' not in body, url
    assert (
        'role="alert"' not in practitioner_a.get(f"/visits/client/{plain.pk}/new/").content.decode()
    )
