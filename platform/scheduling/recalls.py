"""The recall list (复诊, 复查): who is due back for which service. Completing an
appointment of a service with a recall interval makes the rows (scheduling.services);
booking the service marks them booked, completing it done. Here: reading the list, and
the two things the front desk does with a row — log the call through the contact log,
or dismiss it with a reason (audited)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit import services as audit
from audit.models import Action
from clients.services import refuse_erased
from contactlog.models import ContactEntry, Purpose
from contactlog.services import contact_create
from scheduling.models import Recall, RecallStatus
from visits.models import Visit

# The filters of the list, in the order the page shows them.
FILTERS: dict[str, object] = {
    "month": _("Due this month"),
    "overdue": _("Overdue"),
    "open": _("Not yet booked"),
    "booked": _("Booked"),
    "done": _("Done"),
    "dismissed": _("Dismissed"),
}
DEFAULT_FILTER = "month"
AUDIT_SENSITIVE = ("dismiss_reason",)


def _month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def recall_list(*, which: str, today: dt.date) -> QuerySet[Recall]:
    """The recalls of one filter, each with its client, service, the client's last visit
    (``last_visit``) and last contact (``last_contact_at``, ``last_contact_channel``,
    ``last_contact_outcome``): a fixed number of queries for any number of rows."""
    rows = Recall.objects.filter(client__erased_at__isnull=True)
    if which == "month":
        first, last = _month(today)
        rows = rows.filter(status=RecallStatus.DUE, due_on__gte=first, due_on__lte=last)
    elif which == "overdue":
        rows = rows.filter(status=RecallStatus.DUE, due_on__lt=today)
    elif which == "open":
        rows = rows.filter(status=RecallStatus.DUE)
    elif which in (RecallStatus.BOOKED, RecallStatus.DONE, RecallStatus.DISMISSED):
        rows = rows.filter(status=which)
    else:
        raise ValueError(f"unknown recall filter {which!r}")
    contacts = ContactEntry.objects.filter(client_id=OuterRef("client_id")).order_by(
        "-contacted_at", "-id"
    )
    last_visit = (
        Visit.objects.filter(client_id=OuterRef("client_id"))
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    order = ["due_on", "id"] if which in ("month", "overdue", "open") else ["-due_on", "-id"]
    return (
        rows.select_related("client", "service", "booked")
        .annotate(
            last_visit=Subquery(last_visit),
            last_contact_at=Subquery(contacts.values("contacted_at")[:1]),
            last_contact_channel=Subquery(contacts.values("channel")[:1]),
            last_contact_outcome=Subquery(contacts.values("outcome")[:1]),
        )
        .order_by(*order)
    )


@dataclass(frozen=True)
class Counts:
    month: int
    overdue: int
    open: int


def recall_counts(*, today: dt.date) -> Counts:
    first, last = _month(today)
    due = Q(status=RecallStatus.DUE, client__erased_at__isnull=True)
    figures = Recall.objects.aggregate(
        month=Count("id", filter=due & Q(due_on__gte=first, due_on__lte=last)),
        overdue=Count("id", filter=due & Q(due_on__lt=today)),
        open=Count("id", filter=due),
    )
    return Counts(**figures)


def _snapshot(recall: Recall) -> dict:
    return {
        "status": recall.status,
        "due_on": recall.due_on,
        "service": recall.service_id,
        "dismiss_reason": recall.dismiss_reason,
    }


def _audit(action: str, recall: Recall, before: dict, actor) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type="recall",
        object_id=recall.pk,
        client_id=recall.client_id,
        before=before,
        after=_snapshot(recall),
        sensitive=AUDIT_SENSITIVE,
    )


def _locked(recall: Recall) -> Recall:
    return (
        Recall.objects.select_for_update(of=("self",))
        .select_related("client", "service")
        .get(pk=recall.pk)
    )


@transaction.atomic
def recall_schedule(*, client, service, due_on: dt.date, actor=None) -> Recall:
    """Set when ``client`` is due back for ``service`` by hand (a recall the business
    agreed with the client, demo data): the open recall of that service moves to the new
    date, or a new one is made. An open recall already booked keeps its booking and takes
    the new date (a second open one would break the one-open-recall rule)."""
    refuse_erased(client)
    recall = (
        Recall.objects.select_for_update(of=("self",))
        .filter(client=client, service=service, status__in=[RecallStatus.DUE, RecallStatus.BOOKED])
        .first()
    )
    before = _snapshot(recall) if recall else {}
    if recall is None:
        recall = Recall(client=client, service=service, due_on=due_on)
    recall.due_on = due_on
    recall.full_clean(exclude=["client", "service", "source", "booked", "dismissed_by"])
    recall.save()
    _audit(Action.UPDATE if before else Action.CREATE, recall, before, actor)
    return recall


@transaction.atomic
def recall_dismiss(*, recall: Recall, reason: str, actor) -> Recall:
    """Take a due recall off the list (the client moved away, had it done elsewhere, does
    not want it) with the reason why; the row stays, marked dismissed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": gettext("Say why the recall is dismissed.")}, code="reason_required"
        )
    recall = _locked(recall)
    if recall.status != RecallStatus.DUE:
        raise ValidationError(
            gettext("Only a recall that is still due can be dismissed."), code="not_due"
        )
    before = _snapshot(recall)
    recall.status = RecallStatus.DISMISSED
    recall.dismiss_reason = reason[:200]
    recall.dismissed_at = timezone.now()
    recall.dismissed_by = actor
    recall.full_clean(exclude=["client", "service", "source", "booked", "dismissed_by"])
    recall.save(update_fields=["status", "dismiss_reason", "dismissed_at", "dismissed_by"])
    _audit(Action.UPDATE, recall, before, actor)
    return recall


def recall_log_contact(
    *, recall: Recall, channel: str, outcome: str, actor, next_follow_up: dt.date | None = None
) -> ContactEntry:
    """Write the call (or message) about ``recall`` into the client's contact log, where
    the rest of the client's contacts are; the entry names the service and due date."""
    refuse_erased(recall.client)
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError(
            {"outcome": gettext("Say how the contact went.")}, code="outcome_required"
        )
    summary = gettext("Recall for %(service)s, due %(date)s") % {
        "service": recall.service.name,
        "date": recall.due_on.isoformat(),
    }
    return contact_create(
        client=recall.client,
        values={
            "contacted_at": timezone.now(),
            "staff": actor,
            "purpose": Purpose.FOLLOW_UP,
            "channel": channel,
            "summary": summary,
            "outcome": outcome,
            "next_follow_up": next_follow_up,
        },
        created_by=actor,
    )
