"""Texts clients send back through a gateway that passes replies on. A stop word (退订,
TD, STOP...) is an opt-out: the sender's marketing-by-SMS consent is withdrawn and their
file gets "do not contact", through the privacy and client services (so the audit trail
and the client's timeline show it)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from clients.models import Client
from notifications.models import InboundReply

# Compared after trimming spaces and punctuation, case-insensitively.
STOP_WORDS = frozenset({"退订", "td", "t", "stop", "unsubscribe", "取消", "退订短信"})
_TRIM = re.compile(r"^[\s\W_]+|[\s\W_]+$", re.UNICODE)


def is_stop_word(body: str) -> bool:
    return _TRIM.sub("", body or "").casefold() in STOP_WORDS


def _normalised(sender: str) -> str:
    from clients.services import phone_region
    from clients.validators import normalise_phone

    sender = (sender or "").strip()
    if sender.startswith("00"):
        sender = "+" + sender[2:]
    try:
        return normalise_phone(sender, region=phone_region())
    except ValidationError:
        return sender


def clients_for(sender: str) -> list[Client]:
    """The (not erased) files whose mobile or other phones are ``sender``, newest first."""
    number = _normalised(sender)
    if not number:
        return []
    return list(
        Client.objects.filter(erased_at__isnull=True)
        .filter(Q(mobile=number) | Q(other_phones__contains=[number]))
        .order_by("-pk")
    )


def _opt_out(client: Client, *, provider: str) -> None:
    from notifications.optout import withdraw

    withdraw(client, channel="sms", how=provider, everything=True)


@transaction.atomic
def receive(*, provider: str, sender: str, body: str) -> InboundReply:
    """Store a client's reply; a stop word opts every file with that number out."""
    matches = clients_for(sender)
    stop = is_stop_word(body)
    if stop:
        for client in matches:
            _opt_out(client, provider=provider)
    return InboundReply.objects.create(
        provider=provider[:30],
        sender=(sender or "")[:40],
        body=body or "",
        client=matches[0] if matches else None,
        opted_out=stop and bool(matches),
    )


def replies_export(client: Client, *, user) -> list[dict]:
    """The texts the client sent back, for their export (times in ISO 8601, UTC)."""
    return [
        {
            "received_at": reply.received_at.isoformat(),
            "from": reply.sender,
            "text": reply.body,
            "gateway": reply.provider,
            "opted_out": reply.opted_out,
        }
        for reply in InboundReply.objects.filter(client=client).order_by("received_at", "id")
    ]


def replies_erase(client: Client) -> None:
    """Drop what the client wrote and their number; keep that an opt-out happened."""
    InboundReply.objects.filter(client=client).update(sender="", body="")
