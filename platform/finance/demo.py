"""Money in the demo businesses, so the till's reports are not empty on ``make run``:
a stored-value card with a bonus and a package on sale and sold, the demo history's visits
billed and paid (cash, WeChat Pay, Alipay, bank card), this week's completed appointments
billed from the appointment and paid (one split between the stored-value card and cash,
one from the package), one bill left open, a month of expenses and budgets.

Everything goes through the till's services (``finance.bills``, ``finance.cards``,
``finance.budgets``), as staff would. Dates derive from the business's today. Skipped
once the business has any card product or bill, so a second run adds nothing.

One liberty, for the demo only: the history's bills are dated on their visits' days (and
linked to those visits), as if the till had been in use then; those bills take no card
money, so every card movement and the cash of every day still agree."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from finance import bills, budgets, cards
from finance.models import (
    Bill,
    BillStatus,
    BudgetKind,
    CardKind,
    CardProduct,
    LineKind,
    Payment,
    PaymentMethod,
)

HISTORY_METHODS = (
    PaymentMethod.WECHAT,
    PaymentMethod.ALIPAY,
    PaymentMethod.CASH,
    PaymentMethod.BANK_CARD,
)


def _people():
    staff = list(User.objects.filter(is_active=True).order_by("id"))
    owner = next((u for u in staff if "owner" in u.roles), staff[0])
    desk = next((u for u in staff if "front_desk" in u.roles), owner)
    practitioner = next((u for u in staff if "practitioner" in u.roles), owner)
    return owner, desk, practitioner


def _pay(bill, actor, method, amount=None, **extra) -> None:
    bill.refresh_from_db()
    amount = bill.balance_due if amount is None else amount
    if amount > 0:
        bills.payment_take(bill=bill, actor=actor, method=method, amount=amount, **extra)


def _sell(product, client, actor, method):
    bill = bills.bill_create(client=client, actor=actor)
    bills.line_add(
        bill=bill,
        actor=actor,
        kind=LineKind.CARD,
        description=product.name,
        unit_price=product.price,
        card_product=product,
    )
    _pay(bill, actor, method)
    return client.cards.filter(product=product).order_by("-id").first()


def _history(tenant, demo, clients, desk, practitioner, today) -> None:
    """The demo history's visits (scheduling-free ones) billed on their own days."""
    from visits.models import Visit

    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    methods = itertools.cycle(HISTORY_METHODS)
    for declared in demo.visits:
        amount = Decimal(declared.amount or 0)
        if declared.client >= len(clients) or amount <= 0:
            continue
        client = clients[declared.client]
        day = today - dt.timedelta(days=declared.days_ago)
        visits = Visit.objects.filter(client=client, visited_on=day)
        visit = visits.exclude(origin="appointment").first()
        bill = bills.bill_create(client=client, actor=desk)
        bills.line_add(
            bill=bill,
            actor=desk,
            kind=LineKind.SERVICE,
            description=", ".join(declared.items) or _("Visit"),
            unit_price=amount,
            staff=practitioner,
        )
        _pay(bill, desk, next(methods))
        when = dt.datetime.combine(day, dt.time(15), tzinfo=zone)
        # Demo only (see the module's docstring): as if the till had been used that day.
        Bill.objects.filter(pk=bill.pk).update(
            visit=visit, created_at=when, issued_at=when, paid_at=when
        )
        Payment.objects.filter(bill=bill).update(created_at=when)


def _completed():
    from scheduling.models import Appointment

    return list(
        Appointment.objects.filter(status="completed", price__gt=0)
        .select_related("client", "service")
        .order_by("starts_at", "id")
    )


def _appointments(done, desk, stored, package) -> None:
    """This week's completed appointments, billed from the appointment and paid: the
    stored-value card's holder splits between the card and cash (with change), the
    package's holder redeems a session, every fifth bill is left open, the rest pay by
    WeChat Pay, Alipay, cash or bank card."""
    methods = itertools.cycle(HISTORY_METHODS)
    split_done = False
    for n, appointment in enumerate(done):
        bill = bills.bill_from_appointment(appointment=appointment, actor=desk)
        bill.refresh_from_db()
        if bill.status != BillStatus.DRAFT or bill.total <= 0:
            continue
        if not split_done and stored is not None and stored.client_id == appointment.client_id:
            split_done = True
            stored.refresh_from_db()
            part = min(stored.balance, (bill.total / 2).quantize(Decimal("1")))
            if part > 0:
                _pay(bill, desk, PaymentMethod.STORED_VALUE, part, card=stored)
            bill.refresh_from_db()
            rest = bill.balance_due
            if rest > 0:
                _pay(bill, desk, PaymentMethod.CASH, rest, tendered=rest + 50 - rest % 50)
        elif (
            package is not None
            and package.client_id == appointment.client_id
            and package.services.filter(pk=appointment.service_id).exists()
        ):
            _pay(bill, desk, PaymentMethod.PACKAGE, bill.total, card=package)
        elif n % 5 == 4:
            bills.bill_issue(bill=bill, actor=desk)  # left open: the outstanding report
        else:
            _pay(bill, desk, next(methods))


def _spending(owner, today) -> None:
    first = today.replace(day=1)
    for days, category, amount, method in (
        (0, _("Rent"), "12000", PaymentMethod.TRANSFER),
        (2, _("Products and stock"), "3680", PaymentMethod.ALIPAY),
        (4, _("Utilities"), "860", PaymentMethod.WECHAT),
    ):
        day = min(first + dt.timedelta(days=days), today)
        budgets.expense_create(
            actor=owner, spent_on=day, category=category, amount=Decimal(amount), method=method
        )
    budgets.budget_set(actor=owner, month=first, kind=BudgetKind.REVENUE, amount=Decimal("60000"))
    budgets.budget_set(actor=owner, month=first, kind=BudgetKind.EXPENSE, amount=Decimal("20000"))


def seed_money(tenant, demo) -> None:
    """The demo business's money (see the module's docstring). Run with the business as
    the connection's tenant and its time zone active, after its clients, history and
    appointments exist."""
    from clients.models import Client
    from scheduling.models import Service

    if CardProduct.objects.exists() or Bill.objects.exists():
        return
    clients = list(Client.objects.filter(erased_at__isnull=True).order_by("id"))
    if not clients:
        return
    owner, desk, practitioner = _people()
    today = timezone.localdate()
    done = _completed()
    # The card holders are clients with a completed appointment this week, so the demo
    # shows a split payment from the card and a package session redeemed.
    holder = done[0].client if done else clients[0]
    package_visit = next((a for a in done if a.client_id != holder.pk), None)
    with transaction.atomic(), translation.override(tenant.language):
        stored_product = cards.product_save(
            actor=owner,
            data={
                "kind": CardKind.STORED_VALUE,
                "name": _("Stored-value card 1,000 + 100 bonus"),
                "price": Decimal("1000"),
                "bonus": Decimal("100"),
                "valid_days": 365,
            },
        )
        service = (
            package_visit.service
            if package_visit is not None
            else Service.objects.filter(active=True, price__gt=0).order_by("id").first()
        )
        package_product = None
        if service is not None and service.price > 0:
            package_product = cards.product_save(
                actor=owner,
                data={
                    "kind": CardKind.PACKAGE,
                    "name": _("%(service)s × 5 sessions") % {"service": service.name},
                    "price": service.price * 4,
                    "sessions": 5,
                    "services": [service],
                    "valid_days": 180,
                },
            )
        _history(tenant, demo, clients, desk, practitioner, today)
        stored = _sell(stored_product, holder, desk, PaymentMethod.WECHAT)
        package = None
        if package_product is not None:
            buyer = package_visit.client if package_visit is not None else clients[-1]
            package = _sell(package_product, buyer, desk, PaymentMethod.ALIPAY)
        _appointments(done, desk, stored, package)
        _spending(owner, today)
