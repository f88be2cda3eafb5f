"""The development SMS backend: each text is printed as a block to standard output (the
worker's log under ``make run``) and nothing leaves the machine."""

from __future__ import annotations

import hashlib
import sys
import threading

from django.db import connection

from notifications.channels import Backend, SendResult

_lock = threading.Lock()


class ConsoleSmsBackend(Backend):
    name = "console"
    # The id is derived from the idempotency key, so a repeat is recognisably the same text.
    supports_idempotency = True

    def send(self, message, *, idempotency_key: str) -> SendResult:
        provider_id = "console-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
        rule = "=" * 60
        block = "\n".join(
            [
                rule,
                f"SMS to {message.recipient}  [{getattr(connection, 'schema_name', '')}]",
                f"id {provider_id}  message {message.pk}  kind {message.kind}",
                "-" * 60,
                message.body,
                rule,
                "",
            ]
        )
        with _lock:
            sys.stdout.write(block)
            sys.stdout.flush()
        return SendResult(provider=self.name, provider_id=provider_id, status="delivered")
