from django import template

from clients.validators import format_phone

register = template.Library()


@register.filter
def phone(value: str, region: str = "CN") -> str:
    """An E.164 number as people write it: national form at home, international abroad."""
    return format_phone(value, region=region or "CN")


@register.simple_tag
def category_badge(category: str):
    """The lifecycle category as a coloured badge."""
    from django.utils.html import format_html

    from clients.lifecycle import CATEGORY_STYLES
    from clients.models import Category

    if not category:
        return ""
    value = Category(category)
    return format_html('<span class="badge {}">{}</span>', CATEGORY_STYLES[value], value.label)
