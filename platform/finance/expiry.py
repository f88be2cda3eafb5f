"""Cards past their last day: what is left on them expires. Once a day per business
(``finance.expire_cards``, fanned out by beat), each open card whose ``expires_on`` is
before the business's today and that still holds something gets one EXPIRE movement
taking what may expire: a package's sessions, and of a stored-value card only the bonus
the business gave. The money the client paid onto a stored-value card never expires: it
stays theirs and is refunded on request (China's rules on prepaid cards, 单用途商业预付卡
管理办法, do not let a registered card's paid balance lapse; most other places protect it
too). A membership holds nothing. The card stays on file (its status is unchanged; an
expired card cannot be spent whatever it holds, ``finance.cards``).

Idempotent: a card already emptied is not touched again, so a second run the same day,
or a run the day after, writes nothing; sessions or bonus put back on an expired card
later (a refund of an earlier payment) expire at the next run. Each card is locked before its
balance is read, so a payment being taken on it at the same moment is served first or
refused, never half-expired. Every movement is audited and shows in the client's
timeline, like every other (``finance.client_file``)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from finance.cards import _entry, _locked, today
from finance.models import Card, CardEntry, CardKind, CardStatus, EntryKind


def _holding() -> Q:
    return Q(bonus_balance__gt=0) | Q(sessions_left__gt=0)


def due(on: dt.date | None = None):
    """The open cards past their last day that still hold something."""
    on = on or today()
    return (
        Card.objects.filter(status=CardStatus.ACTIVE, expires_on__lt=on)
        .exclude(kind=CardKind.MEMBERSHIP)
        .filter(_holding())
        .order_by("id")
    )


def expire_card(card: Card, *, on: dt.date | None = None) -> CardEntry | None:
    """Expire what is left on ``card`` if it is past its last day (else None)."""
    on = on or today()
    with transaction.atomic():
        card = _locked(card)
        if card.status != CardStatus.ACTIVE or card.expires_on is None or card.expires_on >= on:
            return None
        if not (card.bonus_balance or card.sessions_left):
            return None
        return _entry(
            card,
            actor=None,
            kind=EntryKind.EXPIRE,
            paid_delta=0,
            bonus_delta=-card.bonus_balance,
            sessions_delta=-card.sessions_left,
        )


def expire_due(*, on: dt.date | None = None) -> int:
    """Expire every card due (see the module); returns how many movements were written.
    One short transaction per card, so a long run holds no lock for long."""
    on = on or today()
    written = 0
    for pk in list(due(on).values_list("id", flat=True)):
        if expire_card(Card(pk=pk), on=on) is not None:
            written += 1
    return written
