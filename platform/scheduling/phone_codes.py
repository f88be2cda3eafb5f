"""The code that verifies a phone before an online booking (BookingSettings.verify_phone).

A 6-digit code from ``secrets`` goes out by SMS through the outbox (kind PHONE_CODE) and
only its keyed hash is kept (``PhoneCode``), for ten minutes and five tries; a newer code
for the same phone spends the older one. A phone that has typed its code is remembered
in the browser's session (sessions live in the business's schema, under its own host),
so the client is not asked again while booking another time. How often codes may be
sent is limited by the booking pages (``scheduling.booking_views``)."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from scheduling.models import PhoneCode

CODE_DIGITS = 6
VALID_FOR = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
KEPT_FOR = dt.timedelta(days=1)
# Codes texted per phone and per client address within the booking pages' rate window.
SENDS_PER_PHONE = 3
SENDS_PER_ADDRESS = 10
SESSION_KEY = "booking.verified_phones"


class PhoneCodeError(models.TextChoices):
    """Why a typed code was refused (``ValidationError.code``, on the ``code`` field)."""

    NONE_SENT = "code_none_sent", _("No code was sent to this number yet. Ask for a code.")
    EXPIRED = "code_expired", _("This code has expired. Ask for a new one.")
    WRONG = "code_wrong", _("This code is not right. Check the text message and try again.")
    TOO_MANY = "code_too_many", _("Too many wrong codes. Ask for a new one.")


def _digest(phone: str, code: str) -> str:
    # Keyed with the site's secret and the business's schema: the table alone does not
    # give the code away (a million candidates would), nor fit another business.
    value = f"{connection.schema_name}:{phone}:{code}"
    return salted_hmac("scheduling.phone_codes", value, algorithm="sha256").hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@transaction.atomic
def phone_code_send(*, phone: str, language: str) -> PhoneCode:
    """Text a new code to ``phone`` (E.164), in ``language``; earlier codes stop working."""
    from notifications.models import Channel, Kind
    from notifications.outbox import enqueue

    now = timezone.now()
    # A phone number is kept no longer than a day after its code (most are not clients).
    PhoneCode.objects.filter(created_at__lt=now - KEPT_FOR).delete()
    PhoneCode.objects.filter(phone=phone, spent_at=None).update(spent_at=now)
    code = _new_code()
    row = PhoneCode.objects.create(
        phone=phone, code_hash=_digest(phone, code), expires_at=now + VALID_FOR
    )
    tenant = getattr(connection, "tenant", None)
    enqueue(
        kind=Kind.PHONE_CODE,
        key=f"phone_code:{row.pk}",
        channel=Channel.SMS,
        recipient=phone,
        language=language,
        context={
            "business": getattr(tenant, "name", ""),
            "code": code,
            "minutes": int(VALID_FOR.total_seconds() // 60),
        },
    )
    return row


def _judge(row: PhoneCode | None, phone: str, code: str) -> PhoneCodeError | None:
    """The verdict on ``code`` for the open ``row`` (locked), spending or counting it."""
    now = timezone.now()
    if row is None:
        return PhoneCodeError.NONE_SENT
    if row.expires_at <= now:
        row.spent_at = now
        row.save(update_fields=["spent_at"])
        return PhoneCodeError.EXPIRED
    if constant_time_compare(_digest(phone, code), row.code_hash):
        row.spent_at = now
        row.save(update_fields=["spent_at"])
        return None
    row.attempts += 1
    if row.attempts >= MAX_ATTEMPTS:
        row.spent_at = now
    row.save(update_fields=["attempts", "spent_at"])
    return PhoneCodeError.TOO_MANY if row.spent_at else PhoneCodeError.WRONG


def phone_code_check(*, phone: str, code: str) -> None:
    """Accept the code typed for ``phone``, or raise a ValidationError on ``code``. A
    wrong try is counted even though the caller sees an error (its own transaction)."""
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(phone=phone, spent_at=None)
            .order_by("-created_at", "-pk")
            .first()
        )
        verdict = _judge(row, phone, code)
    if verdict is not None:
        raise ValidationError({"code": ValidationError(verdict.label, code=verdict.value)})


def is_verified(request, phone: str) -> bool:
    return phone in request.session.get(SESSION_KEY, [])


def remember_verified(request, phone: str) -> None:
    phones = [p for p in request.session.get(SESSION_KEY, []) if p != phone]
    request.session[SESSION_KEY] = [*phones[-4:], phone]
