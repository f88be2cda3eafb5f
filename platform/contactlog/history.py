"""How contact-log entries appear elsewhere in the client file: on the timeline and in
the client's export and erasure (``clients.related``)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy

from clients.profile import TimelineEntry
from contactlog.models import ContactEntry
from contactlog.selectors import client_contacts

KIND_LABEL = gettext_lazy("Contact")


def timeline_entries(client, user, limit: int) -> list[TimelineEntry]:
    tab = reverse("clients:detail_tab", kwargs={"pk": client.pk, "tab": "contacts"})
    return [
        TimelineEntry(
            when=entry.contacted_at,
            kind="contact",
            kind_label=KIND_LABEL,
            title=f"{entry.get_purpose_display()} · {entry.get_channel_display()}",
            detail=entry.summary,
            url=f"{tab}#contact-{entry.pk}",
            actor=str(entry.staff) if entry.staff else "",
        )
        for entry in client_contacts(client=client)[:limit]
    ]


def export(client, *, user) -> list[dict]:
    return [
        {
            "contacted_at": entry.contacted_at.isoformat(),
            "staff": str(entry.staff) if entry.staff else None,
            "purpose": entry.purpose,
            "channel": entry.channel,
            "summary": entry.summary,
            "outcome": entry.outcome,
            "next_follow_up": entry.next_follow_up.isoformat() if entry.next_follow_up else None,
            "follow_up_done_at": (
                entry.follow_up_done_at.isoformat() if entry.follow_up_done_at else None
            ),
        }
        for entry in client_contacts(client=client).order_by("contacted_at", "id")
    ]


def erase(client) -> None:
    """Blank what was said; when, who, why and how stay, so the business's contact
    figures still add up."""
    ContactEntry.objects.filter(client=client).update(summary="", outcome="")
