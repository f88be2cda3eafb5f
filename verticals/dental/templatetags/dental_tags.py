"""Template filters of the dental pages."""

from django import template

register = template.Library()


@register.filter
def side_of(tooth: dict, side: str) -> list:
    """The buccal or lingual sites of a perio grid's tooth, in the order the chart shows."""
    return tooth.get(side, []) if side in ("buccal", "lingual") else []
