"""Moving stored value and package sessions between family members' cards: only where the
owner switched it on, only within one household, only by staff who take payments; two
ledger movements naming each other, paid and bonus kept apart (a refund of the source's
sale returns only the paid value still on it), balances equal to the ledgers, both
clients' timelines and the audit trail; concurrent transfers never overdraw; another
business cannot reach a card through the page."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from clients import households
from finance import cards, transfers
from finance.client_file import timeline_entries
from finance.models import CardEntry, CardKind, EntryKind, FinanceSettings, LineKind
from tests import schedule
from tests.conftest import staff_member
from tests.factories import ClientFactory
from tests.test_finance_cards import NOON, ledger_matches, product, sold

pytestmark = pytest.mark.clock(NOON)
D = Decimal


def _allow(on: bool = True) -> None:
    FinanceSettings.objects.update_or_create(singleton=True, defaults={"allow_card_transfers": on})


def _family(cast, desk, size: int = 2):
    members = [ClientFactory(tenant=cast.tenant_a) for _ in range(size)]
    for member in members[1:]:
        households.household_add_member(actor=desk, client=members[0], relative=member)
    for member in members:
        member.refresh_from_db()
    return members


@pytest.fixture
def desk(cast, db):
    with tenant_context(cast.tenant_a):
        yield staff_member(cast.tenant_a, cast.front_desk_a)


def test_value_moves_in_the_sources_mix_only_when_the_owner_allows_it(cast, desk):
    # given: mother's card holds 1,000 paid + 100 bonus; transfers are off by default
    mother, daughter = _family(cast, desk)
    prod = product(price=D("1000"), bonus=D("100"))
    source = sold(mother, prod, actor=desk)
    target = sold(daughter, prod, net=D("0"), actor=desk)
    assert FinanceSettings.load().allow_card_transfers is False
    with pytest.raises(ValidationError) as refused:
        transfers.transfer(source=source, target=target, amount=D("110"), actor=desk, note="x")
    assert refused.value.code == "transfers_off"
    # when
    _allow()
    out, into = transfers.transfer(
        source=source, target=target, amount=D("110"), actor=desk, note="gift"
    )
    # then
    assert out.counterpart_id == into.pk and into.counterpart_id == out.pk
    assert (out.kind, into.kind) == (EntryKind.TRANSFER_OUT, EntryKind.TRANSFER_IN)
    assert (out.paid_delta, out.bonus_delta) == (D("-100.00"), D("-10.00"))
    assert (into.paid_delta, into.bonus_delta) == (D("100.00"), D("10.00"))
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.paid_balance, source.bonus_balance) == (D("900.00"), D("90.00"))
    assert (target.paid_balance, target.bonus_balance) == (D("100.00"), D("110.00"))
    with pytest.raises(ValidationError) as refused:
        transfers.transfer(source=source, target=target, amount=D("5000"), actor=desk, note="x")
    assert "amount" in refused.value.message_dict
    assert ledger_matches(source) and ledger_matches(target)


def test_value_never_moves_across_households_or_to_a_client_without_one(cast, desk):
    _allow()
    mother, _daughter = _family(cast, desk)
    neighbour, _her_son = _family(cast, desk)
    stranger = ClientFactory(tenant=cast.tenant_a)
    prod = product(price=D("300"))
    source = sold(mother, prod, actor=desk)
    for other in (neighbour, stranger):
        target = sold(other, prod, actor=desk)
        with pytest.raises(ValidationError) as refused:
            transfers.transfer(source=source, target=target, amount=D("10"), actor=desk, note="x")
        assert refused.value.error_dict["target"][0].code == "not_household"
        assert ledger_matches(target)
    assert transfers.targets_for(source) == []
    source.refresh_from_db()
    assert source.paid_balance == D("300")


def test_staff_who_do_not_take_payments_cannot_move_value(cast, desk):
    _allow()
    mother, daughter = _family(cast, desk)
    prod = product(price=D("300"))
    source, target = sold(mother, prod, actor=desk), sold(daughter, prod, actor=desk)
    practitioner = staff_member(cast.tenant_a, cast.practitioner_a)  # edits files, no till
    with pytest.raises(ValidationError) as refused:
        transfers.transfer(
            source=source, target=target, amount=D("10"), actor=practitioner, note="x"
        )
    assert refused.value.code == "forbidden"
    assert not CardEntry.objects.filter(card__in=[source, target]).exclude(kind=EntryKind.ISSUE)


def test_package_sessions_move_to_a_family_members_package_of_the_same_services(cast, desk):
    _allow()
    mother, daughter = _family(cast, desk)
    facial, massage = schedule.service("Transfer facial"), schedule.service("Transfer massage")
    ten = product(CardKind.PACKAGE, sessions=10, services=[facial])
    source = sold(mother, ten, actor=desk)
    target = sold(daughter, ten, actor=desk)
    other = sold(daughter, product(CardKind.PACKAGE, sessions=5, services=[massage]), actor=desk)
    assert transfers.targets_for(source) == [target]
    # when
    out, into = transfers.transfer(
        source=source, target=target, sessions=3, actor=desk, note="for her daughter"
    )
    # then
    assert (out.sessions_delta, into.sessions_delta) == (-3, 3)
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.sessions_left, target.sessions_left) == (7, 13)
    with pytest.raises(ValidationError) as refused:
        transfers.transfer(source=source, target=other, sessions=1, actor=desk, note="x")
    assert refused.value.error_dict["target"][0].code == "services"
    with pytest.raises(ValidationError) as refused:
        transfers.transfer(source=source, target=target, sessions=8, actor=desk, note="x")
    assert "sessions" in refused.value.message_dict
    stored = sold(daughter, product(price=D("100")), actor=desk)
    with pytest.raises(ValidationError) as refused:
        transfers.transfer(source=source, target=stored, sessions=1, actor=desk, note="x")
    assert refused.value.error_dict["target"][0].code == "kind"
    assert all(ledger_matches(card) for card in (source, target, other, stored))


def test_moved_paid_value_cannot_be_refunded_from_the_source_sale(cast, desk):
    # given: 1,000 paid + 100 bonus sold on a line; 550 moved to the daughter
    _allow()
    mother, daughter = _family(cast, desk)
    prod = product(price=D("1000"), bonus=D("100"))
    source = sold(mother, prod, actor=desk)
    target = sold(daughter, prod, net=D("0"), actor=desk)
    sale = source.sold_on
    assert cards.refundable_for_line(sale) == D("1000")
    transfers.transfer(source=source, target=target, amount=D("550"), actor=desk, note="gift")
    # then: only the paid value still on the mother's card can go back as money
    source.refresh_from_db()
    assert (source.paid_balance, source.bonus_balance) == (D("500.00"), D("50.00"))
    assert cards.refundable_for_line(sale) == D("500.00")
    assert sale.kind == LineKind.CARD


def test_a_transfer_is_in_both_clients_timelines_and_the_audit_trail(cast, desk):
    _allow()
    mother, daughter = _family(cast, desk)
    prod = product(price=D("300"))
    source = sold(mother, prod, actor=desk)
    target = sold(daughter, prod, net=D("0"), actor=desk)
    out, into = transfers.transfer(
        source=source, target=target, amount=D("120"), actor=desk, note="birthday"
    )
    # (money is shown with a no-break space between currency and amount)
    theirs = [
        e.title.replace("\xa0", " ") + "|" + e.detail for e in timeline_entries(mother, desk, 10)
    ]
    hers = [
        e.title.replace("\xa0", " ") + "|" + e.detail for e in timeline_entries(daughter, desk, 10)
    ]
    assert (
        f"Transfer from {source.name} {source.code}: CNY 120.00|"
        f"To {daughter.name}'s {target.name} {target.code}\nbirthday"
    ) in theirs
    assert (
        f"Transfer onto {target.name} {target.code}: CNY 120.00|"
        f"From {mother.name}'s {source.name} {source.code}\nbirthday"
    ) in hers
    audited = AuditEntry.objects.filter(
        object_type="card_entry", object_id__in=[str(out.pk), str(into.pk)]
    )
    assert sorted(audited.values_list("client_id", flat=True)) == sorted([mother.pk, daughter.pk])


# ---------- the card page ----------


def test_the_card_page_offers_family_members_cards_only_when_switched_on(cast, front_desk_a):
    with tenant_context(cast.tenant_a):
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        mother, daughter = _family(cast, desk)
        stranger = ClientFactory(tenant=cast.tenant_a)
        prod = product(price=D("300"))
        source = sold(mother, prod, actor=None)
        target = sold(daughter, prod, actor=None)
        foreign = sold(stranger, prod, actor=None)
    page = front_desk_a.get(f"/till/cards/{source.pk}/").content.decode()
    assert "transfer/" not in page
    form = {"target": str(target.pk), "amount": "100", "note": "to her daughter"}
    assert front_desk_a.post(f"/till/cards/{source.pk}/transfer/", form).status_code == 404
    with tenant_context(cast.tenant_a):
        _allow()
    page = front_desk_a.get(f"/till/cards/{source.pk}/").content.decode()
    assert "transfer/" in page and target.code in page and foreign.code not in page
    stranger_card = {**form, "target": str(foreign.pk)}
    refused = front_desk_a.post(f"/till/cards/{source.pk}/transfer/", stranger_card)
    assert refused.status_code == 400
    too_much = front_desk_a.post(f"/till/cards/{source.pk}/transfer/", {**form, "amount": "301"})
    assert too_much.status_code == 400
    assert "The card does not hold enough for this payment." in too_much.content.decode()
    done = front_desk_a.post(f"/till/cards/{source.pk}/transfer/", form)
    assert done.status_code == 302
    with tenant_context(cast.tenant_a):
        source.refresh_from_db()
        target.refresh_from_db()
        foreign.refresh_from_db()
        assert (source.paid_balance, target.paid_balance) == (D("200"), D("400"))
        assert foreign.paid_balance == D("300")


def test_another_business_cannot_move_value_off_tenant_as_card(cast, owner_b):
    with tenant_context(cast.tenant_a):
        desk = staff_member(cast.tenant_a, cast.front_desk_a)
        _allow()
        mother, daughter = _family(cast, desk)
        prod = product(price=D("300"))
        source, target = sold(mother, prod, actor=None), sold(daughter, prod, actor=None)
    with tenant_context(cast.tenant_b):
        _allow()
    form = {"target": str(target.pk), "amount": "100", "note": "x"}
    assert owner_b.get(f"/till/cards/{source.pk}/").status_code == 404
    assert owner_b.post(f"/till/cards/{source.pk}/transfer/", form).status_code == 404
    with tenant_context(cast.tenant_a):
        assert ledger_matches(source) and source.paid_balance == D("300")
        assert not CardEntry.objects.filter(kind=EntryKind.TRANSFER_IN, card=target)


# ---------- concurrency ----------

RACERS = 8


def test_concurrent_transfers_never_overdraw_and_opposite_ones_do_not_deadlock(
    cast, django_db_blocker
):
    """Eight transfers of 100 off a card holding 500, each on its own connection, while
    four others move 1 the opposite way: five of the eight go through, the rest are told
    the card does not hold enough, and both balances equal their ledgers."""
    from clients.models import Client, Household
    from finance.models import Bill, BillLine, Card, CardProduct

    tenant = cast.tenant_a
    with django_db_blocker.unblock():
        with tenant_context(tenant):
            desk = staff_member(tenant, cast.front_desk_a)
            was = FinanceSettings.load().allow_card_transfers
            _allow()
            mother, daughter = _family(cast, desk)
            prod = product(price=D("500"))
            source, target = sold(mother, prod, actor=desk), sold(daughter, prod, actor=desk)
            household_id = mother.household_id
        connection.set_schema_to_public()
        barrier = threading.Barrier(RACERS + 4)
        outcomes: list[tuple[str, str]] = []
        lock = threading.Lock()

        def move(way: str, amount: Decimal) -> None:
            try:
                connection.set_tenant(tenant)
                barrier.wait(timeout=60)
                there = (source, target) if way == "out" else (target, source)
                try:
                    transfers.transfer(
                        source=there[0], target=there[1], amount=amount, actor=desk, note="race"
                    )
                    result = "moved"
                except ValidationError as refused:
                    said = refused.message_dict.get("amount")
                    ok = said == ["The card does not hold enough for this payment."]
                    result = "refused" if ok else f"refused oddly: {refused.messages}"
                except Exception as error:  # noqa: BLE001 - reported by the assertion
                    result = f"{type(error).__name__}: {error}"
                with lock:
                    outcomes.append((way, result))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=move, args=("out", D("100"))) for _ in range(RACERS)]
        threads += [threading.Thread(target=move, args=("back", D("1"))) for _ in range(4)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            with tenant_context(tenant):
                source.refresh_from_db()
                target.refresh_from_db()
                source_ok, target_ok = ledger_matches(source), ledger_matches(target)
            out = [result for way, result in outcomes if way == "out"]
            back = [result for way, result in outcomes if way == "back"]
            assert len(outcomes) == RACERS + 4, outcomes
            assert back == ["moved"] * 4, back
            assert sorted(out) == ["moved"] * 5 + ["refused"] * 3, out
            assert (source.paid_balance, target.paid_balance) == (D("4"), D("996"))
            assert source_ok and target_ok
        finally:
            # The ledger is append-only; only the test's own rows are removed, with the
            # triggers set aside for this one transaction (the test user is superuser).
            with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                bills = list(
                    Bill.objects.filter(lines__cards_sold__in=[source, target]).values_list(
                        "pk", flat=True
                    )
                )
                # Raw: the entries name each other (PROTECT), which the ORM would refuse.
                cursor.execute(
                    "DELETE FROM finance_cardentry WHERE card_id = ANY(%s)",
                    [[source.pk, target.pk]],
                )
                Card.objects.filter(pk__in=[source.pk, target.pk]).delete()
                BillLine.objects.filter(bill__in=bills).delete()
                Bill.objects.filter(pk__in=bills).delete()
                CardProduct.objects.filter(pk=prod.pk).delete()
                Client.objects.filter(pk__in=[mother.pk, daughter.pk]).delete()
                Household.objects.filter(pk=household_id).delete()
                _allow(was)
            connection.set_schema_to_public()
