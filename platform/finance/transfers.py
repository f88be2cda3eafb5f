"""Moving stored value (储值) or package sessions (次卡) from one client's card to a family
member's: only where the owner has switched it on (``FinanceSettings.allow_card_transfers``,
off by default), only between members of one household (``clients.households``), and only
by staff who take payments (``finance.take_payments``).

A transfer is two movements on the append-only ledger, written in one transaction: a
TRANSFER_OUT on the source and a TRANSFER_IN on the target, each naming the other
(``CardEntry.counterpart``). Both cards are locked in id order before their balances are
read, so two transfers (or a transfer and a payment) on one card queue one after the
other and two transfers in opposite directions cannot deadlock; the database's CHECK
against a negative balance is the last guard, its refusal read as the same error.

Stored value moves in the source's paid:bonus mix (``finance.cards.split``), and each
part stays what it was on the target: bonus value moved is bonus there too. A refund of
the source's sale or top-up can then return only the paid value still on the source
(``finance.cards.refundable_for_line``); paid value moved onto the target cannot be
refunded as money from it (no sale on the target paid for it), only spent. Sessions move between
packages covering the same services. Both movements are audited on their own client's
file and listed in each client's timeline."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.roles import Capability
from clients.households import same_household
from finance.cards import (
    CHECK_VIOLATION,
    _audit_entry,
    _positive,
    _refuse_unusable,
    _sqlstate,
    insufficient,
    split,
    today,
)
from finance.models import Card, CardEntry, CardKind, CardStatus, EntryKind, FinanceSettings

MOVABLE = (CardKind.STORED_VALUE, CardKind.PACKAGE)


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def transfers_allowed() -> bool:
    return FinanceSettings.load().allow_card_transfers


def _services(card: Card) -> frozenset[int]:
    return frozenset(card.services.values_list("pk", flat=True))


def targets_for(source: Card) -> list[Card]:
    """The open cards of the source holder's family members that can take its value: of
    the same kind and currency, valid today, and for a package the same services."""
    client = source.client
    if source.kind not in MOVABLE or client.household_id is None:
        return []
    on = today()
    cards = list(
        Card.objects.filter(
            client__household_id=client.household_id,
            kind=source.kind,
            currency=source.currency,
            status=CardStatus.ACTIVE,
            starts_on__lte=on,
        )
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
        .exclude(client_id=source.client_id)
        .select_related("client")
        .prefetch_related("services")
        .order_by("client__sort_key", "id")
    )
    if source.kind == CardKind.PACKAGE:
        covered = _services(source)
        cards = [c for c in cards if frozenset(s.pk for s in c.services.all()) == covered]
    return cards


def _refuse(actor, source: Card, target: Card) -> None:
    """The checks that need no lock: who, whether it is on, and between whom."""
    if actor is None or not actor.can(Capability.TAKE_PAYMENTS):
        raise ValidationError(
            _("Only staff who take payments can move card balances."), code="forbidden"
        )
    if not transfers_allowed():
        raise ValidationError(
            _("Moving balances between cards is switched off."), code="transfers_off"
        )
    if source.pk == target.pk:
        raise _field_error("target", _("Choose another card."), "same_card")
    if not same_household(source.client_id, target.client_id):
        raise _field_error(
            "target",
            _("Value moves only to a family member in the same household."),
            "not_household",
        )


def _parts(source: Card, target: Card, *, amount, sessions) -> dict:
    """The target's deltas (the source's are their negatives), checked against the
    locked source."""
    if source.kind != target.kind or source.kind not in MOVABLE:
        raise _field_error(
            "target", _("Value moves only between two stored-value cards or two packages."), "kind"
        )
    if source.kind == CardKind.PACKAGE:
        if _services(source) != _services(target):
            raise _field_error("target", _("The packages cover different services."), "services")
        if not isinstance(sessions, int) or sessions < 1:
            raise ValidationError({"sessions": _("Move at least one session.")})
        if sessions > source.sessions_left:
            raise _field_error(
                "sessions", _("The package has not enough sessions left."), "insufficient_sessions"
            )
        return {"sessions_delta": sessions}
    if source.currency != target.currency:
        raise _field_error("target", _("The cards hold different currencies."), "currency")
    value = _positive(amount, source.currency)
    if value > source.balance:
        raise ValidationError({"amount": insufficient()})
    paid, bonus = split(source, value)
    return {"paid_delta": paid, "bonus_delta": bonus}


def transfer(
    *, source: Card, target: Card, actor, note: str, amount=None, sessions: int | None = None
) -> tuple[CardEntry, CardEntry]:
    """Move ``amount`` of stored value (or ``sessions`` of a package) from ``source`` to
    ``target``, a family member's card (see the module's rules). Returns (out, in)."""
    _refuse(actor, source, target)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the balance is moved.")})
    with transaction.atomic():
        locked = {
            c.pk: c
            for c in Card.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        _refuse_unusable(source)
        try:
            _refuse_unusable(target)
        except ValidationError as error:
            raise ValidationError({"target": error.messages}) from None
        deltas = _parts(source, target, amount=amount, sessions=sessions)
        out, into = _write_pair(source, target, deltas, actor=actor, note=note)
        _audit_entry(out, source, actor)
        _audit_entry(into, target, actor)
    return out, into


def _write_pair(source: Card, target: Card, deltas: dict, *, actor, note: str):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('finance_cardentry', 'id')), "
            "nextval(pg_get_serial_sequence('finance_cardentry', 'id'))"
        )
        out_id, in_id = cursor.fetchone()
    package = "sessions_delta" in deltas
    # The foreign keys are checked at commit, so each entry can name the other.
    sides = (
        (out_id, source, EntryKind.TRANSFER_OUT, in_id, -1),
        (in_id, target, EntryKind.TRANSFER_IN, out_id, 1),
    )
    try:
        with transaction.atomic():
            out, into = (
                CardEntry.objects.create(
                    id=entry_id,
                    card=card,
                    kind=kind,
                    counterpart_id=other_id,
                    note=note,
                    created_by=actor,
                    **{name: sign * value for name, value in deltas.items()},
                )
                for entry_id, card, kind, other_id, sign in sides
            )
    except IntegrityError as error:
        if _sqlstate(error) == CHECK_VIOLATION and package:
            raise _field_error(
                "sessions", _("The package has not enough sessions left."), "insufficient_sessions"
            ) from error
        if _sqlstate(error) == CHECK_VIOLATION:
            raise ValidationError({"amount": insufficient()}) from error
        raise
    return out, into
