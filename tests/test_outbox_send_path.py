"""The send path's shortcuts keep the outbox's rules: the claim writes its "Attempt n"
event in the active language with the row it claims; a batch of sends counts the plan's
SMS allowance itself only while far from it, and counts again near it, so the text over
the allowance still fails; without a cap nothing is counted."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import tenant_context

from notifications import outbox
from notifications.models import Status
from tests.test_outbox import row
from tests.test_outbox import sink as sink  # the loopback sink (a fixture)


def test_the_claim_writes_its_attempt_in_the_active_language_and_claims_once(cast, db, sink):
    with tenant_context(cast.tenant_a):
        message = row("path:claim")
        with translation.override("zh-hans"):
            sent = outbox.send_now(message.pk)
        assert outbox.send_now(message.pk) is None
        events = list(message.events.order_by("pk").values_list("status", "note"))
        assert events[:2] == [("queued", ""), ("sending", "第 1 次发送")]
        assert (sent.status, sent.attempts, sent.claim_token != "") == (Status.SENT, 1, True)
        assert sink.calls == [message.idempotency_key]


def test_a_batch_near_the_sms_allowance_counts_again_and_fails_the_text_over_it(
    cast, db, sink, monkeypatch
):
    import billing.limits

    # 150 parts a month: the first text leaves room for fewer than SMS_RECOUNT_MARGIN more
    monkeypatch.setattr(billing.limits, "sms_allowance", lambda tenant: 150)
    with tenant_context(cast.tenant_a):
        rows = [row(f"path:cap:{n}", segments=60) for n in range(3)]
        assert outbox.send_due() == 3
        statuses = []
        for message in rows:
            message.refresh_from_db()
            statuses.append(message.status)
        assert statuses == [Status.SENT, Status.SENT, Status.FAILED]
        assert rows[2].error
        assert sink.calls == [rows[0].idempotency_key, rows[1].idempotency_key]


def test_far_from_the_allowance_a_batch_counts_the_month_once(cast, db, sink, monkeypatch):
    import billing.limits

    monkeypatch.setattr(billing.limits, "sms_allowance", lambda tenant: 10_000)
    with tenant_context(cast.tenant_a):
        for n in range(5):
            row(f"path:far:{n}")
        with CaptureQueriesContext(connection) as queries:
            assert outbox.send_due() == 5
    counts = [q for q in queries.captured_queries if "SUM(" in q["sql"].upper()]
    assert len(counts) == 1


def test_without_a_cap_nothing_is_counted(cast, db, sink):
    with tenant_context(cast.tenant_a):
        message = row("path:nocap")
        with CaptureQueriesContext(connection) as queries:
            sent = outbox.send_now(message.pk)
    assert not [q for q in queries.captured_queries if "SUM(" in q["sql"].upper()]
    assert sent.status == Status.SENT


def test_tenant_bs_batch_counts_and_sends_none_of_tenant_as_rows(cast, db, sink, monkeypatch):
    import billing.limits

    monkeypatch.setattr(billing.limits, "sms_allowance", lambda tenant: 150)
    with tenant_context(cast.tenant_a):
        mine = row("path:a-only", segments=100)
    with tenant_context(cast.tenant_b):
        theirs = row("path:b", segments=100)
        assert outbox.send_due() == 1
        theirs.refresh_from_db()
        assert theirs.status == Status.SENT
    with tenant_context(cast.tenant_a):
        mine.refresh_from_db()
        assert mine.status == Status.QUEUED
    assert sink.calls == [theirs.idempotency_key]
