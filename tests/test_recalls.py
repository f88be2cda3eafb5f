"""The recall list: who is due back this month, who is overdue, who is not yet booked;
logging the call in the contact log, dismissing with a reason, booking from the row."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from contactlog.models import ContactEntry
from scheduling.models import Recall, RecallStatus
from tests import schedule
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory

# Friday 20 November 2026, 10:00 in Shanghai (tenant A's zone).
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
TODAY = dt.date(2026, 11, 20)


def _recall(tenant, *, client=None, service=None, due: dt.date, status=RecallStatus.DUE):
    with tenant_context(tenant):
        client = client or ClientFactory(tenant=tenant, mobile="13812345678")
        service = service or _check_up()
        return Recall.objects.create(client=client, service=service, due_on=due, status=status)


def _check_up():
    from scheduling.models import Service

    return Service.objects.filter(name="复查").first() or schedule.service("复查", recall_days=180)


def _marketer(cast):
    from accounts.services import staff_create

    with tenant_context(cast.tenant_a):
        staff_create(
            full_name="Mark", email="mark@alpha.test", password="Mark-Mkt-2026", roles=["marketing"]
        )
    return signed_in(cast.tenant_a, cast.host_a, "mark@alpha.test")


def test_the_list_shows_this_months_overdue_and_later_recalls_under_their_filters(
    cast, front_desk_a
):
    # given one recall overdue this month, one due later this month and one next month
    overdue = _recall(cast.tenant_a, due=TODAY - dt.timedelta(days=10))
    later = _recall(cast.tenant_a, due=TODAY + dt.timedelta(days=5))
    next_month = _recall(cast.tenant_a, due=dt.date(2026, 12, 10))
    # when the front desk opens each filter
    month = front_desk_a.get("/appointments/recalls/").content.decode()
    late = front_desk_a.get("/appointments/recalls/?show=overdue").content.decode()
    open_ = front_desk_a.get("/appointments/recalls/?show=open").content.decode()
    # then each shows the rows it names, with the client's phone and a book link
    assert f"recall-{overdue.pk}" in month and f"recall-{later.pk}" in month
    assert f"recall-{next_month.pk}" not in month
    assert f"recall-{overdue.pk}" in late and f"recall-{later.pk}" not in late
    assert all(f"recall-{r.pk}" in open_ for r in (overdue, later, next_month))
    assert "138 1234 5678" in month
    assert f"?client={overdue.client_id}&amp;service={overdue.service_id}" in month


def test_logging_a_contact_writes_it_to_the_contact_log_and_shows_it_on_the_row(cast, front_desk_a):
    recall = _recall(cast.tenant_a, due=TODAY)
    # when the front desk logs the call
    response = front_desk_a.post(
        f"/appointments/recalls/{recall.pk}/contact/",
        {"channel": "phone", "outcome": "No answer, call again Monday", "show": "month"},
    )
    # then it is in the client's contact log, and the row shows it
    assert response.status_code == 302
    with tenant_context(cast.tenant_a):
        entry = ContactEntry.objects.get(client_id=recall.client_id)
        assert entry.purpose == "follow_up" and entry.staff.email == cast.front_desk_a
        assert entry.outcome == "No answer, call again Monday"
    page = front_desk_a.get("/appointments/recalls/").content.decode()
    assert "No answer, call again Monday" in page


def test_a_contact_without_an_outcome_is_refused_beside_the_field(cast, front_desk_a):
    recall = _recall(cast.tenant_a, due=TODAY)
    response = front_desk_a.post(
        f"/appointments/recalls/{recall.pk}/contact/", {"channel": "phone", "outcome": ""}
    )
    assert response.status_code == 400
    with tenant_context(cast.tenant_a):
        assert not ContactEntry.objects.filter(client_id=recall.client_id).exists()


def test_dismissing_needs_a_reason_and_is_audited(cast, front_desk_a):
    recall = _recall(cast.tenant_a, due=TODAY)
    # when dismissed without a reason, then refused
    refused = front_desk_a.post(f"/appointments/recalls/{recall.pk}/dismiss/", {"reason": " "})
    assert refused.status_code == 400
    # when dismissed with one
    done = front_desk_a.post(
        f"/appointments/recalls/{recall.pk}/dismiss/", {"reason": "Moved to another city"}
    )
    # then it is off the open list, kept as dismissed with the reason, and audited
    assert done.status_code == 302
    with tenant_context(cast.tenant_a):
        recall.refresh_from_db()
        assert recall.status == RecallStatus.DISMISSED
        assert recall.dismiss_reason == "Moved to another city"
        assert recall.dismissed_by.email == cast.front_desk_a
        entry = AuditEntry.objects.filter(object_type="recall", object_id=str(recall.pk)).get()
        assert "Moved to another city" not in str(entry.changes)
    assert f"recall-{recall.pk}" not in front_desk_a.get("/appointments/recalls/").content.decode()
    dismissed = front_desk_a.get("/appointments/recalls/?show=dismissed").content.decode()
    assert "Moved to another city" in dismissed
    # and a dismissed recall cannot be dismissed again
    again = front_desk_a.post(f"/appointments/recalls/{recall.pk}/dismiss/", {"reason": "x"})
    assert again.status_code == 404


def test_marketing_may_not_open_the_recall_list(cast, db):
    marketer = _marketer(cast)
    assert marketer.get("/appointments/recalls/").status_code == 403


def test_tenant_b_cannot_see_or_act_on_tenant_a_recalls(cast, owner_a, owner_b, twins):
    # given a recall in each business with the same id
    a, b = twins(
        Recall,
        lambda tenant: _recall(tenant, due=TODAY, client=ClientFactory(tenant=tenant)),
    )
    with tenant_context(cast.tenant_a):
        a_name = Recall.objects.get(pk=a.pk).client.name
    with tenant_context(cast.tenant_b):
        Recall.objects.filter(pk=b.pk).delete()
    # then B sees none of A's, and acting on A's id is 404
    assert a_name not in owner_b.get("/appointments/recalls/?show=open").content.decode()
    dismiss = owner_b.post(f"/appointments/recalls/{a.pk}/dismiss/", {"reason": "x"})
    contact = owner_b.post(
        f"/appointments/recalls/{a.pk}/contact/", {"channel": "phone", "outcome": "x"}
    )
    assert dismiss.status_code == 404 and contact.status_code == 404
    with tenant_context(cast.tenant_a):
        assert Recall.objects.get(pk=a.pk).status == RecallStatus.DUE


def test_completing_a_service_with_a_recall_interval_puts_the_client_on_the_list(
    cast, front_desk_a
):
    from scheduling.services import appointment_book, appointment_complete, appointment_transition

    doctor = staff_member(cast.tenant_a, cast.practitioner_a)
    with tenant_context(cast.tenant_a):
        schedule.open_business("08:00-20:00")
        schedule.working(doctor, "09:00-18:00")
        check = schedule.service("术后复查", staff=[doctor], minutes=30, recall_days=5)
        client = ClientFactory(tenant=cast.tenant_a, name="复查客户")
        (appointment,) = appointment_book(
            client=client,
            services=[check],
            staff=doctor,
            starts_at=dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC),
        )
        appointment_transition(appointment=appointment, to="arrived")
        appointment_complete(appointment=appointment)
    page = front_desk_a.get("/appointments/recalls/").content.decode()
    assert "复查客户" in page and "术后复查" in page


def test_the_list_keeps_a_constant_number_of_queries(
    cast, front_desk_a, django_assert_max_num_queries
):
    from contactlog.services import contact_create

    with tenant_context(cast.tenant_a):
        service = _check_up()
    for n in range(12):
        recall = _recall(cast.tenant_a, due=TODAY + dt.timedelta(days=n % 5), service=service)
        with tenant_context(cast.tenant_a):
            contact_create(
                client=recall.client,
                values={"purpose": "follow_up", "channel": "phone", "summary": f"call {n}"},
            )
    with django_assert_max_num_queries(14):
        response = front_desk_a.get("/appointments/recalls/")
    assert response.content.decode().count('id="recall-') == 12


def test_the_front_desk_sees_no_health_data_on_the_list(cast, front_desk_a):
    with tenant_context(cast.tenant_a):
        client = ClientFactory(
            tenant=cast.tenant_a,
            name="过敏客户",
            health={"has_drug_allergy": True, "drug_allergies": "Penicillin-ALLERGY"},
        )
    _recall(cast.tenant_a, client=client, due=TODAY)
    page = front_desk_a.get("/appointments/recalls/").content.decode()
    assert "过敏客户" in page and "Penicillin-ALLERGY" not in page


def test_scheduling_a_recall_moves_the_open_one_even_when_it_is_booked(cast, db):
    from scheduling.recalls import recall_schedule

    today = TODAY
    with tenant_context(cast.tenant_a):
        recall = _recall(cast.tenant_a, due=today, status=RecallStatus.BOOKED)
        moved = recall_schedule(
            client=recall.client, service=recall.service, due_on=today + dt.timedelta(days=90)
        )
        assert moved.pk == recall.pk and moved.status == RecallStatus.BOOKED
        assert moved.due_on == today + dt.timedelta(days=90)
        assert Recall.objects.filter(client=recall.client).count() == 1
