"""Exactly once through a real Celery worker over the real (embedded) Redis, sending to a
generic HTTP gateway on 127.0.0.1 that this test runs (the fakes of tests/test_channels.py)
and that honours the Idempotency-Key header the way a real gateway does: a repeated key is
answered with the first message's id and reaches nobody.

- The same send task delivered twice, to a worker running two at once: one claim, one
  request to the gateway.
- A worker killed (SIGKILL) after its claim, just before its request left or just after
  the gateway answered, and a fresh worker's per-minute ``notifications.dispatch_due``
  once the claim is older than ``STALE_AFTER``: sent with the idempotency key, the message
  is sent again with the same key and the client has it once; sent without (a gateway that
  cannot recognise a repeat), the row is held for a person and nothing is sent again.

The kill falls exactly between claim and send: the worker's SMS backend
(:class:`StallingGateway`) writes the row's id to a file and waits at the chosen point,
and the test kills the worker when the file appears."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from notifications import outbox
from notifications.channels.generic import HttpGatewayBackend
from notifications.models import Message, Status
from tests.test_celery_worker import _database_url
from tests.test_channels import GENERIC_AUTH, Seen, fake_gateway, generic_checks
from tests.test_outbox import row

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.celery_worker

STALL_ENV = "OUTBOX_TEST_STALL"  # "before" or "after": where the worker's send waits
STALL_FILE_ENV = "OUTBOX_TEST_STALL_FILE"
STALL_LIMIT_SECONDS = 120  # a worker nobody killed gives up waiting after this
TASK_TIMEOUT = 60


class StallingGateway(HttpGatewayBackend):
    """The generic HTTP gateway backend; in a worker started with OUTBOX_TEST_STALL it
    writes the row's id to OUTBOX_TEST_STALL_FILE and waits to be killed, either just
    before its request ("before") or just after the gateway answered ("after")."""

    def send(self, message, *, idempotency_key: str):
        stall = os.environ.get(STALL_ENV, "")
        if stall == "before":
            self._wait_to_be_killed(message)
        result = super().send(message, idempotency_key=idempotency_key)
        if stall == "after":
            self._wait_to_be_killed(message)
        return result

    @staticmethod
    def _wait_to_be_killed(message) -> None:
        Path(os.environ[STALL_FILE_ENV]).write_text(str(message.pk))
        time.sleep(STALL_LIMIT_SECONDS)
        raise RuntimeError("the test did not kill this worker")


def idempotency_key(seen: Seen) -> str:
    """The request's Idempotency-Key header ("" without one); urllib sends it as
    "Idempotency-key", and HTTP header names are case-insensitive."""
    headers = {name.lower(): value for name, value in seen.headers.items()}
    return headers.get("idempotency-key", "")


class Gateway:
    """What the loopback gateway does with each request: deliver it, unless its
    Idempotency-Key was seen before (then answer with the first delivery's id)."""

    def __init__(self):
        self.delivered: list[tuple[str, str]] = []
        self.ids: dict[str, str] = {}
        self.lock = threading.Lock()

    def __call__(self, seen: Seen):
        key = idempotency_key(seen)
        with self.lock:
            if key and key in self.ids:
                return 200, {"id": self.ids[key]}
            body = seen.json()
            self.delivered.append((body["to"], body["text"]))
            provider_id = f"gw-{len(self.delivered)}"
            if key:
                self.ids[key] = provider_id
            return 200, {"id": provider_id}


@pytest.fixture
def gateway():
    behaviour = Gateway()
    with fake_gateway(generic_checks(behaviour)) as server:
        server.behaviour = behaviour
        yield server


@contextlib.contextmanager
def celery_worker(gateway_url: str, *, honour_keys: bool = True, stall: str = "", **options):
    """A worker process of its own queue, sending SMS through :class:`StallingGateway`
    to ``gateway_url``; yields (process, queue). ``options``: pool and concurrency."""
    from config.celery_app import app

    queue = f"outbox-test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
            "NOTIFICATIONS_SMS_BACKEND": f"{__name__}.StallingGateway",
            "SMS_GATEWAY_URL": gateway_url + "/send",
            "SMS_GATEWAY_AUTH_VALUE": GENERIC_AUTH,
            "SMS_GATEWAY_KEY_HEADER": "Idempotency-Key" if honour_keys else "",
            STALL_ENV: stall,
            STALL_FILE_ENV: options.pop("stall_file", ""),
        }
    )
    pool = options.pop("pool", "solo")
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", pool]
    if "concurrency" in options:
        command += ["--concurrency", str(options.pop("concurrency"))]
    node = f"{queue}@{socket.gethostname()}"
    command += ["-Q", queue, "-n", node, "-l", "info", "--without-gossip", "--without-mingle"]
    log_path = ROOT / "test-artifacts" / f"{queue}.log"
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 60
            while not app.control.inspect(destination=[node], timeout=1).ping():
                assert process.poll() is None, f"the worker exited during start-up ({log_path})"
                assert time.monotonic() < deadline, "the worker did not answer a ping in 60 s"
            yield process, queue
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _run(task, queue: str, *args, tenant):
    """Queue ``task`` from ``tenant``'s schema to ``queue``; its AsyncResult."""
    with tenant_context(tenant):
        result = task.apply_async(args, queue=queue, ignore_result=False)
    return result


def _message(tenant, key: str) -> Message:
    with tenant_context(tenant):
        return row(key, recipient="+8613812345678", body="See you tomorrow at 09:00. 明天见")


def _reload(tenant, pk: int) -> Message:
    with tenant_context(tenant):
        return Message.objects.get(pk=pk)


def _events(tenant, pk: int) -> list[str]:
    with tenant_context(tenant):
        return list(
            Message.objects.get(pk=pk).events.order_by("pk").values_list("status", flat=True)
        )


def _wait_for(predicate, what: str, timeout: float = TASK_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.05)


@contextlib.contextmanager
def committed_rows(tenant):
    """The rows a test writes are committed (the worker must see them); remove them after."""
    pks: list[int] = []
    try:
        yield pks
    finally:
        with tenant_context(tenant):
            Message.objects.filter(pk__in=pks).delete()


def test_the_same_send_task_delivered_twice_reaches_the_gateway_once(
    cast, gateway, django_db_blocker
):
    from notifications.tasks import send

    with django_db_blocker.unblock(), committed_rows(cast.tenant_a) as pks:
        message = _message(cast.tenant_a, "worker:twice")
        pks.append(message.pk)
        with celery_worker(gateway.url, pool="prefork", concurrency=2) as (_process, queue):
            # when: the broker hands the same task to the worker twice, at once
            results = [_run(send, queue, message.pk, tenant=cast.tenant_a) for _ in range(2)]
            outcomes = sorted(result.get(timeout=TASK_TIMEOUT) for result in results)
        # then: one claim, one request, one text
        sent = _reload(cast.tenant_a, message.pk)
        assert outcomes == ["not claimed", "sent"]
        assert (sent.status, sent.attempts, sent.provider_id) == (Status.SENT, 1, "gw-1")
        assert len(gateway.seen) == 1
        assert idempotency_key(gateway.seen[0]) == sent.idempotency_key
        assert gateway.behaviour.delivered == [(sent.recipient, sent.body)]
        assert _events(cast.tenant_a, message.pk) == ["queued", "sending", "sent"]


def _kill_between_claim_and_send(tenant, gateway, message, tmp_path, *, honour_keys, stall):
    """Send ``message`` through a worker that stops at ``stall`` and SIGKILL it there."""
    from notifications.tasks import send

    stall_file = tmp_path / "stalled"
    with celery_worker(
        gateway.url, honour_keys=honour_keys, stall=stall, stall_file=str(stall_file)
    ) as (process, queue):
        _run(send, queue, message.pk, tenant=tenant)
        _wait_for(stall_file.exists, "the worker to reach its send")
        assert stall_file.read_text() == str(message.pk)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)
    assert process.returncode == -signal.SIGKILL


def _recover_on_a_fresh_worker(cast, gateway, message, *, honour_keys) -> dict:
    """Another worker's per-minute job: nothing while the claim is recent, nothing from
    tenant B's run, then the recovery once the claim is older than STALE_AFTER."""
    from notifications.tasks import dispatch_due

    with celery_worker(gateway.url, honour_keys=honour_keys) as (_process, queue):
        early = _run(dispatch_due, queue, tenant=cast.tenant_a).get(timeout=TASK_TIMEOUT)
        assert (early["resent"], early["held"]) == (0, 0)
        assert _reload(cast.tenant_a, message.pk).status == Status.SENDING
        with tenant_context(cast.tenant_a):
            stale = timezone.now() - outbox.STALE_AFTER - dt.timedelta(seconds=5)
            Message.objects.filter(pk=message.pk).update(claimed_at=stale)
        other = _run(dispatch_due, queue, tenant=cast.tenant_b).get(timeout=TASK_TIMEOUT)
        assert (other["schema"], other["resent"], other["held"]) == (
            cast.tenant_b.schema_name,
            0,
            0,
        )
        assert _reload(cast.tenant_a, message.pk).status == Status.SENDING
        outcome = _run(dispatch_due, queue, tenant=cast.tenant_a).get(timeout=TASK_TIMEOUT)
        # and a late redelivery of the dead worker's task claims nothing
        from notifications.tasks import send

        late = _run(send, queue, message.pk, tenant=cast.tenant_a).get(timeout=TASK_TIMEOUT)
        assert late == "not claimed"
    return outcome


@pytest.mark.parametrize("stall", ["before", "after"])
def test_a_worker_killed_between_claim_and_send_is_resent_with_its_key_and_arrives_once(
    cast, gateway, django_db_blocker, tmp_path, stall
):
    with django_db_blocker.unblock(), committed_rows(cast.tenant_a) as pks:
        message = _message(cast.tenant_a, f"worker:killed:{stall}")
        pks.append(message.pk)
        # given: the worker claimed the row and died at its send
        _kill_between_claim_and_send(
            cast.tenant_a, gateway, message, tmp_path, honour_keys=True, stall=stall
        )
        dead = _reload(cast.tenant_a, message.pk)
        assert (dead.status, dead.attempts) == (Status.SENDING, 1)
        assert len(gateway.seen) == (1 if stall == "after" else 0)
        # when: a fresh worker's per-minute job finds the stale claim
        outcome = _recover_on_a_fresh_worker(cast, gateway, message, honour_keys=True)
        # then: sent again with the same key; the client has it once
        sent = _reload(cast.tenant_a, message.pk)
        assert (outcome["resent"], outcome["held"]) == (1, 0)
        assert (sent.status, sent.attempts, sent.provider_id) == (Status.SENT, 2, "gw-1")
        keys = [idempotency_key(seen) for seen in gateway.seen]
        assert keys == [sent.idempotency_key] * (2 if stall == "after" else 1)
        assert gateway.behaviour.delivered == [(sent.recipient, sent.body)]
        assert _events(cast.tenant_a, message.pk) == ["queued", "sending", "sending", "sent"]


@pytest.mark.parametrize("stall", ["before", "after"])
def test_a_worker_killed_between_claim_and_send_without_keys_is_held_and_not_sent_again(
    cast, gateway, django_db_blocker, tmp_path, stall
):
    with django_db_blocker.unblock(), committed_rows(cast.tenant_a) as pks:
        message = _message(cast.tenant_a, f"worker:held:{stall}")
        pks.append(message.pk)
        _kill_between_claim_and_send(
            cast.tenant_a, gateway, message, tmp_path, honour_keys=False, stall=stall
        )
        reached = len(gateway.seen)
        assert reached == (1 if stall == "after" else 0)
        outcome = _recover_on_a_fresh_worker(cast, gateway, message, honour_keys=False)
        held = _reload(cast.tenant_a, message.pk)
        assert (outcome["resent"], outcome["held"]) == (0, 1)
        assert (held.status, held.claim_token, held.attempts) == (Status.HELD, "", 1)
        assert len(gateway.seen) == reached
        assert [idempotency_key(seen) for seen in gateway.seen] == [""] * reached
        assert len(gateway.behaviour.delivered) == reached
        assert _events(cast.tenant_a, message.pk) == ["queued", "sending", "held"]
