"""The signed links in messages: confirm or cancel an appointment, answer the follow-up
survey, stop messages.

A token is ``<id>.<issued>.<signature>`` (base 36, then 96 bits of HMAC-SHA256 keyed
with SECRET_KEY), with a salt naming the purpose and the business's schema: a confirm
token does not cancel, and a token of one business means nothing on another's address.
They cannot be forged without SECRET_KEY, and stop working when their purpose has passed:
an appointment's links once it has started (or after MAX_AGE), a survey after SURVEY_DAYS
or once answered, an opt-out after MAX_AGE."""

from __future__ import annotations

import base64
import datetime as dt
import time

from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

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


def _salt(purpose: str, channel: str) -> str:
    return f"notifications.links.{purpose}{channel}.{connection.schema_name}"


def _signature(value: str, purpose: str, channel: str) -> str:
    # 96 bits of HMAC-SHA256 keep a link short in a 70-character Chinese SMS part and are
    # far beyond guessing (each guess is one request to the business's address).
    digest = salted_hmac(_salt(purpose, channel), value, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


def token(purpose: str, pk: int, channel: str = "") -> str:
    """``<id>.<issued>.<signature>``: the id and the issue time (seconds) in base 36."""
    value = f"{_base36(pk)}.{_base36(int(time.time()))}"
    return f"{value}.{_signature(value, purpose, channel)}"


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
    parts = (value or "").split(".")
    if len(parts) != 3:
        raise LinkError("invalid")
    pk_text, issued_text, signature = parts
    expected = _signature(f"{pk_text}.{issued_text}", purpose, channel)
    if not constant_time_compare(signature, expected):
        raise LinkError("invalid")
    try:
        pk, issued = int(pk_text, 36), int(issued_text, 36)
    except ValueError:
        raise LinkError("invalid") from None
    if time.time() - issued > max_age.total_seconds():
        raise LinkError("expired")
    return pk


def find_appointment(value: str, purpose: str):
    """The booking a confirm or cancel link names; after a move, the booking it moved to
    (a move keeps the booking's ``manage_token``, as the online-booking link relies on)."""
    from scheduling.models import Appointment, Status

    pk = _pk(value, purpose, MAX_AGE)
    secret = Appointment.objects.filter(pk=pk).values_list("manage_token", flat=True).first()
    appointment = (
        Appointment.objects.filter(manage_token=secret)
        .exclude(status=Status.RESCHEDULED)
        .select_related("client", "service", "staff")
        .order_by("-created_at", "-pk")
        .first()
        if secret
        else None
    )
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
