"""Bills, payments, refunds and voids: every rule of the till's money in and out. Views,
the demo and the API write through these functions only.

Each function takes keyword arguments, validates (a translated ``ValidationError``,
keyed by the form field it is about where there is one), runs in one transaction (the
bill's row locked with ``SELECT … FOR UPDATE``) and leaves an audit entry (``bill``,
``payment``, ``refund``, ``billing_profile``). Amounts are ``Decimal`` in the bill's
currency and rounded by ``finance.money`` (its docstring holds the rounding rule); a
bill's totals are always recomputed from its lines, never typed.

Rules:

- **Life of a bill**: draft → issued → partially paid → paid (→ refunded when every
  paid amount went back); void from draft or issued, or once every payment was refunded.
  The currency, the tax mode, rate and name are copied onto the bill when it is made
  (the business's currency and ``FinanceSettings``), so later changes relabel nothing.
- **Lines and discounts change only on a draft.** Issuing freezes the lines, the
  discounts and the totals; a mistake on an issued bill is corrected by voiding it (or
  refunding) and writing a new one.
- **Numbers** are given at issue, from ``FinanceSettings.next_bill_number`` taken under
  that row's lock in the issuing transaction: no gaps, no repeats, drafts unnumbered.
- **Discounts** (a line's or the bill's, an amount or a percentage, with a reason) whose
  effective percentage is above ``FinanceSettings.discount_limit_percent`` need
  ``APPROVE_FINANCE``; what is checked is the discount being set. A member price (the
  client's best active membership, ``finance.cards.member_discount_percent``) is put on
  service lines as a line discount with the reason "Member price" and is not a staff
  decision, so it is not limited.
- **Payments**: only methods the till takes (``FinanceSettings.takes``); never more than
  the balance due, except cash, where what is handed over beyond it is change. A
  stored-value payment is spent off its card, a package payment redeems one session (or
  ``sessions``) of the first service on the bill the package covers
  (``finance.cards``). When a bill becomes fully paid, the cards and top-ups its lines
  sell are made (``cards.issue_from_line`` / ``cards.top_up_from_line``).
- **Refunds** need ``APPROVE_FINANCE`` and a reason; never more than the payment's amount
  minus what was refunded of it (and so never more than the bill took). They go back the
  way the payment came (a card payment back onto its card, ``cards.give_back``) or onto a
  stored-value card (``cards.credit``). Refunding a card sale or top-up (``line``) takes
  the paid value off the card (``cards.refund_sale``); while a bill's cards are out, a
  refund without ``line`` may return only the part of the bill that sold no card.
- **Voids** need ``APPROVE_FINANCE`` and a reason and are refused while the bill holds
  money (paid minus refunded).
- **Bills from appointments**: an arrived, in-service or completed appointment, one live
  bill each (a database constraint; a void one can be written again). The appointment's
  service at its booked price, its staff member and the service's category, and the
  items the business's trades offer for the client (``verticals.registry.billables``:
  a dental practice's accepted treatment-plan items), each billed once (``source_ref``);
  voiding an issued bill hands its items back to their trade, open to bill again
  (``verticals.registry.mark_unbilled``).
- After payments, refunds and voids the client's money summary is refreshed
  (``finance.summary.refresh``)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from finance import money
from finance.models import (
    Bill,
    BillingProfile,
    BillLine,
    BillOrigin,
    BillStatus,
    CardKind,
    DiscountKind,
    FinanceSettings,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
)
from finance.selectors import live_bill_for

ZERO = Decimal("0")
MEMBER_PRICE = gettext_noop("Member price")
BILLABLE_APPOINTMENT_STATUSES = ("arrived", "in_service", "completed")
LIVE = (BillStatus.ISSUED, BillStatus.PARTIALLY_PAID, BillStatus.PAID)
CARD_METHODS = (PaymentMethod.STORED_VALUE, PaymentMethod.PACKAGE)

BILL_FIELDS = (
    "number",
    "client_id",
    "appointment_id",
    "visit_id",
    "origin",
    "status",
    "currency",
    "tax_mode",
    "tax_rate",
    "tax_label",
    "discount_kind",
    "discount_value",
    "discount_reason",
    "subtotal",
    "discount_total",
    "tax_total",
    "total",
    "paid_total",
    "refunded_total",
    "invoice_title",
    "tax_id",
    "note",
    "issued_at",
    "paid_at",
    "voided_at",
    "void_reason",
)
LINE_FIELDS = (
    "kind",
    "description",
    "service_id",
    "category",
    "staff_id",
    "quantity",
    "unit_price",
    "discount_kind",
    "discount_value",
    "discount_reason",
    "net",
    "card_product_id",
    "card_id",
    "source_ref",
)
PAYMENT_FIELDS = ("bill_id", "method", "amount", "tendered", "change_given", "reference", "card_id")
REFUND_FIELDS = ("bill_id", "payment_id", "amount", "method", "card_id", "reason")
# Free text a client may have given: named in the audit trail, not copied.
SENSITIVE = ("invoice_title", "tax_id", "note")


# --- helpers ---------------------------------------------------------------------------------


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _bill_snapshot(bill: Bill) -> dict:
    data = _snapshot(bill, BILL_FIELDS)
    data["lines"] = [
        f"{line.kind} {line.quantity}×{line.unit_price} -{line.line_discount} = {line.net}"
        for line in bill.lines.all()
    ]
    return data


def _audit(action, actor, object_type, obj, before, after, client_id, sensitive=()):
    audit.record_change(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=obj.pk,
        client_id=client_id,
        before=before,
        after=after,
        sensitive=sensitive,
    )


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _can(actor, capability) -> bool:
    can = getattr(actor, "can", None)
    return bool(can and getattr(actor, "is_active", True) and can(capability))


def _require(actor, capability, message: str) -> None:
    if not _can(actor, capability):
        raise ValidationError(message, code="needs_approval")


def _locked(bill: Bill) -> Bill:
    return Bill.objects.select_for_update().get(pk=bill.pk)


def _refuse_unless_draft(bill: Bill) -> None:
    if bill.status != BillStatus.DRAFT:
        raise ValidationError(
            _("Only a draft bill can be changed; this one is %(status)s.")
            % {"status": bill.get_status_display().lower()},
            code="not_draft",
        )


def _amount(value, *, field: str, currency: str, allow_zero: bool = False) -> Decimal:
    """A typed amount as Decimal in ``currency``: refused when not a number, negative (or
    zero unless ``allow_zero``) or finer than the currency's smallest coin."""
    if isinstance(value, float):
        raise TypeError("money is never float")
    try:
        amount = money.to_decimal(value if value is not None else "")
    except ValueError:
        raise ValidationError({field: _("Enter an amount.")}, code="invalid") from None
    if not amount.is_finite():
        raise ValidationError({field: _("Enter an amount.")}, code="invalid")
    if amount < 0:
        raise ValidationError({field: _("The amount cannot be negative.")}, code="negative")
    if amount == 0 and not allow_zero:
        raise ValidationError({field: _("Enter an amount above zero.")}, code="not_positive")
    if not money.is_exact(amount, currency):
        raise ValidationError(
            {
                field: _("%(currency)s amounts have at most %(places)s decimals.")
                % {"currency": currency, "places": money.minor_unit(currency)}
            },
            code="too_precise",
        )
    if amount >= Decimal("1e12"):
        raise ValidationError({field: _("That amount is too large.")}, code="too_large")
    return money.quantize(amount, currency)


def _clean_discount(kind, value, reason, *, currency: str, prefix: str = "discount"):
    kind = kind or ""
    if kind not in DiscountKind.values:
        raise ValidationError({f"{prefix}_kind": _("Choose a kind of discount.")})
    reason = (reason or "").strip()
    if not kind:
        return "", money.quantize(ZERO, "CNY"), ""
    field = f"{prefix}_value"
    if kind == DiscountKind.PERCENT:
        try:
            value = money.to_decimal(value if value is not None else "")
        except ValueError:
            raise ValidationError({field: _("Enter a percentage.")}) from None
        if not value.is_finite() or value < 0 or value > 100:
            raise ValidationError({field: _("Enter a percentage from 0 to 100.")})
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError({field: _("A percentage has at most 2 decimals.")})
    else:
        value = _amount(value, field=field, currency=currency, allow_zero=True)
    if value == 0:
        return "", money.quantize(ZERO, "CNY"), ""
    if not reason:
        raise ValidationError(
            {f"{prefix}_reason": _("Give a reason for the discount.")}, code="reason_required"
        )
    if len(reason) > 200:
        raise ValidationError({f"{prefix}_reason": _("Keep the reason under 200 characters.")})
    return kind, value, reason


def _limit_check(actor, *, discount: Decimal, base: Decimal, field: str) -> None:
    """A discount above the business's limit needs APPROVE_FINANCE."""
    if not discount:
        return
    limit = FinanceSettings.load().discount_limit_percent
    if money.discount_percent(discount, base) > limit and not _can(
        actor, Capability.APPROVE_FINANCE
    ):
        shown = f"{limit:.2f}".rstrip("0").rstrip(".")
        message = _("A discount above %(limit)s%% needs a manager's or the owner's approval.")
        raise ValidationError(
            {field: ValidationError(message % {"limit": shown}, code="needs_approval")}
        )


def amounts_of(bill: Bill, lines=None) -> money.BillAmounts:
    """The bill's computed amounts from its lines (finance.money), without saving."""
    lines = list(bill.lines.all()) if lines is None else lines
    return money.compute_bill(
        [
            money.LineInput(
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount_kind=line.discount_kind,
                discount_value=line.discount_value,
            )
            for line in lines
        ],
        currency=bill.currency,
        tax_mode=bill.tax_mode,
        tax_rate=bill.tax_rate,
        discount_kind=bill.discount_kind,
        discount_value=bill.discount_value,
    )


def _recompute(bill: Bill) -> money.BillAmounts:
    """Write every computed amount of the bill and its lines."""
    lines = list(BillLine.objects.filter(bill=bill).order_by("position", "id"))
    result = amounts_of(bill, lines)
    for line, amounts in zip(lines, result.lines, strict=True):
        line.gross = amounts.gross
        line.line_discount = amounts.line_discount
        line.bill_discount = amounts.bill_discount
        line.net = amounts.net
        line.tax = amounts.tax
    if lines:
        BillLine.objects.bulk_update(
            lines, ["gross", "line_discount", "bill_discount", "net", "tax"]
        )
    bill.subtotal = result.subtotal
    bill.discount_total = result.discount_total
    bill.tax_total = result.tax_total
    bill.total = result.total
    bill.save(update_fields=["subtotal", "discount_total", "tax_total", "total"])
    return result


def _refresh_summary(client_id) -> None:
    if client_id is None:
        return
    try:
        from finance import summary
    except ImportError:  # pragma: no cover - while finance.summary is being written
        return
    summary.refresh([client_id])


def _cards():
    from finance import cards

    return cards


def _member_percent(client) -> Decimal:
    if client is None:
        return ZERO
    try:
        from finance.cards import member_discount_percent
    except ImportError:  # pragma: no cover - before finance.cards exists
        return ZERO
    from finance.cards import today

    return member_discount_percent(client=client, on_date=today()) or ZERO


# --- bills -----------------------------------------------------------------------------------


@transaction.atomic
def bill_create(*, client=None, actor, appointment=None, note: str = "") -> Bill:
    """A draft bill in the business's currency with its tax settings of today."""
    if client is not None:
        from clients.services import refuse_erased

        refuse_erased(client)
    if appointment is not None and client is not None and appointment.client_id != client.pk:
        raise ValidationError(_("The appointment is another client's."), code="other_client")
    if appointment is not None and client is None:
        client = appointment.client
    settings = FinanceSettings.load()
    tenant = getattr(connection, "tenant", None)
    bill = Bill.objects.create(
        client=client,
        appointment=appointment,
        visit=getattr(appointment, "visit", None) if appointment is not None else None,
        origin=BillOrigin.APPOINTMENT if appointment is not None else BillOrigin.COUNTER,
        currency=getattr(tenant, "currency", "") or "CNY",
        tax_mode=settings.tax_mode,
        tax_rate=settings.tax_rate,
        tax_label=settings.tax_label,
        note=(note or "").strip()[:300],
        created_by=_user(actor),
    )
    _audit(Action.CREATE, actor, "bill", bill, {}, _bill_snapshot(bill), bill.client_id, SENSITIVE)
    return bill


def bill_from_appointment(*, appointment, actor) -> Bill:
    """The appointment's live bill, or a new draft with its service at the booked price
    and the open items of the business's trades for the client (see the module's rules)."""
    existing = live_bill_for(appointment)
    if existing is not None:
        return existing
    if appointment.status not in BILLABLE_APPOINTMENT_STATUSES:
        raise ValidationError(
            _("Only an appointment the client came to can be billed."), code="not_billable"
        )
    try:
        with transaction.atomic():
            bill = bill_create(client=appointment.client, actor=actor, appointment=appointment)
            service = appointment.service
            line_add(
                bill=bill,
                actor=actor,
                kind=LineKind.SERVICE,
                description=service.name,
                unit_price=appointment.price,
                service=service,
                staff=appointment.staff,
            )
            for item in open_items(appointment.client):
                line_add(
                    bill=bill,
                    actor=actor,
                    kind=LineKind.SERVICE,
                    description=item.description,
                    unit_price=item.unit_price,
                    category=item.category,
                    source_ref=item.source_ref,
                )
    except IntegrityError:
        # Another request made the appointment's bill at the same moment.
        existing = live_bill_for(appointment)
        if existing is None:
            raise
        return existing
    return Bill.objects.get(pk=bill.pk)


def open_items(client) -> list:
    """The trades' open items for ``client`` that no live bill has yet
    (``verticals.registry.Billable``: ``source_ref``, ``description``, ``unit_price``,
    ``category``); put one on a draft with ``line_add(..., source_ref=item.source_ref)``."""
    try:
        from verticals import registry
    except ImportError:  # pragma: no cover
        return []
    finder = getattr(registry, "billables", None)
    if finder is None:
        return []
    items = list(finder(client))
    if not items:
        return []
    taken = set(
        BillLine.objects.filter(source_ref__in=[i.source_ref for i in items])
        .exclude(bill__status=BillStatus.VOID)
        .values_list("source_ref", flat=True)
    )
    return [i for i in items if i.source_ref not in taken]


# --- lines -----------------------------------------------------------------------------------


def _ref_taken(source_ref: str) -> bool:
    return (
        BillLine.objects.filter(source_ref=source_ref)
        .exclude(bill__status=BillStatus.VOID)
        .exists()
    )


def _clean_line(bill: Bill, data: dict, actor, *, line: BillLine | None = None) -> dict:
    kind = data["kind"]
    if kind not in LineKind.values:
        raise ValidationError({"kind": _("Choose what the line is for.")})
    description = (data.get("description") or "").strip()
    if not description:
        raise ValidationError({"description": _("Say what the line is for.")})
    if len(description) > 200:
        raise ValidationError({"description": _("Keep the description under 200 characters.")})
    unit_price = _amount(
        data.get("unit_price"), field="unit_price", currency=bill.currency, allow_zero=True
    )
    quantity = data.get("quantity", 1)
    if isinstance(quantity, str) and quantity.strip().isdigit():
        quantity = int(quantity)
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 9999:
        raise ValidationError({"quantity": _("Enter a quantity from 1 to 9999.")})
    card_product, card = data.get("card_product"), data.get("card")
    if kind == LineKind.CARD:
        if card_product is None:
            raise ValidationError({"card_product": _("Choose the card or package sold.")})
        if not card_product.active and (line is None or line.card_product_id != card_product.pk):
            raise ValidationError({"card_product": _("This card is no longer on sale.")})
        if bill.client_id is None:
            raise ValidationError(
                {"card_product": _("A card can only be sold on a bill with a client.")}
            )
    elif kind == LineKind.TOP_UP:
        if card is None or card.kind != CardKind.STORED_VALUE:
            raise ValidationError({"card": _("Choose the stored-value card to top up.")})
        if bill.client_id is None or card.client_id != bill.client_id:
            raise ValidationError({"card": _("This card belongs to another client.")})
        if card.status != "active":
            raise ValidationError({"card": _("This card is closed.")})
        if card_product is not None and card_product.kind != CardKind.STORED_VALUE:
            raise ValidationError({"card_product": _("Choose a stored-value card's top-up.")})
    else:
        card_product = card = None
    d_kind, d_value, d_reason = _clean_discount(
        data.get("discount_kind"),
        data.get("discount_value"),
        data.get("discount_reason"),
        currency=bill.currency,
    )
    service = data.get("service")
    category = (data.get("category") or "").strip()
    if service is not None and not category:
        category = getattr(getattr(service, "category", None), "name", "") or ""
    source_ref = (data.get("source_ref") or "").strip()[:60]
    if source_ref and (line is None or line.source_ref != source_ref) and _ref_taken(source_ref):
        raise ValidationError(_("This item is on a bill already."), code="already_billed")
    return {
        "kind": kind,
        "description": description,
        "unit_price": unit_price,
        "quantity": quantity,
        "service": service,
        "staff": data.get("staff"),
        "category": category[:80],
        "card_product": card_product,
        "card": card,
        "discount_kind": d_kind,
        "discount_value": d_value,
        "discount_reason": d_reason,
        "source_ref": source_ref,
    }


def _check_line_discount(line: BillLine, actor) -> None:
    if line.discount_kind and line.discount_reason != MEMBER_PRICE:
        _limit_check(actor, discount=line.line_discount, base=line.gross, field="discount_value")


def line_add(
    *,
    bill,
    actor,
    kind,
    description,
    unit_price,
    quantity=1,
    service=None,
    staff=None,
    card_product=None,
    card=None,
    discount_kind="",
    discount_value=0,
    discount_reason="",
    source_ref="",
    category="",
) -> BillLine:
    """A line on a draft bill. A service line for a client with an active membership gets
    the member price (a line discount "Member price") unless it is given a discount."""
    with transaction.atomic():
        bill = _locked(bill)
        _refuse_unless_draft(bill)
        if not discount_kind and kind == LineKind.SERVICE and bill.client_id is not None:
            percent = _member_percent(bill.client)
            if percent:
                discount_kind, discount_value = DiscountKind.PERCENT, percent
                discount_reason = MEMBER_PRICE
        data = _clean_line(
            bill,
            {
                "kind": kind,
                "description": description,
                "unit_price": unit_price,
                "quantity": quantity,
                "service": service,
                "staff": staff,
                "card_product": card_product,
                "card": card,
                "discount_kind": discount_kind,
                "discount_value": discount_value,
                "discount_reason": discount_reason,
                "source_ref": source_ref,
                "category": category,
            },
            actor,
        )
        before = _bill_snapshot(bill)
        position = (BillLine.objects.filter(bill=bill).aggregate(m=Max("position"))["m"] or 0) + 1
        line = BillLine.objects.create(bill=bill, position=position, **data)
        _recompute(bill)
        line.refresh_from_db()
        _check_line_discount(line, actor)
        _audit(
            Action.UPDATE,
            actor,
            "bill",
            bill,
            before,
            _bill_snapshot(bill),
            bill.client_id,
            SENSITIVE,
        )
        return line


LINE_EDITABLE = (
    "kind",
    "description",
    "unit_price",
    "quantity",
    "service",
    "staff",
    "category",
    "discount_kind",
    "discount_value",
    "discount_reason",
    "card_product",
    "card",
)


def line_update(*, line, actor, **changes) -> BillLine:
    """Change a draft bill's line: any of ``LINE_EDITABLE`` (the trade item a line bills,
    ``source_ref``, stays: remove the line instead). As in ``line_add``, a member's service
    line left without a discount gets the member price."""
    unknown = set(changes) - set(LINE_EDITABLE)
    if unknown:
        raise TypeError(f"line_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        bill = _locked(line.bill)
        _refuse_unless_draft(bill)
        line = BillLine.objects.select_for_update().get(pk=line.pk, bill=bill)
        old = _snapshot(line, LINE_FIELDS)
        data = {
            "kind": line.kind,
            "description": line.description,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "service": line.service,
            "staff": line.staff,
            "card_product": line.card_product,
            "card": line.card,
            "discount_kind": line.discount_kind,
            "discount_value": line.discount_value,
            "discount_reason": line.discount_reason,
            "source_ref": line.source_ref,
            "category": line.category,
        }
        if "service" in changes and "category" not in changes:
            data["category"] = ""  # the new service's category
        data.update(changes)
        if not data["discount_kind"] and data["kind"] == LineKind.SERVICE:
            percent = _member_percent(bill.client)
            if percent:
                data.update(
                    discount_kind=DiscountKind.PERCENT,
                    discount_value=percent,
                    discount_reason=MEMBER_PRICE,
                )
        clean = _clean_line(bill, data, actor, line=line)
        before = _bill_snapshot(bill)
        for field, value in clean.items():
            setattr(line, field, value)
        line.save()
        _recompute(bill)
        line.refresh_from_db()
        new = _snapshot(line, LINE_FIELDS)
        discount_changed = any(
            old[f] != new[f] for f in ("discount_kind", "discount_value", "unit_price", "quantity")
        )
        if discount_changed:
            _check_line_discount(line, actor)
        _audit(
            Action.UPDATE,
            actor,
            "bill",
            bill,
            before,
            _bill_snapshot(bill),
            bill.client_id,
            SENSITIVE,
        )
        return line


def line_remove(*, line, actor) -> None:
    with transaction.atomic():
        bill = _locked(line.bill)
        _refuse_unless_draft(bill)
        before = _bill_snapshot(bill)
        BillLine.objects.filter(pk=line.pk, bill=bill).delete()
        _recompute(bill)
        _audit(
            Action.UPDATE,
            actor,
            "bill",
            bill,
            before,
            _bill_snapshot(bill),
            bill.client_id,
            SENSITIVE,
        )


def bill_discount_set(*, bill, actor, kind, value, reason) -> Bill:
    """The whole-bill discount of a draft (kind "" clears it)."""
    with transaction.atomic():
        bill = _locked(bill)
        _refuse_unless_draft(bill)
        d_kind, d_value, d_reason = _clean_discount(kind, value, reason, currency=bill.currency)
        before = _bill_snapshot(bill)
        bill.discount_kind, bill.discount_value, bill.discount_reason = d_kind, d_value, d_reason
        bill.save(update_fields=["discount_kind", "discount_value", "discount_reason"])
        result = _recompute(bill)
        base = sum((line.subtotal for line in result.lines), ZERO)
        _limit_check(actor, discount=result.bill_discount, base=base, field="discount_value")
        _audit(
            Action.UPDATE,
            actor,
            "bill",
            bill,
            before,
            _bill_snapshot(bill),
            bill.client_id,
            SENSITIVE,
        )
        return bill


def bill_note_set(*, bill, actor, note: str) -> Bill:
    with transaction.atomic():
        bill = _locked(bill)
        before = _bill_snapshot(bill)
        bill.note = (note or "").strip()[:300]
        bill.save(update_fields=["note"])
        _audit(
            Action.UPDATE,
            actor,
            "bill",
            bill,
            before,
            _bill_snapshot(bill),
            bill.client_id,
            SENSITIVE,
        )
        return bill


# --- issuing ---------------------------------------------------------------------------------


def _issue(bill: Bill, actor) -> None:
    """Number and issue a locked draft (inside the caller's transaction)."""
    _refuse_unless_draft(bill)
    if not BillLine.objects.filter(bill=bill).exists():
        raise ValidationError(_("Add at least one line before issuing the bill."), code="empty")
    FinanceSettings.load()  # the row exists before it is locked
    settings = FinanceSettings.objects.select_for_update().get(singleton=True)
    before = _bill_snapshot(bill)
    _recompute(bill)
    bill.number = settings.next_bill_number
    settings.next_bill_number += 1
    settings.save(update_fields=["next_bill_number"])
    profile = (
        BillingProfile.objects.filter(client_id=bill.client_id).first() if bill.client_id else None
    )
    bill.invoice_title = profile.invoice_title if profile else ""
    bill.tax_id = profile.tax_id if profile else ""
    bill.status = BillStatus.ISSUED
    bill.issued_at = timezone.now()
    bill.issued_by = _user(actor)
    fields = ["number", "invoice_title", "tax_id", "status", "issued_at", "issued_by"]
    if bill.total == 0:
        bill.status, bill.paid_at = BillStatus.PAID, bill.issued_at
        fields.append("paid_at")
    bill.save(update_fields=fields)
    _mark_billed(bill, actor)
    _audit(
        Action.UPDATE,
        actor,
        "bill",
        bill,
        before,
        _bill_snapshot(bill),
        bill.client_id,
        SENSITIVE,
    )
    if bill.status == BillStatus.PAID:
        _sell_cards(bill, actor)


def _mark_billed(bill: Bill, actor, *, marker: str = "mark_billed") -> None:
    """Tell the trades their items are on this bill (they leave their open lists), or,
    with ``marker="mark_unbilled"``, that the bill was voided (they are open again)."""
    refs = list(
        BillLine.objects.filter(bill=bill)
        .exclude(source_ref="")
        .values_list("source_ref", flat=True)
    )
    if not refs:
        return
    from verticals import registry

    tell = getattr(registry, marker, None)
    if tell is None:
        return
    for ref in refs:
        tell(ref, reference=str(bill.number), actor=actor)


def bill_issue(*, bill, actor) -> Bill:
    """Freeze a draft and give it the next number (no gaps, no repeats)."""
    with transaction.atomic():
        bill = _locked(bill)
        _issue(bill, actor)
        return bill


# --- payments --------------------------------------------------------------------------------


def _sell_cards(bill: Bill, actor) -> None:
    lines = list(
        BillLine.objects.filter(bill=bill, kind__in=(LineKind.CARD, LineKind.TOP_UP))
        .select_related("bill", "card_product", "card")
        .order_by("position", "id")
    )
    if not lines:
        return
    cards = _cards()
    for line in lines:
        if line.kind == LineKind.CARD:
            cards.issue_from_line(line=line, actor=actor)
        else:
            cards.top_up_from_line(line=line, actor=actor)


def _package_service(bill: Bill, card):
    covered = set(card.services.values_list("pk", flat=True))
    for line in BillLine.objects.filter(bill=bill, kind=LineKind.SERVICE).select_related("service"):
        if line.service_id in covered:
            return line.service
    return None


def payment_take(
    *,
    bill,
    actor,
    method,
    amount,
    tendered=None,
    reference="",
    card=None,
    sessions: int = 1,
) -> Payment:
    """Take a payment on a bill (a draft is issued first). Cash may be handed over beyond
    the amount: the difference is change. See the module's rules."""
    with transaction.atomic():
        bill = _locked(bill)
        if bill.status == BillStatus.DRAFT:
            _issue(bill, actor)
        if bill.status not in (BillStatus.ISSUED, BillStatus.PARTIALLY_PAID):
            raise ValidationError(
                _("This bill takes no more payments; it is %(status)s.")
                % {"status": bill.get_status_display().lower()},
                code="not_payable",
            )
        if method not in PaymentMethod.values:
            raise ValidationError({"method": _("Choose how the client pays.")})
        if not FinanceSettings.load().takes(method):
            raise ValidationError(
                {"method": _("The till does not take this method.")}, code="method_off"
            )
        value = _amount(amount, field="amount", currency=bill.currency)
        due = bill.balance_due
        if value > due:
            raise ValidationError(
                {
                    "amount": _("That is more than the %(due)s still due.")
                    % {"due": _plain(due, bill.currency)}
                },
                code="over_payment",
            )
        change = money.quantize(ZERO, bill.currency)
        handed = None
        if method == PaymentMethod.CASH and tendered not in (None, ""):
            handed = _amount(tendered, field="tendered", currency=bill.currency)
            if handed < value:
                raise ValidationError(
                    {"tendered": _("The cash handed over is less than the amount.")},
                    code="short_tendered",
                )
            change = handed - value
        reference = (reference or "").strip()
        if len(reference) > 100:
            raise ValidationError({"reference": _("Keep the reference under 100 characters.")})
        if method in CARD_METHODS:
            if card is None:
                raise ValidationError({"card": _("Choose the client's card.")})
            if bill.client_id is None or card.client_id != bill.client_id:
                # Family transfers move money between cards; they do not pay others' bills.
                raise ValidationError({"card": _("This card belongs to another client.")})
        elif card is not None:
            card = None
        payment = Payment.objects.create(
            bill=bill,
            method=method,
            amount=value,
            tendered=handed,
            change_given=change,
            reference=reference,
            card=card,
            taken_by=_user(actor),
        )
        cards = _cards() if method in CARD_METHODS else None
        if method == PaymentMethod.STORED_VALUE:
            cards.spend(card=card, amount=value, payment=payment, actor=actor)
        elif method == PaymentMethod.PACKAGE:
            service = _package_service(bill, card)
            if service is None:
                raise ValidationError(
                    {"card": _("This package covers no service on the bill.")},
                    code="service_not_covered",
                )
            cards.redeem(
                card=card, service=service, sessions=sessions, payment=payment, actor=actor
            )
        before = _bill_snapshot(bill)
        bill.paid_total += value
        bill.status = BillStatus.PAID if bill.balance_due <= 0 else BillStatus.PARTIALLY_PAID
        fields = ["paid_total", "status"]
        if bill.status == BillStatus.PAID:
            bill.paid_at = timezone.now()
            fields.append("paid_at")
        bill.save(update_fields=fields)
        _audit(
            Action.CREATE,
            actor,
            "payment",
            payment,
            {},
            _snapshot(payment, PAYMENT_FIELDS),
            bill.client_id,
        )
        _audit(
            Action.UPDATE,
            actor,
            "bill",
            bill,
            before,
            _bill_snapshot(bill),
            bill.client_id,
            SENSITIVE,
        )
        if bill.status == BillStatus.PAID:
            _sell_cards(bill, actor)
        _refresh_summary(bill.client_id)
        return payment


def _plain(amount, currency: str) -> str:
    from finance.templatetags.money import format_money

    return format_money(amount, currency)


# --- voids and refunds -----------------------------------------------------------------------


def bill_void(*, bill, actor, reason) -> Bill:
    """Void a bill that holds no money (see the module's rules)."""
    _require(actor, Capability.APPROVE_FINANCE, _("Only a manager or the owner can void a bill."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the bill is voided.")}, code="reason_required")
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    with transaction.atomic():
        bill = _locked(bill)
        if bill.status == BillStatus.VOID:
            raise ValidationError(_("This bill is void already."), code="void")
        if bill.paid_total - bill.refunded_total > 0:
            raise ValidationError(
                _("Refund the payments before voiding the bill."), code="money_held"
            )
        before = _bill_snapshot(bill)
        bill.status = BillStatus.VOID
        bill.voided_at = timezone.now()
        bill.voided_by = _user(actor)
        bill.void_reason = reason
        bill.save(update_fields=["status", "voided_at", "voided_by", "void_reason"])
        if bill.number is not None:  # an issued bill told the trades; a draft did not
            _mark_billed(bill, actor, marker="mark_unbilled")
        _audit(
            Action.UPDATE,
            actor,
            "bill",
            bill,
            before,
            _bill_snapshot(bill),
            bill.client_id,
            SENSITIVE,
        )
        _refresh_summary(bill.client_id)
        return bill


def refundable(payment: Payment) -> Decimal:
    """What can still be refunded of ``payment``."""
    back = payment.refunds.aggregate(s=Sum("amount"))["s"] or ZERO
    return payment.amount - back


def _card_sale_lines(bill: Bill) -> list[BillLine]:
    """The bill's lines whose card or top-up was made (so refunding them touches a card)."""
    if bill.status not in (BillStatus.PAID, BillStatus.REFUNDED):
        return []
    return list(
        BillLine.objects.filter(bill=bill, kind__in=(LineKind.CARD, LineKind.TOP_UP)).order_by(
            "position", "id"
        )
    )


def _line_value(bill: Bill, line: BillLine) -> Decimal:
    return line.net + (line.tax if bill.tax_mode == "exclusive" else ZERO)


def refund_create(*, payment, actor, amount, reason, to_card=None, line=None) -> Refund:
    """Give back ``amount`` of ``payment`` the way it was paid, or onto ``to_card``;
    ``line``: the card sale or top-up on the bill this refund takes back. See the module's
    rules."""
    _require(
        actor, Capability.APPROVE_FINANCE, _("Only a manager or the owner can refund a payment.")
    )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the money goes back.")}, code="reason_required")
    if len(reason) > 200:
        raise ValidationError({"reason": _("Keep the reason under 200 characters.")})
    with transaction.atomic():
        bill = _locked(payment.bill)
        payment = Payment.objects.select_for_update().get(pk=payment.pk, bill=bill)
        if bill.status in (BillStatus.DRAFT, BillStatus.VOID):
            raise ValidationError(_("This bill has no payments to refund."), code="not_refundable")
        value = _amount(amount, field="amount", currency=bill.currency)
        left = refundable(payment)
        if value > left or value > bill.paid_total - bill.refunded_total:
            raise ValidationError(
                {
                    "amount": _("At most %(left)s of this payment can be refunded.")
                    % {"left": _plain(max(left, ZERO), bill.currency)}
                },
                code="refund_exceeds_paid",
            )
        if to_card is not None:
            if payment.method == PaymentMethod.PACKAGE:
                raise ValidationError(
                    {"to_card": _("A package session goes back onto its package.")}
                )
            if to_card.pk == payment.card_id:
                to_card = None  # back onto the card it came from
        sale_lines = _card_sale_lines(bill)
        if line is not None:
            if line.bill_id != bill.pk or line.pk not in {sl.pk for sl in sale_lines}:
                raise ValidationError(
                    {"line": _("Choose a card sale or top-up on this bill.")}, code="not_sale"
                )
        elif sale_lines:
            sales = sum((_line_value(bill, sl) for sl in sale_lines), ZERO)
            taken_back = (
                Refund.objects.filter(bill=bill, card_entries__note__startswith="sale ")
                .distinct()
                .aggregate(s=Sum("amount"))["s"]
                or ZERO
            )
            other_room = (bill.total - sales) - (bill.refunded_total - taken_back)
            if value > other_room:
                raise ValidationError(
                    {"line": _("Choose which card sale or top-up this refund takes back.")},
                    code="choose_sale",
                )
        method = PaymentMethod.STORED_VALUE if to_card is not None else payment.method
        refund = Refund.objects.create(
            bill=bill,
            payment=payment,
            amount=value,
            method=method,
            card=to_card if to_card is not None else payment.card,
            reason=reason,
            created_by=_user(actor),
        )
        cards = None
        if line is not None:
            cards = _cards()
            cards.refund_sale(line=line, amount=value, refund=refund, actor=actor)
        if to_card is not None:
            cards = cards or _cards()
            cards.credit(card=to_card, amount=value, refund=refund, actor=actor)
        elif payment.method in CARD_METHODS and payment.card_id:
            cards = cards or _cards()
            cards.give_back(payment=payment, amount=value, refund=refund, actor=actor)
        before = _bill_snapshot(bill)
        bill.refunded_total += value
        fields = ["refunded_total"]
        if bill.refunded_total == bill.paid_total:
            bill.status = BillStatus.REFUNDED
            fields.append("status")
        bill.save(update_fields=fields)
        _audit(
            Action.CREATE,
            actor,
            "refund",
            refund,
            {},
            _snapshot(refund, REFUND_FIELDS),
            bill.client_id,
        )
        _audit(
            Action.UPDATE,
            actor,
            "bill",
            bill,
            before,
            _bill_snapshot(bill),
            bill.client_id,
            SENSITIVE,
        )
        _refresh_summary(bill.client_id)
        return refund


# --- invoice details -------------------------------------------------------------------------


def billing_profile_update(*, client, actor, invoice_title, tax_id) -> BillingProfile:
    """The client's invoice title (发票抬头) and tax ID (税号), copied onto bills issued
    from now on."""
    from clients.services import refuse_erased

    refuse_erased(client)
    title = (invoice_title or "").strip()
    tax = (tax_id or "").strip().upper().replace(" ", "")
    if len(title) > 120:
        raise ValidationError({"invoice_title": _("Keep the invoice title under 120 characters.")})
    if len(tax) > 40:
        raise ValidationError({"tax_id": _("Keep the tax ID under 40 characters.")})
    if tax and not tax.isalnum():
        raise ValidationError({"tax_id": _("A tax ID has only letters and digits.")})
    if tax and not title:
        raise ValidationError({"invoice_title": _("Give the invoice title the tax ID is for.")})
    with transaction.atomic():
        profile = BillingProfile.objects.select_for_update().filter(client=client).first()
        created = profile is None
        before = {} if created else _snapshot(profile, ("invoice_title", "tax_id"))
        if created:
            profile = BillingProfile(client=client)
        profile.invoice_title, profile.tax_id = title, tax
        profile.save()
        _audit(
            Action.CREATE if created else Action.UPDATE,
            actor,
            "billing_profile",
            profile,
            before,
            _snapshot(profile, ("invoice_title", "tax_id")),
            client.pk,
            ("invoice_title", "tax_id"),
        )
        return profile
