from django import template

from clients.validators import format_phone

register = template.Library()


@register.filter
def phone(value: str, region: str = "CN") -> str:
    """An E.164 number as people write it: national form at home, international abroad."""
    return format_phone(value, region=region or "CN")
