"""The outbox's send core: a row is claimed once, sent once, retried with backoff on a
transient error, failed on a permanent one; a row whose worker died is resent with the
same key or held; a locked tenant or a spent SMS allowance sends nothing; one tenant's
run never touches another's rows; quiet hours move a due time to their end."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications import outbox, tasks
from notifications.channels import Backend, PermanentError, SendResult, TransientError
from notifications.models import Message, MessageEvent, NotificationSettings, Status

SINK = "tests.test_outbox.SinkBackend"
PLAIN = "tests.test_outbox.PlainBackend"


class SinkBackend(Backend):
    """A loopback sink that honours idempotency keys: one delivery per key."""

    name = "sink"
    supports_idempotency = True
    calls: list[str] = []
    delivered: set[str] = set()
    fail_with: Exception | None = None
    lock = threading.Lock()

    def send(self, message, *, idempotency_key: str) -> SendResult:
        with self.lock:
            type(self).calls.append(idempotency_key)
            if type(self).fail_with is not None:
                raise type(self).fail_with
            type(self).delivered.add(idempotency_key)
        return SendResult(provider=self.name, provider_id=f"sink-{idempotency_key}")


class PlainBackend(SinkBackend):
    """The same sink, but a repeat would reach the client twice."""

    name = "plain"
    supports_idempotency = False


@pytest.fixture
def sink(settings):
    settings.NOTIFICATIONS_SMS_BACKEND = SINK
    SinkBackend.calls, SinkBackend.delivered, SinkBackend.fail_with = [], set(), None
    yield SinkBackend
    SinkBackend.fail_with = None


def row(key: str = "test:1", **values) -> Message:
    fields = {
        "kind": "reminder",
        "channel": "sms",
        "idempotency_key": f"{key}:sms",
        "recipient": "13800000001",
        "language": "en",
        "body": "See you tomorrow at 09:00",
        "segments": 1,
        "send_after": timezone.now() - dt.timedelta(seconds=1),
        **values,
    }
    message = Message.objects.create(**fields)
    MessageEvent.objects.create(message=message, status=Status.QUEUED)
    return message


def test_a_second_delivery_of_the_send_task_claims_nothing(cast, db, sink):
    with tenant_context(cast.tenant_a):
        message = row()
        tasks.send(message.pk)
        tasks.send(message.pk)
        message.refresh_from_db()
        assert message.status == Status.DELIVERED or message.status == Status.SENT
        assert message.attempts == 1
        assert message.provider_id == f"sink-{message.idempotency_key}"
        assert sink.calls == [message.idempotency_key]


def test_a_transient_error_retries_with_backoff_then_fails(cast, db, sink):
    with tenant_context(cast.tenant_a):
        message = row()
        sink.fail_with = TransientError("gateway busy")
        waits = []
        for _attempt in range(outbox.MAX_ATTEMPTS):
            before = timezone.now()
            outbox.send_now(message.pk)
            message.refresh_from_db()
            if message.status == Status.QUEUED:
                waits.append(message.send_after - before)
                Message.objects.filter(pk=message.pk).update(send_after=timezone.now())
        assert message.status == Status.FAILED
        assert message.attempts == 5
        assert message.error == "gateway busy"
        assert [round(w.total_seconds() / 10) * 10 for w in waits] == [30, 120, 600, 3600]


def test_a_permanent_error_fails_at_once(cast, db, sink):
    with tenant_context(cast.tenant_a):
        message = row()
        sink.fail_with = PermanentError("number refused")
        outbox.send_now(message.pk)
        message.refresh_from_db()
        assert (message.status, message.error, message.attempts) == (
            Status.FAILED,
            "number refused",
            1,
        )
        assert list(message.events.values_list("status", flat=True).order_by("pk")) == [
            "queued",
            "sending",
            "failed",
        ]


def test_a_billing_locked_tenant_sends_nothing(cast, db, sink, monkeypatch):
    import billing.access

    monkeypatch.setattr(billing.access, "is_billing_locked", lambda tenant: True)
    with tenant_context(cast.tenant_a):
        message = row()
        assert outbox.send_now(message.pk) is None
        assert outbox.send_due() == 0
        message.refresh_from_db()
        assert message.status == Status.QUEUED
        assert sink.calls == []


def test_an_sms_beyond_the_plans_allowance_fails_with_the_reason(cast, db, sink, monkeypatch):
    import billing.limits

    monkeypatch.setattr(billing.limits, "sms_allowance", lambda tenant: 2)
    with tenant_context(cast.tenant_a):
        first = row("test:a", segments=2)
        second = row("test:b", segments=1)
        outbox.send_now(first.pk)
        outbox.send_now(second.pk)
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.status in (Status.SENT, Status.DELIVERED)
        assert second.status == Status.FAILED
        assert second.error
        assert sink.calls == [first.idempotency_key]


def _stale(key: str) -> Message:
    message = row(key)
    Message.objects.filter(pk=message.pk).update(
        status=Status.SENDING,
        claim_token="dead-worker",
        claimed_at=timezone.now() - dt.timedelta(minutes=6),
        attempts=1,
    )
    return message


def test_a_stale_row_is_resent_with_the_same_key_when_the_gateway_honours_it(cast, db, sink):
    with tenant_context(cast.tenant_a):
        message = _stale("test:stale")
        # the dead worker's request did reach the gateway
        sink.delivered.add(message.idempotency_key)
        resent, held = outbox.recover_stale()
        message.refresh_from_db()
        assert (resent, held) == (1, 0)
        assert message.status in (Status.SENT, Status.DELIVERED)
        assert sink.calls == [message.idempotency_key]
        assert sink.delivered == {message.idempotency_key}
        # a second sweep finds nothing
        assert outbox.recover_stale() == (0, 0)


def test_a_stale_row_is_held_without_idempotency_and_a_person_releases_it(cast, db, sink, settings):
    from accounts.models import User

    settings.NOTIFICATIONS_SMS_BACKEND = PLAIN
    with tenant_context(cast.tenant_a):
        owner = User.objects.get(email=cast.owner_a)
        message = _stale("test:held")
        assert outbox.recover_stale() == (0, 1)
        message.refresh_from_db()
        assert message.status == Status.HELD
        assert sink.calls == []
        outbox.release_held(message=message, actor=owner, send=True)
        outbox.send_now(message.pk)
        message.refresh_from_db()
        assert message.status in (Status.SENT, Status.DELIVERED)
        assert sink.calls == [message.idempotency_key]


def test_tenant_bs_run_never_touches_tenant_as_rows(cast, db, sink):
    with tenant_context(cast.tenant_a):
        mine = row("test:a-only")
        stale = _stale("test:a-stale")
    with tenant_context(cast.tenant_b):
        result = tasks.run_due()
        assert result["schema"] == cast.tenant_b.schema_name
        assert outbox.send_now(mine.pk) is None or not Message.objects.filter(pk=mine.pk).exists()
    with tenant_context(cast.tenant_a):
        mine.refresh_from_db()
        stale.refresh_from_db()
        assert mine.status == Status.QUEUED
        assert stale.status == Status.SENDING
        assert mine.idempotency_key not in sink.calls


@pytest.mark.parametrize(
    ("local", "start", "end", "expected"),
    [
        ("2026-12-10 22:30", "21:00", "08:00", "2026-12-11 08:00"),  # crosses midnight
        ("2026-12-11 06:00", "21:00", "08:00", "2026-12-11 08:00"),  # after midnight
        ("2026-12-10 12:00", "21:00", "08:00", "2026-12-10 12:00"),  # daytime
        ("2026-12-10 13:30", "13:00", "14:00", "2026-12-10 14:00"),  # same-day window
        ("2026-12-10 22:30", "00:00", "00:00", "2026-12-10 22:30"),  # no quiet hours
    ],
)
def test_quiet_hours_move_a_due_time_to_their_end(cast, db, local, start, end, expected):
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    rules = NotificationSettings(
        quiet_start=dt.time.fromisoformat(start), quiet_end=dt.time.fromisoformat(end)
    )
    with tenant_context(cast.tenant_a):
        at = dt.datetime.fromisoformat(local).replace(tzinfo=shanghai)
        moved = outbox.quiet_until(at, rules)
        assert moved.astimezone(shanghai).strftime("%Y-%m-%d %H:%M") == expected


def _claim_in_thread(tenant, pk, barrier, results):
    try:
        with tenant_context(tenant):
            barrier.wait(timeout=10)
            results.append(outbox.send_now(pk))
    finally:
        connection.close()


def test_two_workers_sending_the_same_row_at_once_send_it_once(cast, sink, django_db_blocker):
    """Real connections, committed row: both claims race; one gets the row, one 0 rows."""
    with django_db_blocker.unblock():
        with tenant_context(cast.tenant_a):
            message = row(f"test:race:{timezone.now().timestamp()}")
        try:
            barrier, results = threading.Barrier(2), []
            threads = [
                threading.Thread(
                    target=_claim_in_thread, args=(cast.tenant_a, message.pk, barrier, results)
                )
                for _ in range(2)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert len(results) == 2
            assert sum(r is not None for r in results) == 1
            assert sink.calls == [message.idempotency_key]
            with tenant_context(cast.tenant_a):
                message.refresh_from_db()
                assert message.attempts == 1
        finally:
            with tenant_context(cast.tenant_a):
                Message.objects.filter(pk=message.pk).delete()
