from django import template

from core.text import list_join

register = template.Library()


@register.filter
def listjoin(items) -> str:
    """``{{ visit.treatment_items|listjoin }}``: 、 on Chinese pages, ", " on English ones."""
    return list_join(items or [])


@register.filter
def time_zone_name(zone: str) -> str:
    """``{{ tenant.time_zone|time_zone_name }}``: "China — Shanghai (UTC+8)", not a code."""
    from core.places import time_zone_label

    return time_zone_label(zone)
