"""Sixteen payers on one stored-value card (or one package) at once, each over its own real
connection: the card holds enough for only some of them. The winners' spends add up to
exactly what left the card, the card never goes below zero, its balances equal its ledger,
and the losers are told, in words, that the card does not hold enough (not a server
error)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django_tenants.utils import tenant_context

RACERS = 16
AMOUNT = Decimal("70.00")


@pytest.mark.parametrize("kind", ["stored_value", "package"])
def test_sixteen_concurrent_payers_never_overdraw_one_card(cast, django_db_blocker, kind):
    from accounts.models import User
    from clients.models import Client
    from finance import cards
    from finance.models import (
        Bill,
        BillLine,
        Card,
        CardEntry,
        CardKind,
        CardProduct,
        LineKind,
        Payment,
        PaymentMethod,
    )
    from tests import schedule
    from tests.factories import ClientFactory

    tenant = cast.tenant_a
    with django_db_blocker.unblock():
        with tenant_context(tenant):
            actor = User.objects.get(email=cast.front_desk_a)
            client = ClientFactory(tenant=tenant)
            package = kind == CardKind.PACKAGE
            service = schedule.service("Race card facial") if package else None
            product = CardProduct.objects.create(
                kind=kind,
                name="Race card",
                price=Decimal("400"),
                bonus=Decimal("0") if package else Decimal("100"),
                sessions=5 if package else None,
            )
            if package:
                product.services.set([service])
            sale_bill = Bill.objects.create(
                client=client, currency="CNY", tax_mode="inclusive", status="draft"
            )
            sale = BillLine.objects.create(
                bill=sale_bill,
                kind=LineKind.CARD,
                description="Race card",
                unit_price=Decimal("400"),
                gross=Decimal("400"),
                net=Decimal("400"),
                card_product=product,
            )
            card = cards.issue_from_line(line=sale, actor=actor)
            start = card.sessions_left if package else card.balance  # 5, or 400 + 100 bonus
            step = 1 if package else AMOUNT
            bill = Bill.objects.create(
                client=client, currency="CNY", tax_mode="inclusive", status="draft"
            )
        connection.set_schema_to_public()
        barrier = threading.Barrier(RACERS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def pay() -> None:
            try:
                connection.set_tenant(tenant)
                barrier.wait(timeout=60)
                try:
                    with transaction.atomic():
                        payment = Payment.objects.create(
                            bill=bill,
                            method=PaymentMethod.PACKAGE if package else PaymentMethod.STORED_VALUE,
                            amount=AMOUNT,
                            card=card,
                        )
                        if package:
                            cards.redeem(
                                card=card, service=service, sessions=1, payment=payment, actor=actor
                            )
                        else:
                            cards.spend(card=card, amount=AMOUNT, payment=payment, actor=actor)
                    result = "paid"
                except ValidationError as refused:
                    expected = (
                        ("insufficient_sessions", "The package has not enough sessions left.")
                        if package
                        else (
                            "insufficient_balance",
                            "The card does not hold enough for this payment.",
                        )
                    )
                    ok = (refused.code, refused.messages) == (expected[0], [expected[1]])
                    result = "refused" if ok else f"refused oddly: {refused.messages}"
                except Exception as error:  # noqa: BLE001 - reported by the assertion
                    result = f"{type(error).__name__}: {error}"
                with lock:
                    outcomes.append(result)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=pay) for _ in range(RACERS)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            with tenant_context(tenant):
                card.refresh_from_db()
                entries = list(CardEntry.objects.filter(card=card))
                payments = Payment.objects.filter(bill=bill).count()
            wins = outcomes.count("paid")
            assert len(outcomes) == RACERS
            assert sorted(set(outcomes)) == ["paid", "refused"], outcomes
            assert wins == int(start // step) == (5 if package else 7)
            assert payments == wins  # a refused payer's payment row went with its transaction
            left = card.sessions_left if package else card.balance
            assert start - left == wins * step
            assert card.paid_balance >= 0 and card.bonus_balance >= 0 and card.sessions_left >= 0
            assert sum(e.sessions_delta for e in entries) == card.sessions_left
            assert sum(e.paid_delta for e in entries) == card.paid_balance
            assert sum(e.bonus_delta for e in entries) == card.bonus_balance
            assert len(entries) == 1 + wins
        finally:
            # The ledger is append-only; only the test's own rows are removed, with the
            # triggers set aside for this one transaction (the test user is superuser).
            with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
                CardEntry.objects.filter(card=card).delete()
                Payment.objects.filter(bill=bill).delete()
                Card.objects.filter(pk=card.pk).delete()
                BillLine.objects.filter(bill__in=[bill, sale_bill]).delete()
                Bill.objects.filter(pk__in=[bill.pk, sale_bill.pk]).delete()
                product.delete()
                if service is not None:
                    service.delete()
                Client.objects.filter(pk=client.pk).delete()
            connection.set_schema_to_public()
