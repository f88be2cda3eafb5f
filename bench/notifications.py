"""The outbox: messages per second that one worker's send loop sends.

- ``messages_per_s``: ``notifications.outbox.send_due`` (claim, send, record — what the
  ``notifications.dispatch_due`` task runs) over MESSAGES queued SMS rows in one tenant,
  through the console SMS backend with standard output sent to /dev/null (a loopback
  sink: nothing leaves the machine). Goal ≥ 300/s.
- ``fanout_1000_s``: NOT MEASURED yet (null): the 1,000-schema fan-out run is still to be
  written (see the CORE helper's report)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import time

from _common import django_stack, emit

MESSAGES = int(os.environ.get("NOTIFICATIONS_BENCH_MESSAGES", 3000))


def main() -> dict:
    from django.conf import settings
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from notifications import outbox
    from notifications.models import Message
    from tenants.services import tenant_signup

    settings.NOTIFICATIONS_SMS_BACKEND = "notifications.channels.console.ConsoleSmsBackend"
    tenant = tenant_signup(
        business_name="Outbox Bench",
        business_type="beauty_salon",
        subdomain="outboxbench",
        owner_name="Bench",
        owner_email="bench@outbox.test",
        owner_password="Bench-Outbox-2026",
        language="en",
        time_zone="Asia/Shanghai",
        currency="CNY",
    ).tenant
    with tenant_context(tenant):
        due = timezone.now() - dt.timedelta(seconds=1)
        Message.objects.bulk_create(
            Message(
                kind="reminder",
                channel="sms",
                idempotency_key=f"bench:{n}:sms",
                recipient=f"1380000{n:04d}",
                language="en",
                body="Reminder: your appointment tomorrow at 09:00.",
                segments=1,
                send_after=due,
            )
            for n in range(MESSAGES)
        )
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            began = time.perf_counter()
            sent = 0
            while True:
                done = outbox.send_due(limit=500)
                if not done:
                    break
                sent += done
            elapsed = time.perf_counter() - began
        print(f"sent {sent} in {elapsed:.2f} s", file=sys.stderr, flush=True)
    return {"messages_per_s": round(sent / elapsed, 1), "messages": sent, "fanout_1000_s": None}


if __name__ == "__main__":
    with django_stack():
        result = main()
    emit(result)
