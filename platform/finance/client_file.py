"""The till in the client's file: the Finance tab (seed 000's 财务信息, the client's bills
and cards, their invoice details), the timeline's money entries, and the client's export,
erasure and merge (``clients.related``). Each function runs a fixed number of queries,
whatever the number of bills, payments or card movements.

Erasure keeps every financial row and amount (bills, lines, payments, refunds, cards and
their ledger: the books must still add up, and the ledger is append-only by the
database) and removes what is personal: the invoice details (发票抬头/税号) kept for the
client and the copies printed on their bills (often the person's own name and ID), and
the free-text notes on their bills. Reasons for voids, refunds and discounts stay: they
justify the business's own books (a void explains a gap-free number sequence)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.paginator import Paginator
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.roles import Capability
from clients.profile import TimelineEntry
from finance.models import (
    Bill,
    BillingProfile,
    BillStatus,
    Card,
    CardEntry,
    EntryKind,
    Payment,
    Refund,
)
from finance.receipts import money_text

BILLS_PAGE_SIZE = 20
CARDS_LIMIT = 50
BILL_KIND_LABEL = pgettext_lazy("receipt", "Bill")
CARD_KIND_LABEL = pgettext_lazy("card", "Card")


def _zone() -> zoneinfo.ZoneInfo:
    name = getattr(getattr(connection, "tenant", None), "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _iso(when: dt.datetime | None) -> str | None:
    return timezone.localtime(when, _zone()).isoformat() if when else None


def _money(amount) -> str | None:
    return None if amount is None else str(amount)


def _actor(user) -> str:
    return (user.full_name or user.email) if user is not None else ""


def bill_url(bill_id: int) -> str:
    return reverse("finance:bill", args=[bill_id])


def card_url(card_id: int) -> str:
    return reverse("finance:card", args=[card_id])


# ---------- the profile tab ----------


def billing_profile_of(client) -> BillingProfile | None:
    return BillingProfile.objects.filter(client=client).first()


def finance_tab_context(request, client) -> dict:
    from finance import summary
    from finance.client_file_views import FORM_ATTRIBUTE, BillingProfileForm

    bills = (
        Bill.objects.filter(client=client)
        .only(
            "id",
            "number",
            "status",
            "currency",
            "total",
            "paid_total",
            "refunded_total",
            "created_at",
            "issued_at",
        )
        .order_by("-created_at", "-id")
    )
    page = Paginator(bills, BILLS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "bill": bill,
            "url": bill_url(bill.pk),
            "receipt_url": reverse("finance:receipt_print", args=[bill.pk])
            if bill.status != BillStatus.DRAFT
            else "",
            "when": bill.issued_at or bill.created_at,
        }
        for bill in page.object_list
    ]
    money = summary.for_client(client)
    cards = [
        {"balance": balance, "url": card_url(balance.card.pk)}
        for balance in money.cards[:CARDS_LIMIT]
    ]
    profile = billing_profile_of(client)
    form = getattr(request, FORM_ATTRIBUTE, None) or BillingProfileForm(
        initial={
            "invoice_title": profile.invoice_title if profile else "",
            "tax_id": profile.tax_id if profile else "",
        }
    )
    return {
        "money": money,
        "bill_rows": rows,
        "bills_page": page,
        "card_rows": cards,
        "billing_profile": profile,
        "billing_form": form,
        "can_edit_billing": not client.erased_at,
    }


# ---------- the timeline ----------


def _bill_title(text: str, bill: Bill) -> str:
    return text % {"number": bill.number or "—", "total": money_text(bill.total, bill.currency)}


def _bill_entries(client, limit: int) -> list[TimelineEntry]:
    """Issued, paid and voided, from the bills themselves: one query."""
    bills = (
        Bill.objects.filter(client=client, issued_at__isnull=False)
        .select_related("issued_by", "voided_by")
        .order_by("-issued_at", "-id")[:limit]
    )
    entries = []
    for bill in bills:
        url = bill_url(bill.pk)
        entries.append(
            TimelineEntry(
                when=bill.issued_at,
                kind="bill",
                kind_label=BILL_KIND_LABEL,
                title=_bill_title(_("Bill %(number)s issued: %(total)s"), bill),
                url=url,
                actor=_actor(bill.issued_by),
            )
        )
        if bill.paid_at and bill.status != BillStatus.VOID:
            entries.append(
                TimelineEntry(
                    when=bill.paid_at,
                    kind="bill",
                    kind_label=BILL_KIND_LABEL,
                    title=_bill_title(_("Bill %(number)s paid: %(total)s"), bill),
                    url=url,
                )
            )
        if bill.voided_at:
            entries.append(
                TimelineEntry(
                    when=bill.voided_at,
                    kind="bill",
                    kind_label=BILL_KIND_LABEL,
                    title=_bill_title(_("Bill %(number)s voided"), bill),
                    detail=_("Reason: %(reason)s") % {"reason": bill.void_reason}
                    if bill.void_reason
                    else "",
                    url=url,
                    actor=_actor(bill.voided_by),
                )
            )
    return entries


def _refund_entries(client, limit: int) -> list[TimelineEntry]:
    refunds = (
        Refund.objects.filter(bill__client=client)
        .select_related("bill", "created_by")
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        TimelineEntry(
            when=refund.created_at,
            kind="bill",
            kind_label=BILL_KIND_LABEL,
            title=_("Refund on bill %(number)s: %(amount)s")
            % {
                "number": refund.bill.number or "—",
                "amount": money_text(refund.amount, refund.bill.currency),
            },
            detail=_("Reason: %(reason)s") % {"reason": refund.reason} if refund.reason else "",
            url=bill_url(refund.bill_id),
            actor=_actor(refund.created_by),
        )
        for refund in refunds
    ]


def _entry_title(entry: CardEntry) -> str:
    card = entry.card
    values = {"card": f"{card.name} {card.code}"}
    money = entry.paid_delta + entry.bonus_delta
    values["amount"] = money_text(abs(money), card.currency)
    values["sessions"] = abs(entry.sessions_delta)
    if entry.sessions_delta and not money:
        titles = {
            EntryKind.ISSUE: _("Sold %(card)s: %(sessions)s sessions"),
            EntryKind.TOP_UP: _("Sessions added to %(card)s: %(sessions)s"),
            EntryKind.SPEND: _("Session used on %(card)s: %(sessions)s"),
            EntryKind.REFUND: _("Sessions given back to %(card)s: %(sessions)s"),
            EntryKind.TRANSFER_IN: _("Sessions moved to %(card)s: %(sessions)s"),
            EntryKind.TRANSFER_OUT: _("Sessions moved from %(card)s: %(sessions)s"),
            EntryKind.EXPIRE: _("Sessions expired on %(card)s: %(sessions)s"),
        }
    else:
        titles = {
            EntryKind.ISSUE: _("Sold %(card)s: %(amount)s"),
            EntryKind.TOP_UP: _("Topped up %(card)s: %(amount)s"),
            EntryKind.SPEND: _("Paid from %(card)s: %(amount)s"),
            EntryKind.REFUND: _("Refunded onto %(card)s: %(amount)s"),
            EntryKind.TRANSFER_IN: _("Transfer onto %(card)s: %(amount)s"),
            EntryKind.TRANSFER_OUT: _("Transfer from %(card)s: %(amount)s"),
            EntryKind.EXPIRE: _("Expired on %(card)s: %(amount)s"),
        }
    text = titles.get(entry.kind)
    if text is None:
        return f"{EntryKind(entry.kind).label}: {values['card']}"
    return text % values


def _counterpart(entry: CardEntry) -> list[str]:
    """Whose card a transfer came from or went to (a family member's)."""
    other = entry.counterpart
    if other is None:
        return []
    values = {"name": other.card.client.name, "card": f"{other.card.name} {other.card.code}"}
    if entry.kind == EntryKind.TRANSFER_IN:
        return [_("From %(name)s's %(card)s") % values]
    return [_("To %(name)s's %(card)s") % values]


def _card_entries(client, limit: int) -> list[TimelineEntry]:
    """Every movement on the client's cards: one query."""
    movements = (
        CardEntry.objects.filter(card__client=client)
        .select_related("card", "created_by", "counterpart__card__client")
        .order_by("-created_at", "-id")[:limit]
    )
    entries = []
    for entry in movements:
        detail = _counterpart(entry)
        if entry.bonus_delta and (entry.paid_delta or entry.kind == EntryKind.ISSUE):
            detail.append(
                _("of which bonus %(amount)s")
                % {"amount": money_text(abs(entry.bonus_delta), entry.card.currency)}
            )
        if entry.note:
            detail.append(entry.note)
        entries.append(
            TimelineEntry(
                when=entry.created_at,
                kind="card",
                kind_label=CARD_KIND_LABEL,
                title=_entry_title(entry),
                detail="\n".join(detail),
                url=card_url(entry.card_id),
                actor=_actor(entry.created_by),
            )
        )
    return entries


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    """Bills issued, paid and voided, refunds, and card movements: three queries."""
    entries = _bill_entries(client, limit) + _refund_entries(client, limit)
    entries += _card_entries(client, limit)
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries[:limit]


# ---------- export, erasure and merge (clients.related) ----------


def finance_export(client, *, user) -> dict | None:
    """The client's bills (with lines), payments, refunds, invoice details, cards and
    their ledger; amounts as strings of the Decimal, times in the business's zone. Held
    back (None) from a user whose roles see no money."""
    if not (user.can(Capability.TAKE_PAYMENTS) or user.can(Capability.VIEW_FINANCE)):
        return None
    bills = list(
        Bill.objects.filter(client=client).prefetch_related("lines").order_by("created_at", "id")
    )
    payments = Payment.objects.filter(bill__client=client).select_related("bill", "card")
    refunds = Refund.objects.filter(bill__client=client).select_related("bill", "card")
    cards = Card.objects.filter(client=client).order_by("created_at", "id")
    entries = (
        CardEntry.objects.filter(card__client=client)
        .select_related("card", "bill")
        .order_by("created_at", "id")
    )
    profile = billing_profile_of(client)
    return {
        "invoice_details": {
            "invoice_title": profile.invoice_title if profile else "",
            "tax_id": profile.tax_id if profile else "",
        },
        "bills": [
            {
                "number": bill.number,
                "status": bill.status,
                "currency": bill.currency,
                "created_at": _iso(bill.created_at),
                "issued_at": _iso(bill.issued_at),
                "paid_at": _iso(bill.paid_at),
                "voided_at": _iso(bill.voided_at),
                "void_reason": bill.void_reason,
                "invoice_title": bill.invoice_title,
                "tax_id": bill.tax_id,
                "note": bill.note,
                "discount_reason": bill.discount_reason,
                "subtotal": _money(bill.subtotal),
                "discount_total": _money(bill.discount_total),
                "tax_total": _money(bill.tax_total),
                "total": _money(bill.total),
                "paid_total": _money(bill.paid_total),
                "refunded_total": _money(bill.refunded_total),
                "lines": [
                    {
                        "item": line.description,
                        "kind": line.kind,
                        "quantity": line.quantity,
                        "unit_price": _money(line.unit_price),
                        "discount": _money(line.line_discount + line.bill_discount),
                        "tax": _money(line.tax),
                        "amount": _money(line.net),
                    }
                    for line in bill.lines.all()
                ],
            }
            for bill in bills
        ],
        "payments": [
            {
                "bill": p.bill.number,
                "method": p.method,
                "amount": _money(p.amount),
                "tendered": _money(p.tendered),
                "change": _money(p.change_given),
                "reference": p.reference,
                "card": p.card.code if p.card_id else None,
                "at": _iso(p.created_at),
            }
            for p in payments.order_by("created_at", "id")
        ],
        "refunds": [
            {
                "bill": r.bill.number,
                "method": r.method,
                "amount": _money(r.amount),
                "card": r.card.code if r.card_id else None,
                "reason": r.reason,
                "at": _iso(r.created_at),
            }
            for r in refunds.order_by("created_at", "id")
        ],
        "cards": [
            {
                "code": c.code,
                "kind": c.kind,
                "name": c.name,
                "currency": c.currency,
                "status": c.status,
                "paid_balance": _money(c.paid_balance),
                "bonus_balance": _money(c.bonus_balance),
                "sessions_left": c.sessions_left,
                "starts_on": c.starts_on.isoformat() if c.starts_on else None,
                "expires_on": c.expires_on.isoformat() if c.expires_on else None,
            }
            for c in cards
        ],
        "card_ledger": [
            {
                "card": e.card.code,
                "kind": e.kind,
                "paid": _money(e.paid_delta),
                "bonus": _money(e.bonus_delta),
                "sessions": e.sessions_delta,
                "bill": e.bill.number if e.bill_id else None,
                "note": e.note,
                "at": _iso(e.created_at),
            }
            for e in entries
        ],
    }


def finance_erase(client) -> None:
    """Keep the money, remove the person (see the module's docstring). Card movements
    are append-only (the database refuses to change them): their notes stay."""
    BillingProfile.objects.filter(client=client).update(invoice_title="", tax_id="")
    Bill.objects.filter(client=client).update(invoice_title="", tax_id="", note="")


def finance_merge(kept, merged) -> None:
    """Invoice details are one row per client: the kept file's stay, and the blanks in
    them are filled from the merged file's (which is then deleted with that file). Where
    only the merged file has them, the merge moves the row by itself. Bills and cards
    follow their foreign keys."""
    profiles = {p.client_id: p for p in BillingProfile.objects.filter(client__in=[kept, merged])}
    ours, theirs = profiles.get(kept.pk), profiles.get(merged.pk)
    if ours is None or theirs is None:
        return
    changed = []
    for name in ("invoice_title", "tax_id"):
        if not getattr(ours, name) and getattr(theirs, name):
            setattr(ours, name, getattr(theirs, name))
            changed.append(name)
    if changed:
        ours.save(update_fields=[*changed, "updated_at"])
