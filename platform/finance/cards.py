"""Stored-value cards (储值卡), packages (次卡) and memberships (会员卡): the services that
move value on a card's append-only ledger, and the reads the till and client file use.

Every movement is one ``CardEntry``; the database adds it to the card's balances and
refuses a balance below zero (migration 0002). The services here lock the card row
(``SELECT … FOR UPDATE``) before reading its balance, so two payments on one card are
served one after the other; the database's CHECK is the last guard, and its refusal is
turned into the same translated error as the services' own check.

Rules (what the counter and the reports rely on):

- **Sale and top-up.** A stored-value card sold on a bill line gets the line's net as its
  *paid* part and the product's bonus (× quantity) as its *bonus* part; a top-up line adds
  the line's net as paid and, if the line names a product, that product's bonus. A package
  gets the product's sessions (× quantity), a membership its discount; neither holds money.
  Validity starts on the day of sale in the business's time zone and lasts ``valid_days``
  (empty: never expires). A line sells at most one card, however often it is asked.
- **Spending** splits the amount between paid and bonus value in proportion to the card's
  current paid:bonus balances (bonus share rounded half-up to the currency's minor unit,
  the rest paid), so what is left keeps the same mix and a later refund of the paid part
  is fair. A card past its ``expires_on`` (the business's today), not yet valid, closed,
  or of another client cannot be spent.
- **Refund of a card payment** (``give_back``) puts value back on that card in the same
  paid:bonus mix the payment took, never more than the payment took minus what earlier
  refunds put back; a package payment gets its sessions back in proportion.
- **Refund of a sale or top-up** (``refund_sale``) returns only the paid part: the money
  leaves the card's paid balance, and the bonus given with that sale is forfeited in the
  same proportion (never more than the bonus still on the card, so no balance goes
  negative). Paid value already spent cannot be refunded (``refundable_for_line``).
- **Transfers** to a family member's card, where the owner allows them, are
  ``finance.transfers``; **expiry** of what is left on a card past its last day is
  ``finance.expiry``.
- Every movement is audited (``card_entry``) and listed by ``entries_for_client``."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import services as audit
from audit.models import Action
from finance.models import (
    Card,
    CardEntry,
    CardKind,
    CardProduct,
    CardStatus,
    EntryKind,
    LineKind,
    PaymentMethod,
)

ZERO = Decimal("0")
CHECK_VIOLATION = "23514"


# --- small helpers -------------------------------------------------------------------------


def _quantize(amount: Decimal, currency: str) -> Decimal:
    try:
        from finance.money import quantize
    except ImportError:  # the money module is not there yet
        return Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return quantize(Decimal(amount), currency)


def today() -> dt.date:
    """The business's today (its own time zone)."""
    from scheduling.availability import tenant_zone

    return timezone.localtime(timezone=tenant_zone()).date()


def _new_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "C" + "".join(secrets.choice(alphabet) for _ in range(9))


def _snapshot_entry(entry: CardEntry) -> dict:
    return {
        "card": entry.card_id,
        "kind": entry.kind,
        "paid_delta": entry.paid_delta,
        "bonus_delta": entry.bonus_delta,
        "sessions_delta": entry.sessions_delta,
        "bill": entry.bill_id,
        "payment": entry.payment_id,
        "refund": entry.refund_id,
        "counterpart": entry.counterpart_id,
        "note": entry.note,
    }


def _snapshot_card(card: Card) -> dict:
    return {
        "code": card.code,
        "client": card.client_id,
        "product": card.product_id,
        "kind": card.kind,
        "name": card.name,
        "currency": card.currency,
        "status": card.status,
        "starts_on": card.starts_on,
        "expires_on": card.expires_on,
        "member_discount_percent": card.member_discount_percent,
        "sold_on": card.sold_on_id,
    }


def _snapshot_product(product: CardProduct) -> dict:
    return {
        "kind": product.kind,
        "name": product.name,
        "price": product.price,
        "bonus": product.bonus,
        "sessions": product.sessions,
        "services": sorted(product.services.values_list("pk", flat=True)),
        "member_discount_percent": product.member_discount_percent,
        "valid_days": product.valid_days,
        "active": product.active,
    }


def insufficient() -> ValidationError:
    return ValidationError(
        _("The card does not hold enough for this payment."), code="insufficient_balance"
    )


def _sqlstate(error: IntegrityError) -> str | None:
    cause = getattr(error, "__cause__", None)
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def _entry(card: Card, *, actor, **values) -> CardEntry:
    """Append one movement (the database applies it to the balances) and audit it. A
    balance the movement would take below zero comes back as the translated refusal."""
    try:
        with transaction.atomic():
            entry = CardEntry.objects.create(card=card, created_by=actor, **values)
    except IntegrityError as error:
        if _sqlstate(error) == CHECK_VIOLATION:
            raise insufficient() from error
        raise
    _audit_entry(entry, card, actor)
    return entry


def _audit_entry(entry: CardEntry, card: Card, actor) -> None:
    audit.record_change(
        action=Action.CREATE,
        actor=actor,
        object_type="card_entry",
        object_id=entry.pk,
        client_id=card.client_id,
        before={},
        after=_snapshot_entry(entry),
        sensitive=("note",),
    )


def _locked(card: Card) -> Card:
    return Card.objects.select_for_update().get(pk=card.pk)


def _refuse_unusable(card: Card, *, on: dt.date | None = None) -> None:
    on = on or today()
    if card.status != CardStatus.ACTIVE:
        raise ValidationError(_("This card is closed."), code="card_closed")
    if card.expires_on is not None and card.expires_on < on:
        raise ValidationError(
            _("This card expired on %(day)s.") % {"day": card.expires_on.isoformat()},
            code="card_expired",
        )
    if card.starts_on > on:
        raise ValidationError(_("This card is not valid yet."), code="card_not_valid_yet")


def _refuse_other_client(card: Card, payment) -> None:
    bill = getattr(payment, "bill", None)
    if bill is not None and bill.client_id is not None and bill.client_id != card.client_id:
        raise ValidationError(_("This card belongs to another client."), code="card_other_client")


def split(card: Card, amount: Decimal) -> tuple[Decimal, Decimal]:
    """(paid part, bonus part) of ``amount`` taken from ``card``: in proportion to its
    current paid:bonus balances, the bonus share rounded half-up to the minor unit."""
    paid, bonus = card.paid_balance, card.bonus_balance
    total = paid + bonus
    if total <= 0:
        return amount, ZERO
    bonus_part = min(_quantize(amount * bonus / total, card.currency), bonus)
    paid_part = amount - bonus_part
    if paid_part > paid:  # rounding at the very end of a balance
        paid_part, bonus_part = paid, amount - paid
    return paid_part, bonus_part


def _positive(amount, currency: str, field: str = "amount") -> Decimal:
    try:
        value = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError({field: _("Enter an amount.")}) from None
    if value <= 0:
        raise ValidationError({field: _("The amount must be more than zero.")})
    if _quantize(value, currency) != value:
        raise ValidationError({field: _("The amount has too many decimal places.")})
    return value


# --- selling and topping up ------------------------------------------------------------------


def issue_from_line(*, line, actor) -> Card:
    """The card a paid CARD line sells (see the module's rules); the same card again if
    this line already sold one."""
    product = line.card_product
    if line.kind != LineKind.CARD or product is None:
        raise ValidationError(_("This line does not sell a card."), code="not_a_card_line")
    bill = line.bill
    if bill.client_id is None:
        raise ValidationError(
            _("A card can only be sold on a bill with a client."), code="card_needs_client"
        )
    with transaction.atomic():
        existing = Card.objects.filter(sold_on=line).first()
        if existing is not None:
            return existing
        starts = today()
        expires = starts + dt.timedelta(days=product.valid_days) if product.valid_days else None
        quantity = line.quantity or 1
        card = Card.objects.create(
            code=_new_code(),
            client_id=bill.client_id,
            product=product,
            kind=product.kind,
            name=product.name,
            currency=bill.currency,
            member_discount_percent=(
                product.member_discount_percent if product.kind == CardKind.MEMBERSHIP else 0
            ),
            starts_on=starts,
            expires_on=expires,
            sold_on=line,
            created_by=actor,
        )
        if product.kind == CardKind.PACKAGE:
            card.services.set(product.services.all())
        audit.record_change(
            action=Action.CREATE,
            actor=actor,
            object_type="card",
            object_id=card.pk,
            client_id=card.client_id,
            before={},
            after=_snapshot_card(card),
        )
        values = {"kind": EntryKind.ISSUE, "bill": bill}
        if product.kind == CardKind.STORED_VALUE:
            values.update(paid_delta=line.net, bonus_delta=product.bonus * quantity)
        elif product.kind == CardKind.PACKAGE:
            values.update(sessions_delta=(product.sessions or 0) * quantity)
        _entry(card, actor=actor, **values)
        card.refresh_from_db()
    return card


def top_up_from_line(*, line, actor) -> CardEntry:
    """A paid TOP_UP line adds its net to ``line.card`` as paid value, with the bonus of
    ``line.card_product`` if the line names one. Once per line."""
    if line.kind != LineKind.TOP_UP or line.card_id is None:
        raise ValidationError(_("This line does not top up a card."), code="not_a_top_up")
    with transaction.atomic():
        card = _locked(line.card)
        if card.kind != CardKind.STORED_VALUE:
            raise ValidationError(
                _("Only a stored-value card can be topped up."), code="not_stored_value"
            )
        done = CardEntry.objects.filter(
            card=card, bill_id=line.bill_id, kind=EntryKind.TOP_UP, note=_line_note(line)
        ).first()
        if done is not None:
            return done
        if line.bill.client_id is not None and line.bill.client_id != card.client_id:
            raise ValidationError(
                _("This card belongs to another client."), code="card_other_client"
            )
        if card.status != CardStatus.ACTIVE:
            raise ValidationError(_("This card is closed."), code="card_closed")
        bonus = ZERO
        if line.card_product_id is not None:
            bonus = line.card_product.bonus * (line.quantity or 1)
        return _entry(
            card,
            actor=actor,
            kind=EntryKind.TOP_UP,
            paid_delta=line.net,
            bonus_delta=bonus,
            bill_id=line.bill_id,
            note=_line_note(line),
        )


def _line_note(line) -> str:
    # Which bill line a top-up came from (a bill may top up one card on two lines).
    return f"line {line.pk}"


def _grants_of(card: Card, line) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(paid granted, bonus granted, paid refunded, bonus forfeited) by ``line`` on
    ``card``."""
    granted = CardEntry.objects.filter(card=card, bill_id=line.bill_id)
    if line.kind == LineKind.TOP_UP:
        granted = granted.filter(kind=EntryKind.TOP_UP, note=_line_note(line))
    else:
        granted = granted.filter(kind=EntryKind.ISSUE)
    paid = sum((e.paid_delta for e in granted), ZERO)
    bonus = sum((e.bonus_delta for e in granted), ZERO)
    back = CardEntry.objects.filter(
        card=card, kind=EntryKind.REFUND, note=f"sale {line.pk}", paid_delta__lte=0
    )
    refunded = -sum((e.paid_delta for e in back), ZERO)
    forfeited = -sum((e.bonus_delta for e in back), ZERO)
    return paid, bonus, refunded, forfeited


def _card_of_line(line) -> Card | None:
    if line.kind == LineKind.TOP_UP:
        return line.card
    return Card.objects.filter(sold_on=line).first()


def refundable_for_line(line) -> Decimal:
    """How much of a sale or top-up line can still be refunded: its paid part not yet
    refunded, and no more than the paid value still on the card."""
    card = _card_of_line(line)
    if card is None or card.kind != CardKind.STORED_VALUE:
        return ZERO
    paid, _bonus, refunded, _forfeited = _grants_of(card, line)
    return max(ZERO, min(paid - refunded, card.paid_balance))


def refund_sale(*, line, amount, refund, actor) -> CardEntry | None:
    """A refund of ``amount`` of a card sale or top-up line: only paid value leaves the
    card; the bonus that came with it is forfeited in the same proportion (capped at the
    bonus still held). A package's or membership's sale closes the card (its sessions
    left are removed). Returns the card movement, or None if the line sold no card."""
    card = _card_of_line(line)
    if card is None:
        return None
    with transaction.atomic():
        card = _locked(card)
        if card.kind != CardKind.STORED_VALUE:
            entry = _entry(
                card,
                actor=actor,
                kind=EntryKind.REFUND,
                sessions_delta=-card.sessions_left,
                bill_id=line.bill_id,
                refund=refund,
                note=f"sale {line.pk}",
            )
            card.status = CardStatus.CLOSED
            card.save(update_fields=["status"])
            _audit_card_closed(card, actor)
            return entry
        value = _positive(amount, card.currency)
        paid, bonus, refunded, forfeited = _grants_of(card, line)
        if value > paid - refunded or value > card.paid_balance:
            raise ValidationError(
                {
                    "amount": _("Only %(amount)s of this card's paid value can be refunded.")
                    % {"amount": max(ZERO, min(paid - refunded, card.paid_balance))}
                },
                code="refund_exceeds_paid",
            )
        if value == paid - refunded:
            lose = bonus - forfeited
        else:
            lose = _quantize(bonus * value / paid, card.currency) if paid else ZERO
        lose = max(ZERO, min(lose, card.bonus_balance, bonus - forfeited))
        return _entry(
            card,
            actor=actor,
            kind=EntryKind.REFUND,
            paid_delta=-value,
            bonus_delta=-lose,
            bill_id=line.bill_id,
            refund=refund,
            note=f"sale {line.pk}",
        )


def _audit_card_closed(card: Card, actor) -> None:
    after = _snapshot_card(card)
    audit.record_change(
        action=Action.UPDATE,
        actor=actor,
        object_type="card",
        object_id=card.pk,
        client_id=card.client_id,
        before={**after, "status": CardStatus.ACTIVE},
        after=after,
    )


# --- paying with a card ----------------------------------------------------------------------


def spend(*, card, amount, payment, actor) -> CardEntry:
    """Take ``amount`` off a stored-value card for ``payment`` (split per the rules)."""
    with transaction.atomic():
        card = _locked(card)
        if card.kind != CardKind.STORED_VALUE:
            raise ValidationError(
                _("Only a stored-value card can pay an amount."), code="not_stored_value"
            )
        value = _positive(amount, card.currency)
        _refuse_unusable(card)
        _refuse_other_client(card, payment)
        if value > card.balance:
            raise insufficient()
        paid_part, bonus_part = split(card, value)
        return _entry(
            card,
            actor=actor,
            kind=EntryKind.SPEND,
            paid_delta=-paid_part,
            bonus_delta=-bonus_part,
            payment=payment,
            bill_id=getattr(payment, "bill_id", None),
        )


def redeem(*, card, service, sessions, payment, actor) -> CardEntry:
    """Use ``sessions`` of a package for ``service``, which the package must cover."""
    with transaction.atomic():
        card = _locked(card)
        if card.kind != CardKind.PACKAGE:
            raise ValidationError(_("This card is not a package."), code="not_package")
        if not isinstance(sessions, int) or sessions < 1:
            raise ValidationError({"sessions": _("Use at least one session.")})
        _refuse_unusable(card)
        _refuse_other_client(card, payment)
        if service is None or not card.services.filter(pk=service.pk).exists():
            raise ValidationError(
                _("This package does not cover that service."), code="service_not_covered"
            )
        if sessions > card.sessions_left:
            raise ValidationError(
                _("The package has not enough sessions left."), code="insufficient_sessions"
            )
        try:
            return _entry(
                card,
                actor=actor,
                kind=EntryKind.SPEND,
                sessions_delta=-sessions,
                payment=payment,
                bill_id=getattr(payment, "bill_id", None),
            )
        except ValidationError:
            raise ValidationError(
                _("The package has not enough sessions left."), code="insufficient_sessions"
            ) from None


def give_back(*, payment, amount, refund, actor) -> CardEntry:
    """A refund of ``amount`` of a stored-value or package payment, back onto its card
    in the mix the payment took (see the module's rules)."""
    if payment.card_id is None:
        raise ValidationError(_("This payment was not made with a card."), code="not_card")
    with transaction.atomic():
        card = _locked(payment.card)
        value = _positive(amount, card.currency)
        taken = list(CardEntry.objects.filter(payment=payment, kind=EntryKind.SPEND))
        given = list(CardEntry.objects.filter(payment=payment, kind=EntryKind.REFUND))
        paid_taken = -sum((e.paid_delta for e in taken), ZERO)
        bonus_taken = -sum((e.bonus_delta for e in taken), ZERO)
        sessions_taken = -sum((e.sessions_delta for e in taken), 0)
        paid_back = sum((e.paid_delta for e in given), ZERO)
        bonus_back = sum((e.bonus_delta for e in given), ZERO)
        sessions_back = sum((e.sessions_delta for e in given), 0)
        before = sum(r.amount for r in payment.refunds.exclude(pk=getattr(refund, "pk", None)))
        before = Decimal(before or 0)
        if value + before > payment.amount:
            raise ValidationError(
                {"amount": _("That is more than this payment took off the card.")},
                code="give_back_exceeds",
            )
        values: dict = {}
        if card.kind == CardKind.PACKAGE:
            share = (value + before) / payment.amount
            owed = int((sessions_taken * share).to_integral_value(rounding=ROUND_DOWN))
            if value + before == payment.amount:
                owed = sessions_taken
            values["sessions_delta"] = max(0, owed - sessions_back)
        else:
            total_taken = paid_taken + bonus_taken
            left_paid = paid_taken - paid_back
            left_bonus = bonus_taken - bonus_back
            if value >= left_paid + left_bonus:
                bonus_part = left_bonus
            else:
                bonus_part = (
                    _quantize(value * bonus_taken / total_taken, card.currency)
                    if total_taken
                    else ZERO
                )
                bonus_part = min(bonus_part, left_bonus)
            paid_part = value - bonus_part
            values.update(paid_delta=paid_part, bonus_delta=bonus_part)
        return _entry(
            card,
            actor=actor,
            kind=EntryKind.REFUND,
            payment=payment,
            refund=refund,
            bill_id=payment.bill_id,
            **values,
        )


def credit(*, card, amount, refund, actor) -> CardEntry:
    """A refund paid onto a stored-value card instead of back the way it was paid: real
    money, so it is paid value."""
    with transaction.atomic():
        card = _locked(card)
        if card.kind != CardKind.STORED_VALUE:
            raise ValidationError(
                {"to_card": _("Only a stored-value card can take a refund.")},
                code="not_stored_value",
            )
        if card.status != CardStatus.ACTIVE:
            raise ValidationError({"to_card": _("This card is closed.")}, code="card_closed")
        bill = getattr(refund, "bill", None)
        if bill is not None and bill.client_id is not None and bill.client_id != card.client_id:
            raise ValidationError(
                {"to_card": _("This card belongs to another client.")},
                code="card_other_client",
            )
        value = _positive(amount, card.currency)
        return _entry(
            card,
            actor=actor,
            kind=EntryKind.REFUND,
            paid_delta=value,
            refund=refund,
            bill_id=getattr(refund, "bill_id", None),
        )


# --- reads -----------------------------------------------------------------------------------


def member_discount_percent(*, client, on_date) -> Decimal:
    """The best discount of the client's memberships valid on ``on_date`` (0 if none)."""
    if client is None:
        return ZERO
    best = (
        Card.objects.filter(client=client, kind=CardKind.MEMBERSHIP, status=CardStatus.ACTIVE)
        .filter(starts_on__lte=on_date)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on_date))
        .order_by("-member_discount_percent")
        .values_list("member_discount_percent", flat=True)
        .first()
    )
    return best if best is not None else ZERO


def usable_for(*, client, method, service=None) -> QuerySet:
    """The client's cards that can pay by ``method`` today: stored-value cards with money
    on them, or packages with sessions left (covering ``service`` if given)."""
    if client is None:
        return Card.objects.none()
    on = today()
    cards = (
        Card.objects.filter(client=client, status=CardStatus.ACTIVE, starts_on__lte=on)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .order_by("expires_on", "id")
    )
    if method == PaymentMethod.STORED_VALUE:
        return cards.filter(kind=CardKind.STORED_VALUE).filter(
            Q(paid_balance__gt=0) | Q(bonus_balance__gt=0)
        )
    if method == PaymentMethod.PACKAGE:
        cards = cards.filter(kind=CardKind.PACKAGE, sessions_left__gt=0)
        if service is not None:
            cards = cards.filter(services=service)
        return cards.distinct()
    return Card.objects.none()


def products_on_sale(kind: str | None = None) -> QuerySet:
    """The card products on sale (one kind, or all), for the bill's CARD lines."""
    products = CardProduct.objects.filter(active=True).prefetch_related("services")
    if kind:
        products = products.filter(kind=kind)
    return products.order_by("kind", "name")


def cards_of(client) -> QuerySet:
    return (
        Card.objects.filter(client=client)
        .select_related("product")
        .order_by("status", F("expires_on").asc(nulls_last=True), "-id")
    )


def entries_for_client(client, limit: int = 50) -> list[CardEntry]:
    """The client's card movements, newest first (for the client's timeline)."""
    return list(
        CardEntry.objects.filter(card__client=client)
        .select_related("card", "bill", "created_by")
        .order_by("-created_at", "-id")[:limit]
    )


def ledger(card: Card) -> QuerySet:
    return (
        CardEntry.objects.filter(card=card)
        .select_related("bill", "payment", "refund", "created_by", "counterpart__card")
        .order_by("created_at", "id")
    )


# --- products (the set-up page) -----------------------------------------------------------


def _clean_product(data: dict) -> None:
    kind = data.get("kind")
    if kind == CardKind.PACKAGE:
        if not data.get("sessions"):
            raise ValidationError({"sessions": _("A package needs its number of sessions.")})
        if not data.get("services"):
            raise ValidationError({"services": _("Choose the services the package covers.")})
    if kind == CardKind.MEMBERSHIP and not data.get("member_discount_percent"):
        raise ValidationError(
            {"member_discount_percent": _("A membership needs its member discount.")}
        )


PRODUCT_FIELDS = (
    "kind",
    "name",
    "price",
    "bonus",
    "sessions",
    "member_discount_percent",
    "valid_days",
)


def product_save(*, actor, data: dict, product: CardProduct | None = None) -> CardProduct:
    """Create or change a card product from cleaned form data (fields above + services)."""
    _clean_product(data)
    with transaction.atomic():
        creating = product is None
        before = {} if creating else _snapshot_product(product)
        product = product or CardProduct()
        for name in PRODUCT_FIELDS:
            value = data.get(name)
            if name in ("bonus", "member_discount_percent") and value is None:
                value = ZERO
            setattr(product, name, value)
        if product.kind != CardKind.STORED_VALUE:
            product.bonus = ZERO
        if product.kind != CardKind.PACKAGE:
            product.sessions = None
        if product.kind != CardKind.MEMBERSHIP:
            product.member_discount_percent = ZERO
        product.full_clean(exclude=["services"])
        product.save()
        covered = data.get("services") or []
        product.services.set(covered if product.kind == CardKind.PACKAGE else [])
        audit.record_change(
            action=Action.CREATE if creating else Action.UPDATE,
            actor=actor,
            object_type="card_product",
            object_id=product.pk,
            client_id=None,
            before=before,
            after=_snapshot_product(product),
        )
    return product


def product_set_active(*, product: CardProduct, actor, active: bool) -> CardProduct:
    """Take a product off sale (cards already sold keep working) or put it back."""
    with transaction.atomic():
        before = _snapshot_product(product)
        product.active = active
        product.save(update_fields=["active"])
        audit.record_change(
            action=Action.UPDATE,
            actor=actor,
            object_type="card_product",
            object_id=product.pk,
            client_id=None,
            before=before,
            after=_snapshot_product(product),
        )
    return product
