from django import template

from accounts.roles import Capability, capability_from_code

register = template.Library()


@register.filter
def can(user, capability: Capability) -> bool:
    """``{% if user|can:Capability.EDIT_CLIENTS %}`` — the template side of
    CapabilityRequiredMixin; ``Capability`` is in every portal page's context. A name that
    is no capability (a typo, or a page rendered without the context) fails loudly rather
    than hiding or showing a control by accident."""
    return bool(
        getattr(user, "is_authenticated", False) and user.can(capability_from_code(capability))
    )
