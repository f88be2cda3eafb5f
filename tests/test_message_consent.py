"""Who may be written to: birthday greetings only to clients who agreed to marketing on
that channel, nothing to a file marked do-not-contact, the client's preferred channel,
greetings and recalls in the business's local morning, and nothing at all from a
suspended business."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.db import connection
from django_tenants.utils import tenant_context

from notifications import outbox, tasks
from notifications.models import Kind, Message, Status
from privacy.models import Method, Purpose
from privacy.services import consent_record
from scheduling.recalls import recall_schedule
from tests import schedule
from tests.factories import ClientFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Wednesday 2 December 2026, 09:00 in Shanghai (before the 10:00 morning round).
NINE = dt.datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
TEN_PAST_TEN = NINE + dt.timedelta(hours=1, minutes=10)


def _born_today(name: str, **values):
    return ClientFactory(name=name, date_of_birth=dt.date(1990, 12, 2), **values)


def _birthday(client) -> Message | None:
    return Message.objects.filter(client=client, kind=Kind.BIRTHDAY).first()


@pytest.mark.clock(NINE)
def test_birthday_greetings_go_in_the_local_morning_only_to_those_who_agreed(cast, db):
    with tenant_context(cast.tenant_a):
        agreed = _born_today("Agreed", mobile="13812340001")
        consent_record(
            client=agreed, purpose=Purpose.MARKETING_SMS, granted=True, method=Method.WRITTEN
        )
        silent = _born_today("Silent", mobile="13812340002")
        withdrew = _born_today("Withdrew", mobile="13812340003")
        consent_record(
            client=withdrew, purpose=Purpose.MARKETING_SMS, granted=True, method=Method.WRITTEN
        )
        consent_record(
            client=withdrew, purpose=Purpose.MARKETING_SMS, granted=False, method=Method.ONLINE
        )
        # Email consent does not cover SMS.
        other_channel = _born_today("Email only", mobile="13812340004")
        consent_record(
            client=other_channel,
            purpose=Purpose.MARKETING_EMAIL,
            granted=True,
            method=Method.WRITTEN,
        )
        assert tasks.enqueue_birthdays() == 0  # 09:00: before the morning round
        with time_machine.travel(TEN_PAST_TEN, tick=False):
            assert tasks.enqueue_birthdays() == 4
            assert tasks.enqueue_birthdays() == 0  # once a year
        assert _birthday(agreed).status == Status.QUEUED
        assert _birthday(agreed).marketing is True
        for refused in (silent, withdrew, other_channel):
            message = _birthday(refused)
            assert message.status == Status.CANCELLED
            assert "marketing" in message.error
            # The log shows the text as it would have read, with its link filled in.
            assert "{" not in message.body and "/m/o/" in message.body


@pytest.mark.clock(NINE)
def test_do_not_contact_stops_transactional_messages_and_the_preferred_channel_is_used(cast, db):
    with tenant_context(cast.tenant_a):
        facial = schedule.service("Facial")
        quiet = ClientFactory(name="Quiet", mobile="13812340005", flags=["do_not_contact"])
        recall = recall_schedule(
            client=quiet, service=facial, due_on=NINE.date() + dt.timedelta(days=3)
        )
        mail = ClientFactory(
            name="Mail", mobile="13812340006", email="mail@example.com", preferred_channel="email"
        )
        mail_recall = recall_schedule(
            client=mail, service=facial, due_on=NINE.date() + dt.timedelta(days=3)
        )
        with time_machine.travel(TEN_PAST_TEN, tick=False):
            assert tasks.enqueue_recalls() == 2
        stopped = Message.objects.get(client=quiet, kind=Kind.RECALL)
        assert stopped.status == Status.CANCELLED
        assert stopped.error == "The client asked not to be contacted."
        by_mail = Message.objects.get(client=mail, kind=Kind.RECALL)
        assert (by_mail.channel, by_mail.recipient) == ("email", "mail@example.com")
        assert by_mail.subject == "Time for your next Facial"
        assert "2026" in by_mail.body and recall.pk != mail_recall.pk


@pytest.mark.clock(TEN_PAST_TEN)
def test_a_suspended_business_sends_nothing(cast, db):
    from tenants.models import TenantStatus

    with tenant_context(cast.tenant_a):
        agreed = _born_today("Agreed", mobile="13812340007")
        consent_record(
            client=agreed, purpose=Purpose.MARKETING_SMS, granted=True, method=Method.WRITTEN
        )
        queued = outbox.enqueue(
            kind=Kind.RECALL,
            key="test:suspended",
            context={"client_name": "x"},
            client=agreed,
        )
        tenant = connection.tenant
        tenant.status = TenantStatus.SUSPENDED
        try:
            assert tasks.run_due()["skipped"] is True
        finally:
            tenant.status = TenantStatus.ACTIVE
        assert _birthday(agreed) is None
        queued.refresh_from_db()
        assert queued.status == Status.QUEUED
