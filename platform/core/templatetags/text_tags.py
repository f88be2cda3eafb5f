from django import template

from core.text import list_join

register = template.Library()


@register.filter
def listjoin(items) -> str:
    """``{{ visit.treatment_items|listjoin }}``: 、 on Chinese pages, ", " on English ones."""
    return list_join(items or [])
