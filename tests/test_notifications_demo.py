"""The demo message history (notifications.demo): written as rows in the message's
language under the real causes' keys, once, and nothing sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

# Wednesday 18 November 2026, 10:00 in Shanghai (tenant A): three open days either side.
pytestmark = pytest.mark.clock(dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC))


def _demo_week():
    from accounts.models import User
    from clients.models import Client
    from clients.services import ClientData, client_create
    from scheduling.demo import seed_week
    from scheduling.models import Service
    from tenants.management.commands.seed_demo import Command

    if not Service.objects.filter(active=True).exists():
        Service.objects.create(name="Facial", duration_minutes=60, price=300)
    people = [
        ("Anna Lee", "13800138001", "", "1990-03-05"),
        ("李美玲", "13800138002", "zh-hans", "1988-07-21"),
        ("Ben Ho", "13800138003", "", "1979-12-30"),
    ]
    for name, mobile, language, born in people:
        client = client_create(
            data=ClientData(
                {"name": name, "mobile": mobile, "date_of_birth": dt.date.fromisoformat(born)}
            ),
            created_by=None,
        )
        Client.objects.filter(pk=client.pk).update(language=language)
    Command()._demo_practitioners()
    staff = list(User.objects.filter(is_active=True).order_by("id"))
    seed_week(
        practitioners=[u for u in staff if "practitioner" in u.roles],
        front_desk=next(u for u in staff if "front_desk" in u.roles),
    )


def test_demo_messages_are_written_once_in_the_clients_language_and_never_sent(
    cast, db, mailoutbox, capsys
):
    from django.utils import timezone

    from notifications.demo import seed_messages
    from notifications.models import Kind, Message, Status
    from notifications.tasks import reminder_key
    from scheduling.models import Service

    with tenant_context(cast.tenant_a):
        _demo_week()
        capsys.readouterr()
        # when the demo history is written twice
        written = seed_messages()
        assert seed_messages() == 0
        rows = list(Message.objects.prefetch_related("events").select_related("appointment"))
        # then the second run added nothing
        assert written == len(rows) > 0
        statuses = {m.status for m in rows}
        assert {
            Status.DELIVERED,
            Status.SENT,
            Status.FAILED,
            Status.HELD,
            Status.QUEUED,
            Status.CANCELLED,
        } <= statuses
        now = timezone.now()
        services = list(Service.objects.values_list("name", flat=True))
        for message in rows:
            events = list(message.events.all())
            # each has a life, from queued, all of it in the past
            assert events[0].status == Status.QUEUED
            assert events[-1].status == message.status
            assert all(e.at <= now for e in events)
            assert message.segments >= 1 and message.body
            assert "{" not in message.body
            if message.appointment is not None and message.kind != Kind.FOLLOW_UP:
                assert all(e.at < message.appointment.starts_at for e in events)
            if message.status in (Status.SENT, Status.DELIVERED):
                assert message.provider == "console" and message.provider_id
            # the keys are the real causes' keys
            if message.kind == Kind.REMINDER:
                key = reminder_key(message.appointment, 24)
                assert message.idempotency_key == f"{key}:sms"
            if message.kind == Kind.CONFIRMATION:
                assert message.idempotency_key == f"confirmation:{message.appointment_id}:sms"
            # in the client's language: Chinese for 李美玲, English otherwise
            words = message.body.replace("李美玲", "")
            for service in services:
                words = words.replace(service, "")
            chinese = any("\u4e00" <= ch <= "\u9fff" for ch in words)
            assert message.language == (message.client.language or "en")
            assert chinese == (message.language == "zh-hans"), message.body
        failed = next(m for m in rows if m.status == Status.FAILED)
        assert failed.attempts == 5 and "busy" in failed.error
        assert [e.status for e in failed.events.all()].count(Status.SENDING) == 5
        birthday = next(m for m in rows if m.kind == Kind.BIRTHDAY)
        assert birthday.status == Status.CANCELLED and "marketing" in birthday.error
        follow_up = next(m for m in rows if m.kind == Kind.FOLLOW_UP)
        assert follow_up.status == Status.QUEUED and follow_up.send_after > now
        # and nothing was sent: no mail, no console text
        assert mailoutbox == []
        assert capsys.readouterr().out == ""
    # tenant B has none of it
    with tenant_context(cast.tenant_b):
        assert not Message.objects.exists()


def test_a_real_reminder_later_finds_the_demo_row(cast, db):
    """The reminder job writes nothing for an appointment the demo already reminded."""
    import time_machine

    from notifications.demo import seed_messages
    from notifications.models import Kind, Message
    from notifications.tasks import enqueue_reminders

    with tenant_context(cast.tenant_a):
        _demo_week()
        seed_messages()
        reminded = list(
            Message.objects.filter(kind=Kind.REMINDER).values_list("appointment", flat=True)
        )
        count = Message.objects.count()
        assert reminded
        with time_machine.travel(dt.datetime(2026, 11, 18, 20, 0, tzinfo=dt.UTC), tick=False):
            enqueue_reminders()
        again = Message.objects.filter(kind=Kind.REMINDER, appointment__in=reminded)
        assert again.count() == len(reminded)
        assert Message.objects.count() >= count
