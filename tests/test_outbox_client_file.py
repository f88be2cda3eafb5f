"""A client's messages in the client file's privacy operations: a merge moves them, the
export lists them, erasure blanks what was sent but keeps the rows (and cancels any not
yet sent)."""

from __future__ import annotations

import json

from django_tenants.utils import tenant_context

from accounts.models import User
from clients.merge import client_merge
from notifications.models import Message, Status
from privacy.export import client_export_data
from privacy.services import client_erase
from tests.factories import ClientFactory
from tests.test_outbox import row


def test_merge_export_and_erasure_reach_the_clients_messages(cast, db):
    with tenant_context(cast.tenant_a):
        owner = User.objects.get(email=cast.owner_a)
        kept = ClientFactory(name="王芳", mobile="13800000011")
        merged = ClientFactory(name="王芳", mobile="13800000012")
        sent = row("test:merged-sent", client=merged, status=Status.SENT, segments=2)
        waiting = row("test:merged-queued", client=kept)

        client_merge(kept=kept, merged=merged, actor=owner)
        sent.refresh_from_db()
        assert sent.client_id == kept.pk

        exported = client_export_data(client=kept, user=owner)
        text = json.dumps(exported, ensure_ascii=False, default=str)
        assert "See you tomorrow at 09:00" in text
        assert "13800000001" in text

        client_erase(client=kept, actor=owner)
        sent.refresh_from_db()
        waiting.refresh_from_db()
        assert (sent.recipient, sent.body, sent.subject) == ("", "", "")
        assert sent.segments == 2 and sent.status == Status.SENT
        assert waiting.status == Status.CANCELLED and waiting.body == ""
        assert Message.objects.filter(client=kept).count() == 2
