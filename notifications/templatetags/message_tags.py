from django import template

from notifications.log import STATUS_BADGE

register = template.Library()


@register.inclusion_tag("notifications/_status.html")
def message_status(message):
    """A message's status as a coloured badge."""
    return {"label": message.get_status_display(), "badge": STATUS_BADGE.get(message.status, "")}


@register.filter
def recipient(message, region: str = "") -> str:
    """Where the message went: a mobile number as people write it (national form in the
    business's own region), an email address as it is."""
    if message.channel == "sms" and message.recipient:
        from clients.validators import format_phone

        return format_phone(message.recipient, region=region or "CN")
    return message.recipient
