"""Cards past their last day: the daily task (one per business, fanned out by beat) writes
one EXPIRE movement taking what is left on each expired package or stored-value card, from
the business's own midnight, once; the movement is audited and in the client's timeline;
memberships and cards without expiry are left alone; one business's run touches no other's
cards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from finance import tasks
from finance.client_file import timeline_entries
from finance.models import CardEntry, CardKind, EntryKind
from tests import schedule
from tests.conftest import staff_member
from tests.factories import ClientFactory
from tests.test_finance_cards import NOON, ledger_matches, product, sold

# Sold on 20 November (Shanghai); 30 days' validity: the last day is 20 December there.
pytestmark = pytest.mark.clock(NOON)
D = Decimal
LAST_EVENING = dt.datetime(2026, 12, 20, 15, 0, tzinfo=dt.UTC)  # 23:00 in Shanghai
NEXT_MIDNIGHT = dt.datetime(2026, 12, 20, 16, 30, tzinfo=dt.UTC)  # 00:30 on the 21st


@pytest.fixture
def desk(cast, db):
    with tenant_context(cast.tenant_a):
        yield staff_member(cast.tenant_a, cast.front_desk_a)


def _cards(cast, desk):
    client = ClientFactory(tenant=cast.tenant_a)
    facial = schedule.service("Expiry facial")
    package = sold(
        client, product(CardKind.PACKAGE, sessions=6, services=[facial], valid_days=30), actor=desk
    )
    stored = sold(client, product(price=D("500"), bonus=D("50"), valid_days=30), actor=desk)
    member = sold(
        client,
        product(CardKind.MEMBERSHIP, price=D("99"), member_discount_percent=D("10"), valid_days=30),
        actor=desk,
    )
    lasting = sold(client, product(price=D("200")), actor=desk)
    return client, package, stored, member, lasting


def test_what_is_left_expires_from_the_businesss_midnight_once(cast, desk):
    # given
    client, package, stored, member, lasting = _cards(cast, desk)
    assert package.expires_on == dt.date(2026, 12, 20)
    # when: the last evening, then just after midnight, then again
    with time_machine.travel(LAST_EVENING, tick=False):
        assert tasks.expire_cards.run()["expired"] == 0
    with time_machine.travel(NEXT_MIDNIGHT, tick=False):
        first = tasks.expire_cards.run()
        second = tasks.expire_cards.run()
    # then
    assert first == {"schema": cast.tenant_a.schema_name, "expired": 2}
    assert second["expired"] == 0
    expired = CardEntry.objects.filter(kind=EntryKind.EXPIRE)
    assert {(e.card_id, e.paid_delta, e.bonus_delta, e.sessions_delta) for e in expired} == {
        (package.pk, D("0"), D("0"), -6),
        (stored.pk, D("0"), D("-50.00"), 0),
    }
    for card in (package, stored, member, lasting):
        assert ledger_matches(card)
    # Only the bonus lapses: the 500 the client paid stays theirs.
    assert (package.sessions_left, stored.balance, lasting.balance) == (0, D("500"), D("200"))
    assert not CardEntry.objects.filter(card__in=[member, lasting], kind=EntryKind.EXPIRE)


def test_an_expiry_is_audited_and_in_the_clients_timeline(cast, desk):
    client, package, stored, _member, _lasting = _cards(cast, desk)
    with time_machine.travel(NEXT_MIDNIGHT, tick=False):
        tasks.expire_cards.run()
    ids = [
        str(pk)
        for pk in CardEntry.objects.filter(kind=EntryKind.EXPIRE).values_list("pk", flat=True)
    ]
    audited = AuditEntry.objects.filter(object_type="card_entry", object_id__in=ids)
    assert audited.count() == 2 and set(audited.values_list("client_id", flat=True)) == {client.pk}
    titles = [e.title.replace("\xa0", " ") for e in timeline_entries(client, desk, 20)]
    assert f"Sessions expired on {package.name} {package.code}: 6" in titles
    assert f"Expired on {stored.name} {stored.code}: CNY 50.00" in titles


def test_paid_value_never_expires_and_money_put_back_stays(cast, desk):
    from finance import cards

    client = ClientFactory(tenant=cast.tenant_a)
    card = sold(client, product(price=D("100"), bonus=D("10"), valid_days=30), actor=desk)
    with time_machine.travel(NEXT_MIDNIGHT, tick=False):
        assert tasks.expire_cards.run()["expired"] == 1
        # a refund of an earlier payment, paid onto the (expired) card
        cards.credit(card=card, amount=D("20"), refund=None, actor=desk)
        assert tasks.expire_cards.run()["expired"] == 0
    card.refresh_from_db()
    assert card.balance == D("120") and ledger_matches(card)
    assert CardEntry.objects.filter(card=card, kind=EntryKind.EXPIRE).count() == 1


def test_one_businesss_run_leaves_anothers_cards_alone(cast, desk):
    _client, package, stored, _member, _lasting = _cards(cast, desk)
    with time_machine.travel(NEXT_MIDNIGHT, tick=False), tenant_context(cast.tenant_b):
        assert tasks.expire_cards.run() == {"schema": cast.tenant_b.schema_name, "expired": 0}
    package.refresh_from_db()
    stored.refresh_from_db()
    assert (package.sessions_left, stored.balance) == (6, D("550.00"))
    assert not CardEntry.objects.filter(kind=EntryKind.EXPIRE)


def test_beat_runs_the_expiry_in_every_business_each_hour():
    from config.celery_app import app

    entry = app.conf.beat_schedule["finance-expire-cards"]
    assert entry["task"] == "tenants.fan_out" and entry["args"] == ("finance.expire_cards",)
    assert app.tasks["finance.expire_cards"].name == "finance.expire_cards"
