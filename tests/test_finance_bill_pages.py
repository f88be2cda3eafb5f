"""The till's bill pages under /till/: the list, a counter bill, a bill from a completed
appointment, its lines while a draft (and not after), split payments with change for
cash, refunds and voids for approvers only, who may open the pages, tenant isolation,
Chinese pages, constant queries and no-store."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from finance import bills
from finance.models import Bill, BillStatus, LineKind, Payment
from scheduling.models import Status
from scheduling.services import appointment_book, appointment_complete, appointment_transition
from tests import schedule
from tests.conftest import signed_in, staff_member
from tests.factories import ClientFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Monday 23 November 2026, 11:00 in Shanghai (tenant A's zone).
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC))
MONDAY = dt.date(2026, 11, 23)


def at(hhmm: str, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=SHANGHAI)


class Till:
    """Tenant A with a practitioner performing a facial (CNY 300), and a client."""

    def __init__(self, cast):
        self.cast = cast
        self.doctor = staff_member(cast.tenant_a, cast.practitioner_a)
        self.desk = staff_member(cast.tenant_a, cast.front_desk_a)
        self.owner = staff_member(cast.tenant_a, cast.owner_a)
        with tenant_context(cast.tenant_a):
            schedule.open_business("08:00-20:00")
            schedule.working(self.doctor, "08:00-20:00")
            self.facial = schedule.service("Hydra facial", staff=[self.doctor], price="300")
            self.client = ClientFactory(tenant=cast.tenant_a, name="Wendy Wang")

    def completed(self, hhmm: str = "09:00"):
        """A facial this morning, done."""
        with tenant_context(self.cast.tenant_a):
            (made,) = appointment_book(
                client=self.client,
                services=[self.facial],
                starts_at=at(hhmm),
                staff=self.doctor,
                respect_hours=False,
                allow_past=True,
            )
            appointment_transition(appointment=made, to=Status.ARRIVED)
            appointment_complete(appointment=made)
        return made

    def bill(self, *lines: tuple[str, str], client=True) -> Bill:
        """A counter draft with product lines (description, unit price)."""
        with tenant_context(self.cast.tenant_a):
            bill = bills.bill_create(client=self.client if client else None, actor=self.desk)
            for description, price in lines:
                bills.line_add(
                    bill=bill,
                    actor=self.desk,
                    kind=LineKind.PRODUCT,
                    description=description,
                    unit_price=Decimal(price),
                )
            return Bill.objects.get(pk=bill.pk)

    def paid(self, price: str = "200") -> Bill:
        bill = self.bill(("Serum", price))
        with tenant_context(self.cast.tenant_a):
            bills.payment_take(bill=bill, actor=self.desk, method="cash", amount=Decimal(price))
            return Bill.objects.get(pk=bill.pk)

    def reread(self, bill) -> Bill:
        with tenant_context(self.cast.tenant_a):
            return Bill.objects.get(pk=bill.pk)


@pytest.fixture
def till(cast, db) -> Till:
    return Till(cast)


def url(bill) -> str:
    return f"/till/bills/{bill.pk}/"


# ---------- from the calendar to a paid bill ----------


def test_front_desk_bills_a_completed_appointment_and_takes_cash_and_bank_card(till, front_desk_a):
    appointment = till.completed()
    # the appointment page offers the bill
    page = front_desk_a.get(f"/appointments/{appointment.pk}/").content.decode()
    assert f'action="/till/appointments/{appointment.pk}/bill/"' in page
    made = front_desk_a.post(f"/till/appointments/{appointment.pk}/bill/")
    assert made.status_code == 302
    bill_url = made["Location"]
    assert re.fullmatch(r"/till/bills/\d+/", bill_url)
    page = front_desk_a.get(bill_url).content.decode()
    assert "Hydra facial" in page and "CNY\u00a0300.00" in page
    # a second press opens the same bill, and the appointment page now says "Open bill"
    assert front_desk_a.post(f"/till/appointments/{appointment.pk}/bill/")["Location"] == bill_url
    page = front_desk_a.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "Open bill" in page and f'href="{bill_url}"' in page
    # 100 in cash, 200 handed over: the change due is shown after saving
    cash = front_desk_a.post(
        bill_url, {"action": "pay", "method": "cash", "amount": "100", "tendered": "200"}
    )
    assert cash.status_code == 302 and "change=" in cash["Location"]
    page = front_desk_a.get(cash["Location"]).content.decode()
    assert 'id="change-due"' in page and "CNY\u00a0100.00" in page
    assert "Partially paid" in page
    # the prefilled amount is the balance due
    assert re.search(r'name="amount"[^>]*value="200.00"', page)
    # the rest by bank card, with the terminal's reference
    card = front_desk_a.post(
        bill_url,
        {"action": "pay", "method": "bank_card", "amount": "200", "reference": "POS-7781"},
    )
    assert card.status_code == 302
    page = front_desk_a.get(card["Location"]).content.decode()
    assert "POS-7781" in page and "Bank card" in page and "Cash" in page
    assert "Frank Frontdesk" in page  # who took them
    assert 'id="take-payment"' not in page  # nothing left to take
    with tenant_context(till.cast.tenant_a):
        bill = Bill.objects.get(appointment=appointment)
        assert bill.status == BillStatus.PAID and bill.number
        taken = list(Payment.objects.filter(bill=bill).values_list("method", "amount"))
    assert taken == [("cash", Decimal("100.00")), ("bank_card", Decimal("200.00"))]
    # the receipt's links once it is issued
    assert f"/till/bills/{bill.pk}/receipt.pdf" in page and f"/till/bills/{bill.pk}/print/" in page


def test_an_overpayment_is_refused_beside_the_amount(till, front_desk_a):
    bill = till.bill(("Serum", "80"))
    answer = front_desk_a.post(url(bill), {"action": "pay", "method": "wechat", "amount": "90"})
    assert answer.status_code == 400
    assert "still due" in answer.content.decode()
    assert till.reread(bill).paid_total == 0


def test_a_methods_the_till_does_not_take_are_not_offered(till, front_desk_a):
    from finance.models import FinanceSettings

    with tenant_context(till.cast.tenant_a):
        FinanceSettings.objects.update_or_create(
            singleton=True, defaults={"methods": ["cash", "wechat"]}
        )
    bill = till.bill(("Serum", "80"))
    page = front_desk_a.get(url(bill)).content.decode()
    assert 'value="wechat"' in page and 'value="alipay"' not in page
    refused = front_desk_a.post(url(bill), {"action": "pay", "method": "alipay", "amount": "80"})
    assert refused.status_code == 400


def test_a_stored_value_card_sold_at_the_till_pays_part_of_the_next_bill(till, front_desk_a):
    from finance.models import Card, CardKind, CardProduct

    with tenant_context(till.cast.tenant_a):
        product = CardProduct.objects.create(
            kind=CardKind.STORED_VALUE, name="Gold card", price=Decimal("1000"), bonus=100
        )
    # the card is sold on a bill, paid by WeChat
    sale = till.bill()
    page = front_desk_a.get(url(sale)).content.decode()
    assert "Gold card" in page
    front_desk_a.post(
        url(sale), {"action": "add_line", "add-kind": "card", "add-card_product": product.pk}
    )
    assert till.reread(sale).total == Decimal("1000.00")
    front_desk_a.post(url(sale), {"action": "pay", "method": "wechat", "amount": "1000"})
    with tenant_context(till.cast.tenant_a):
        card = Card.objects.get(client=till.client)
    assert card.balance == Decimal("1100.00")
    # the next bill: 200 from the card, the rest in cash
    bill = till.bill(("Facial serum", "300"))
    page = front_desk_a.get(url(bill)).content.decode()
    assert f'<option value="{card.pk}">Gold card · {card.code}' in page
    split = front_desk_a.post(
        url(bill), {"action": "pay", "method": "stored_value", "amount": "200", "card": card.pk}
    )
    assert split.status_code == 302
    # without a card picked, a card payment is refused beside the card
    missing = front_desk_a.post(
        url(bill), {"action": "pay", "method": "stored_value", "amount": "1"}
    )
    assert missing.status_code == 400 and "Choose the client" in missing.content.decode()
    front_desk_a.post(url(bill), {"action": "pay", "method": "cash", "amount": "100"})
    assert till.reread(bill).status == BillStatus.PAID
    with tenant_context(till.cast.tenant_a):
        card.refresh_from_db()
    assert card.balance == Decimal("900.00")
    page = front_desk_a.get(url(bill)).content.decode()
    assert "Stored-value card" in page and card.code in page
    # a top-up of that card: 500 more on it once its bill is paid
    top_up = till.bill()
    front_desk_a.post(
        url(top_up),
        {"action": "add_line", "add-kind": "top_up", "add-card": card.pk, "add-unit_price": "500"},
    )
    front_desk_a.post(url(top_up), {"action": "pay", "method": "alipay", "amount": "500"})
    with tenant_context(till.cast.tenant_a):
        card.refresh_from_db()
        assert top_up.lines.get().description == f"Top-up of {card}"
    assert card.balance == Decimal("1400.00")


# ---------- lines ----------


def test_a_drafts_lines_are_editable_and_an_issued_bills_are_not(till, front_desk_a):
    bill = till.bill()
    page = front_desk_a.get(url(bill)).content.decode()
    assert 'value="add_line"' in page
    # a service from the catalogue, at its price
    added = front_desk_a.post(
        url(bill),
        {"action": "add_line", "add-kind": "service", "add-service": till.facial.pk},
    )
    assert added.status_code == 302
    # a product typed in, with a 10% discount and its reason
    front_desk_a.post(
        url(bill),
        {
            "action": "add_line",
            "add-kind": "product",
            "add-description": "Sunscreen",
            "add-unit_price": "100",
            "add-quantity": "2",
            "add-discount_kind": "percent",
            "add-discount_value": "10",
            "add-discount_reason": "Regular client",
        },
    )
    with tenant_context(till.cast.tenant_a):
        lines = list(bill.lines.order_by("position", "id"))
    assert [(line.description, line.net) for line in lines] == [
        ("Hydra facial", Decimal("300.00")),
        ("Sunscreen", Decimal("180.00")),
    ]
    assert till.reread(bill).total == Decimal("480.00")
    # a product without a price is refused beside the price, nothing written
    missing = front_desk_a.post(
        url(bill), {"action": "add_line", "add-kind": "product", "add-description": "Mask"}
    )
    assert missing.status_code == 400 and "Give the price." in missing.content.decode()
    # edit the sunscreen to one, remove the facial
    sunscreen, facial = lines[1], lines[0]
    edited = front_desk_a.post(
        url(bill),
        {
            "action": "edit_line",
            "line": sunscreen.pk,
            f"line{sunscreen.pk}-kind": "product",
            f"line{sunscreen.pk}-description": "Sunscreen",
            f"line{sunscreen.pk}-unit_price": "100",
            f"line{sunscreen.pk}-quantity": "1",
        },
    )
    assert edited.status_code == 302
    front_desk_a.post(url(bill), {"action": "remove_line", "line": facial.pk})
    bill = till.reread(bill)
    assert bill.total == Decimal("100.00")
    # a whole-bill discount: the totals are the service's
    front_desk_a.post(
        url(bill),
        {
            "action": "discount",
            "discount_kind": "amount",
            "discount_value": "5",
            "discount_reason": "Rounding",
        },
    )
    bill = till.reread(bill)
    assert bill.total == Decimal("95.00") and bill.discount_total == Decimal("5.00")
    page = front_desk_a.get(url(bill)).content.decode()
    assert "CNY\u00a095.00" in page and "Rounding" in page
    # issued: no more line forms, and a line posted anyway is refused
    issued = front_desk_a.post(url(bill), {"action": "issue"})
    assert issued.status_code == 302
    page = front_desk_a.get(url(bill)).content.decode()
    assert 'value="add_line"' not in page and 'value="edit_line"' not in page
    assert "Bill № " in page
    late = front_desk_a.post(
        url(bill),
        {
            "action": "add_line",
            "add-kind": "product",
            "add-description": "Mask",
            "add-unit_price": "10",
        },
    )
    assert late.status_code == 400
    assert till.reread(bill).total == Decimal("95.00")


def test_a_discount_beyond_the_limit_needs_approval(till, front_desk_a, owner_a):
    bill = till.bill(("Serum", "100"))
    data = {
        "action": "discount",
        "discount_kind": "percent",
        "discount_value": "30",
        "discount_reason": "Friend",
    }
    refused = front_desk_a.post(url(bill), data)
    assert refused.status_code == 400 and "approval" in refused.content.decode()
    assert till.reread(bill).total == Decimal("100.00")
    assert owner_a.post(url(bill), data).status_code == 302
    assert till.reread(bill).total == Decimal("70.00")


def test_a_counter_bill_for_a_client_picked_by_search_or_for_nobody(till, front_desk_a):
    page = front_desk_a.get("/till/bills/new/").content.decode()
    assert 'hx-get="/till/bills/clients/"' in page
    found = front_desk_a.get("/till/bills/clients/", {"q": "Wendy"}).content.decode()
    assert "Wendy Wang" in found and f'value="{till.client.pk}"' in found
    chosen = front_desk_a.post("/till/bills/new/", {"choose": till.client.pk})
    assert "Wendy Wang" in chosen.content.decode()
    made = front_desk_a.post("/till/bills/new/", {"client": till.client.pk, "action": "create"})
    assert made.status_code == 302
    walk_in = front_desk_a.post("/till/bills/new/", {"action": "walk_in"})
    assert walk_in.status_code == 302
    with tenant_context(till.cast.tenant_a):
        made_bills = list(Bill.objects.order_by("id").values_list("client_id", "status"))
    assert made_bills == [(till.client.pk, "draft"), (None, "draft")]


# ---------- roles ----------


def test_front_desk_cannot_void_or_refund_and_the_owner_can(till, front_desk_a, owner_a):
    paid = till.paid("200")
    with tenant_context(till.cast.tenant_a):
        payment = Payment.objects.get(bill=paid)
    page = front_desk_a.get(url(paid)).content.decode()
    assert 'value="refund"' not in page and 'value="void"' not in page
    refund = {"action": "refund", "payment": payment.pk}
    refund.update({f"refund{payment.pk}-amount": "50", f"refund{payment.pk}-reason": "Allergy"})
    refused = front_desk_a.post(url(paid), refund)
    assert refused.status_code == 403 and "Not available for your role" in refused.content.decode()
    draft = till.bill(("Mask", "10"))
    refused = front_desk_a.post(url(draft), {"action": "void", "reason": "Typo"})
    assert refused.status_code == 403
    assert till.reread(draft).status == BillStatus.DRAFT
    # the owner refunds part of the payment and voids the draft
    page = owner_a.get(url(paid)).content.decode()
    assert 'value="refund"' in page
    assert owner_a.post(url(paid), refund).status_code == 302
    paid = till.reread(paid)
    assert paid.refunded_total == Decimal("50.00") and paid.balance_due == Decimal("50.00")
    page = owner_a.get(url(paid)).content.decode()
    assert "Allergy" in page and "−CNY\u00a050.00" in page
    # never more than was paid
    too_much = dict(refund, **{f"refund{payment.pk}-amount": "151"})
    assert owner_a.post(url(paid), too_much).status_code == 400
    assert owner_a.post(url(draft), {"action": "void", "reason": "Typo"}).status_code == 302
    assert till.reread(draft).status == BillStatus.VOID
    # a void needs its reason
    other = till.bill(("Mask", "10"))
    assert owner_a.post(url(other), {"action": "void", "reason": ""}).status_code == 400


def test_a_practitioner_without_the_till_capability_gets_403(till, practitioner_a):
    bill = till.bill(("Serum", "10"))
    for path in ("/till/", "/till/bills/new/", url(bill)):
        answer = practitioner_a.get(path)
        assert answer.status_code == 403, path
    assert practitioner_a.post(url(bill), {"action": "issue"}).status_code == 403
    appointment = till.completed()
    page = practitioner_a.get(f"/appointments/{appointment.pk}/").content.decode()
    assert "/bill/" not in page
    assert practitioner_a.post(f"/till/appointments/{appointment.pk}/bill/").status_code == 403
    # nor in the sidebar
    assert 'href="/till/"' not in practitioner_a.get("/").content.decode()


def test_tenant_b_gets_404_on_a_bill_of_tenant_a(till, owner_b):
    bill = till.bill(("Serum", "10"))
    assert owner_b.get(url(bill)).status_code == 404
    assert owner_b.post(url(bill), {"action": "issue"}).status_code == 404
    assert "Serum" not in owner_b.get("/till/").content.decode()
    assert till.reread(bill).status == BillStatus.DRAFT


# ---------- the list ----------


def test_the_list_puts_open_and_todays_bills_first_and_filters(till, front_desk_a):
    old = till.paid("50")
    with tenant_context(till.cast.tenant_a):
        Bill.objects.filter(pk=old.pk).update(created_at=at("10:00", MONDAY - dt.timedelta(30)))
    other = ClientFactory(tenant=till.cast.tenant_a, name="Li Lei")
    with tenant_context(till.cast.tenant_a):
        open_bill = bills.bill_create(client=other, actor=till.desk)
    page = front_desk_a.get("/till/").content.decode()
    assert page.index(f"/till/bills/{open_bill.pk}/") < page.index(f"/till/bills/{old.pk}/")
    assert 'href="/till/"' in page  # the sidebar entry
    paid_only = front_desk_a.get("/till/", {"status": "paid"}).content.decode()
    assert f"/till/bills/{old.pk}/" in paid_only and f"/till/bills/{open_bill.pk}/" not in paid_only
    by_client = front_desk_a.get("/till/", {"q": "Li Lei"}).content.decode()
    assert "Li Lei" in by_client and f"/till/bills/{old.pk}/" not in by_client
    dated = front_desk_a.get(
        "/till/", {"date_from": MONDAY.isoformat(), "date_to": MONDAY.isoformat()}
    ).content.decode()
    assert f"/till/bills/{old.pk}/" not in dated and f"/till/bills/{open_bill.pk}/" in dated


def test_the_list_takes_the_same_queries_however_many_bills(
    till, front_desk_a, django_assert_max_num_queries
):
    till.paid("10")
    front_desk_a.get("/till/")
    with django_assert_max_num_queries(40) as one:
        assert front_desk_a.get("/till/").status_code == 200
    for _ in range(8):
        till.paid("10")
        till.bill(("Mask", "5"), client=False)
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert front_desk_a.get("/till/").status_code == 200


def test_a_bill_takes_the_same_queries_however_many_lines(
    till, front_desk_a, owner_a, django_assert_max_num_queries
):
    bill = till.bill(("Serum", "10"))
    owner_a.get(url(bill))
    with django_assert_max_num_queries(60) as one:
        assert owner_a.get(url(bill)).status_code == 200
    with tenant_context(till.cast.tenant_a):
        for n in range(12):
            bills.line_add(
                bill=bill,
                actor=till.desk,
                kind=LineKind.PRODUCT,
                description=f"Item {n}",
                unit_price=Decimal("3"),
            )
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert owner_a.get(url(bill)).status_code == 200
    # and paid in several parts, refunds shown
    with tenant_context(till.cast.tenant_a):
        fresh = Bill.objects.get(pk=bill.pk)
        for _ in range(3):
            bills.payment_take(bill=fresh, actor=till.desk, method="cash", amount=Decimal("5"))
            fresh = Bill.objects.get(pk=bill.pk)
    owner_a.get(url(bill))
    with django_assert_max_num_queries(60) as paid:
        assert owner_a.get(url(bill)).status_code == 200
    with tenant_context(till.cast.tenant_a):
        for _ in range(3):
            bills.payment_take(bill=fresh, actor=till.desk, method="cash", amount=Decimal("5"))
            fresh = Bill.objects.get(pk=bill.pk)
    with django_assert_max_num_queries(len(paid.captured_queries)):
        assert owner_a.get(url(bill)).status_code == 200


# ---------- language and caching ----------


def test_the_pages_in_chinese(till, cast):
    from accounts.models import User

    with tenant_context(cast.tenant_a):
        User.objects.filter(email=cast.front_desk_a).update(language="zh-hans")
    desk = signed_in(cast.tenant_a, cast.host_a, cast.front_desk_a)
    bill = till.paid("30")
    listing = desk.get("/till/").content.decode()
    assert "收银" in listing and "新建账单" in listing and "已付清" in listing
    page = desk.get(url(bill)).content.decode()
    assert "账单" in page and "收款记录" in page and "现金" in page and "已付" in page
    draft = till.bill(("Serum", "10"))
    page = desk.get(url(draft)).content.decode()
    assert "添加项目" in page and "开具账单" in page and "应付余额" in page


def test_bill_pages_are_never_stored(till, front_desk_a):
    bill = till.bill(("Serum", "10"))
    for path in ("/till/", url(bill), "/till/bills/new/"):
        assert front_desk_a.get(path)["Cache-Control"] == "no-store"
