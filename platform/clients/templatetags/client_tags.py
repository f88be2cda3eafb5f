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


def vertical_allergies(clients) -> dict[int, list[str]]:
    """The allergies the business's trades record beyond the health record (products,
    ingredients), by client id: one call per trade that is on, for any number of
    clients (each trade's ``allergies`` runs one or two queries)."""
    from verticals import registry

    clients = [c for c in clients if c is not None]
    found: dict[int, list[str]] = {}
    if not clients:
        return found
    for vertical in registry.enabled_verticals():
        if vertical.allergies is None:
            continue
        for client_id, texts in (vertical.allergies(clients) or {}).items():
            found.setdefault(client_id, []).extend(str(t) for t in texts if t)
    return found


@register.inclusion_tag("clients/_allergy_alert.html", takes_context=True)
def allergy_alert(context, client, health=None, extra=None):
    """The red allergy warning, for staff allowed to see health data, on every page where
    the client is being served (profile, visit and contact forms, the calendar and the
    treatment records): the health record's allergies and those the business's trades
    record. Pass ``health`` when the page already has it, and ``extra`` (the client's
    list from ``vertical_allergies``) when a list page has read them for all its rows."""
    from accounts.roles import Capability
    from clients.models import ClientHealth

    request = context.get("request")
    user = getattr(request, "user", None)
    if client is None or user is None or not user.can(Capability.VIEW_HEALTH):
        return {"health": None, "extra": []}
    if health is None:
        health = ClientHealth.objects.filter(client_id=client.pk).first()
    if extra is None:
        extra = vertical_allergies([client]).get(client.pk, [])
    return {"health": health if health and health.has_allergy_alert else None, "extra": extra}
