from django import template

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """``{% if user|can:"clients.edit" %}`` — the template side of CapabilityRequiredMixin."""
    return bool(getattr(user, "is_authenticated", False) and user.can(capability))
