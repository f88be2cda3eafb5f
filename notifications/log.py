"""What the message pages read: the log's rows for a user and a filter, one message with
its life, and the client file's Messages tab and timeline entries. Each function runs a
fixed number of queries, whatever the number of rows.

Who sees what: the log is the business's own record of what it told its clients, so it
opens with ``schedule.view`` (front desk, practitioners, managers, owners); messages to
staff (invitations, password resets) are listed only for those who manage staff. The
text of a message that carries a one-time code or a sign-in link is never shown: whoever
read it could sign in as its recipient."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.roles import Capability
from clients.profile import TimelineEntry
from notifications.models import STAFF_KINDS, Message, MessageEvent, Status
from notifications.redaction import SECRET_KINDS
from notifications.selectors import message_log

PAGE_SIZE = 25
TAB_PAGE_SIZE = 20
MESSAGE_KIND_LABEL = pgettext_lazy("timeline", "Message")

STATUS_BADGE = {
    Status.QUEUED: "brand",
    Status.SENDING: "brand",
    Status.SENT: "ok",
    Status.DELIVERED: "ok",
    Status.FAILED: "danger",
    Status.CANCELLED: "slate",
    Status.HELD: "warn",
}


def visible(user, rows: QuerySet | None = None) -> QuerySet:
    """``rows`` (all messages by default) less those the user may not see."""
    rows = Message.objects.all() if rows is None else rows
    if not user.can(Capability.MANAGE_STAFF):
        rows = rows.exclude(kind__in=list(STAFF_KINDS))
    return rows


def log_rows(*, user, data: dict) -> QuerySet:
    """The log for a filter (``LogFilterForm.cleaned_data``), newest first, each row with
    its client in the same query."""
    rows = visible(
        user,
        message_log(
            status=data.get("status") or "",
            kind=data.get("kind") or "",
            channel=data.get("channel") or "",
        ),
    )
    if data.get("date_from"):
        rows = rows.filter(created_at__date__gte=data["date_from"])
    if data.get("date_to"):
        rows = rows.filter(created_at__date__lte=data["date_to"])
    query = (data.get("q") or "").strip()
    if query:
        from clients.selectors import client_list

        matches = Q(recipient__icontains=query) | Q(
            client__in=client_list(user=user, query=query).values("pk")
        )
        digits = "".join(ch for ch in query if ch.isdigit())
        if len(digits) >= 3 and digits != query:
            matches |= Q(recipient__contains=digits)
        rows = rows.filter(matches)
    return rows.select_related("client")


def message_for_page(user, pk: int) -> Message:
    """One message with its client, its events (and who acted) and the rows that repeat
    it, or 404 (none, another business's, or a staff message the user may not see)."""
    events = MessageEvent.objects.select_related("actor").order_by("at", "pk")
    message = (
        visible(user)
        .select_related("client", "resend_of", "created_by")
        .prefetch_related(
            Prefetch("events", queryset=events),
            Prefetch("resends", queryset=Message.objects.order_by("created_at", "pk")),
        )
        .filter(pk=pk)
        .first()
    )
    if message is None:
        raise Http404
    return message


def shows_text(message: Message) -> bool:
    return message.kind not in SECRET_KINDS


def message_url(pk: int) -> str:
    return reverse("notifications:message", args=[pk])


# ---------- the client file ----------


def messages_tab_context(request, client) -> dict:
    rows = visible(request.user).filter(client=client).order_by("-created_at", "-pk")
    page = Paginator(rows, TAB_PAGE_SIZE).get_page(request.GET.get("page"))
    from clients.services import phone_region

    return {"messages_page": page, "phone_region": phone_region()}


def _title(message: Message) -> str:
    return _("%(kind)s by %(channel)s: %(status)s") % {
        "kind": message.get_kind_display(),
        "channel": message.get_channel_display(),
        "status": message.get_status_display(),
    }


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    """One entry per message, at the time it left (or was written, if it has not); one
    query."""
    rows = visible(user).filter(client=client).order_by("-created_at", "-pk")[:limit]
    return [
        TimelineEntry(
            when=message.sent_at or message.created_at,
            kind="message",
            kind_label=MESSAGE_KIND_LABEL,
            title=_title(message),
            detail=message.error if message.status in (Status.FAILED, Status.CANCELLED) else "",
            url=message_url(message.pk),
        )
        for message in rows.only(
            "pk", "kind", "channel", "status", "sent_at", "created_at", "error", "client_id"
        )
    ]
