"""What a message says about its cause: the variables of each kind, as text in the
message's language and the business's time zone (the caller renders inside
``translation.override(language)``; dates are spelled out here, not left to a locale's
format, so an SMS reads the same on any machine).

Every builder returns plain strings; links are absolute, signed and on the business's own
address (notifications.links)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import translation

_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_ZH_WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _zh() -> bool:
    return (translation.get_language() or "").lower().startswith("zh")


def _zone():
    from scheduling.availability import tenant_zone

    return tenant_zone()


def format_date(day: dt.date, *, weekday: bool = True, year: bool = False) -> str:
    """ "Fri 11 Dec" / "12月11日（周五）"; with the year: "11 Dec 2026" / "2026年12月11日"."""
    if _zh():
        text = f"{day.month}月{day.day}日"
        if year:
            text = f"{day.year}年{text}"
        if weekday:
            text += f"（周{_ZH_WEEKDAYS[day.weekday()]}）"
        return text
    text = f"{day.day} {_EN_MONTHS[day.month - 1]}"
    if year:
        text += f" {day.year}"
    return f"{_EN_WEEKDAYS[day.weekday()]} {text}" if weekday else text


def local(at: dt.datetime) -> dt.datetime:
    return at.astimezone(_zone())


def format_time(at: dt.datetime) -> str:
    return f"{local(at):%H:%M}"


def format_moment(at: dt.datetime) -> str:
    return f"{format_date(local(at).date())} {format_time(at)}"


def business_context() -> dict:
    tenant = getattr(connection, "tenant", None)
    return {
        "business": getattr(tenant, "name", "") or "",
        "phone": getattr(tenant, "phone", "") or "",
        "address": getattr(tenant, "address", "") or "",
    }


def client_context(client) -> dict:
    return {**business_context(), "client_name": client.name if client else ""}


def _staff_name(user) -> str:
    return (user.full_name or "") if user is not None else ""


def appointment_context(appointment, *, previous=None) -> dict:
    """A booking's variables; ``previous`` is the appointment it was moved from."""
    from notifications import links

    values = {
        **client_context(appointment.client),
        "date": format_date(local(appointment.starts_at).date()),
        "time": format_time(appointment.starts_at),
        "service": appointment.service.name if appointment.service_id else "",
        "staff": _staff_name(appointment.staff),
        "confirm_link": links.confirm_url(appointment),
        "cancel_link": links.cancel_url(appointment),
    }
    if previous is not None:
        values["previous_time"] = format_moment(previous.starts_at)
    return values


def visit_context(visit) -> dict:
    from notifications import links

    items = [item for item in (visit.treatment_items or []) if item]
    return {
        **client_context(visit.client),
        "date": format_date(visit.visited_on),
        "service": "、".join(items) if _zh() else ", ".join(items),
        "staff": _staff_name(visit.practitioner),
        "survey_link": links.survey_url(visit),
    }


def recall_context(recall) -> dict:
    return {
        **client_context(recall.client),
        "service": recall.service.name if recall.service_id else "",
        "due_date": format_date(recall.due_on, weekday=False, year=True),
    }


def dispensing_context(dispensing) -> dict:
    from django.utils.translation import gettext as _

    contact_lens = dispensing.lens_type == "contact_lens"
    order = _("contact lenses") if contact_lens else _("glasses")
    return {**client_context(dispensing.client), "order": order}


def waitlist_context(entry, starts_at: dt.datetime) -> dict:
    return {
        **client_context(entry.client),
        "date": format_date(local(starts_at).date()),
        "time": format_time(starts_at),
        "service": entry.service.name if getattr(entry, "service_id", None) else "",
    }
