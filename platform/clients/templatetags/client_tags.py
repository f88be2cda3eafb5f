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


@register.inclusion_tag("clients/_allergy_alert.html", takes_context=True)
def allergy_alert(context, client, health=None):
    """The red allergy warning, for staff allowed to see health data, on every page where
    the client is being served (profile, visit and contact forms, later the calendar and
    the treatment records). Pass ``health`` when the page already has it."""
    from accounts.roles import Capability
    from clients.models import ClientHealth

    request = context.get("request")
    user = getattr(request, "user", None)
    if client is None or user is None or not user.can(Capability.VIEW_HEALTH):
        return {"health": None}
    if health is None:
        health = ClientHealth.objects.filter(client_id=client.pk).first()
    return {"health": health if health and health.has_allergy_alert else None}
