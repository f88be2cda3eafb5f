"""``{% load scheduling_waitlist %}{% waitlist_matches day %}``: on the calendar, the
waiting clients who fit a free time of ``day`` (a local date), with a prefilled booking
link for those who may book."""

from __future__ import annotations

import datetime as dt

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.roles import Capability
from scheduling.availability import tenant_zone
from scheduling.waitlist import waitlist_matches as find_matches

register = template.Library()


@register.inclusion_tag("scheduling/waitlist/_matches.html", takes_context=True)
def waitlist_matches(context, day: dt.date | None = None):
    user = context.get("user") or getattr(context.get("request"), "user", None)
    if user is None or not user.can(Capability.VIEW_SCHEDULE):
        return {"matches": []}
    book_url = reverse("scheduling:book")
    day = day or timezone.localdate()
    zone = tenant_zone()
    rows = []
    for match in find_matches(day):
        starts = [timezone.localtime(o.starts_at, zone) for o in match.starts]
        rows.append(
            {
                "match": match,
                "times": [date_format(s, "H:i") for s in starts],  # as on the calendar
                "start": starts[0].strftime("%Y-%m-%dT%H:%M"),
                "staff_id": match.first.legs[0].staff_id,
            }
        )
    return {
        "matches": rows,
        "can_book": user.can(Capability.MANAGE_SCHEDULE),
        "book_url": book_url,
    }
