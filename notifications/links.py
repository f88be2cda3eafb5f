"""The signed links in messages: confirm or cancel an appointment, answer the follow-up
survey, stop messages.

A token is ``<id in base 36>:<timestamp>:<signature>`` (Django's TimestampSigner), signed
with a salt naming the purpose and the business's schema: a confirm token does not cancel,
and a token of one business means nothing on another's address. They cannot be forged
without SECRET_KEY, and stop working when their purpose has passed: an appointment's links
once it has started (or after MAX_AGE), a survey after SURVEY_DAYS or once answered, an
opt-out after MAX_AGE."""

from __future__ import annotations

import datetime as dt

from django.core import signing
from django.db import connection
from django.utils import timezone

CONFIRM, CANCEL, SURVEY, OPT_OUT = "confirm", "cancel", "survey", "opt-out"
PATHS = {CONFIRM: "c", CANCEL: "x", SURVEY: "s", OPT_OUT: "o"}
MAX_AGE = dt.timedelta(days=400)
SURVEY_DAYS = 30


class LinkError(Exception):
    """``reason``: "invalid" (forged, mangled or of another business), "expired", "used"
    (a survey already answered) or "started" (the appointment has begun)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _signer(purpose: str, channel: str = "") -> signing.TimestampSigner:
    return signing.TimestampSigner(
        salt=f"notifications.links.{purpose}{channel}.{connection.schema_name}"
    )


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def token(purpose: str, pk: int, channel: str = "") -> str:
    return _signer(purpose, channel).sign(_base36(pk))


def _domain() -> str:
    tenant = getattr(connection, "tenant", None)
    cached = getattr(tenant, "_links_domain", None)
    if cached is None:
        cached = tenant.primary_domain_name if tenant is not None else ""
        if tenant is not None:
            tenant._links_domain = cached
    return cached


def url(purpose: str, pk: int, channel: str = "") -> str:
    from tenants.services import tenant_portal_url

    suffix = f"{channel}/" if purpose == OPT_OUT else ""
    path = f"/m/{PATHS[purpose]}/{token(purpose, pk, channel)}/{suffix}"
    return tenant_portal_url(_domain(), path)


def confirm_url(appointment) -> str:
    return url(CONFIRM, appointment.pk)


def cancel_url(appointment) -> str:
    return url(CANCEL, appointment.pk)


def survey_url(visit) -> str:
    return url(SURVEY, visit.pk)


def opt_out_url(client, channel: str) -> str:
    return url(OPT_OUT, client.pk, channel)


def _pk(value: str, purpose: str, max_age: dt.timedelta, channel: str = "") -> int:
    try:
        raw = _signer(purpose, channel).unsign(value, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except signing.BadSignature:
        raise LinkError("invalid") from None
    try:
        return int(raw, 36)
    except ValueError:
        raise LinkError("invalid") from None


def find_appointment(value: str, purpose: str):
    """The booking a confirm or cancel link names; after a move, the booking it moved to."""
    from scheduling.models import Appointment, Status

    pk = _pk(value, purpose, MAX_AGE)
    related = ("client", "service", "staff")
    appointment = Appointment.objects.select_related(*related).filter(pk=pk).first()
    hops = 0
    while appointment is not None and appointment.status == Status.RESCHEDULED and hops < 20:
        appointment = (
            Appointment.objects.select_related(*related)
            .filter(pk=appointment.rescheduled_to_id)
            .first()
        )
        hops += 1
    if appointment is None:
        raise LinkError("invalid")
    if appointment.starts_at <= timezone.now():
        raise LinkError("started")
    return appointment


def find_visit(value: str):
    from visits.models import Visit

    visit = (
        Visit.objects.select_related("client")
        .filter(pk=_pk(value, SURVEY, dt.timedelta(days=SURVEY_DAYS)))
        .first()
    )
    if visit is None or visit.client.erased_at is not None:
        raise LinkError("invalid")
    if visit.satisfaction:
        raise LinkError("used")
    return visit


def find_client(value: str, channel: str):
    from clients.models import Client

    if channel not in ("sms", "email"):
        raise LinkError("invalid")
    client = Client.objects.filter(pk=_pk(value, OPT_OUT, MAX_AGE, channel)).first()
    if client is None or client.erased_at is not None:
        raise LinkError("invalid")
    return client
