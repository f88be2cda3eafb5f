from django import template

from notifications.log import STATUS_BADGE

register = template.Library()


@register.inclusion_tag("notifications/_status.html")
def message_status(message):
    """A message's status as a coloured badge."""
    return {"label": message.get_status_display(), "badge": STATUS_BADGE.get(message.status, "")}
