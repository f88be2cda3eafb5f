"""The business's own rules and words for its messages: ``NotificationSettings`` (which
kinds go out, reminder hours, quiet hours, the morning hour, the follow-up delay, the
SMS signature, the reply-to address) and ``MessageTemplate`` (its wording of one kind on
one channel in one language). Changed only here, by whoever holds ``settings.manage``,
and audited like the other settings pages.

A change applies to messages written from now on: a message keeps the text it was
rendered with when it was queued."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from notifications.models import Channel, Kind, MessageTemplate, NotificationSettings
from notifications.outbox import in_quiet_hours

FIELDS = (
    "enabled_kinds",
    "reminder_hours",
    "quiet_start",
    "quiet_end",
    "morning_at",
    "follow_up_after_hours",
    "sms_signature",
    "reply_email",
)
# Longest a reminder may be sent ahead of its appointment (30 days).
MAX_REMINDER_HOURS = 720
MAX_REMINDERS = 4


def _require(actor) -> None:
    if actor is None or not actor.can(Capability.MANAGE_SETTINGS):
        raise ValidationError(_("You may not change how messages are sent."), code="forbidden")


def _audit(actor, action: str, object_type: str, pk, before: dict, after: dict) -> None:
    audit.record_change(
        action=action,
        actor=actor,
        object_type=object_type,
        object_id=pk,
        client_id=None,
        before=before,
        after=after,
    )


def _settings_snapshot(row: NotificationSettings) -> dict:
    values = {name: getattr(row, name) for name in FIELDS}
    values["enabled_kinds"] = list(values["enabled_kinds"] or [])
    values["reminder_hours"] = list(values["reminder_hours"] or [])
    for name in ("quiet_start", "quiet_end", "morning_at"):
        values[name] = values[name].strftime("%H:%M")
    return values


def settings_errors(values: dict) -> dict[str, str]:
    """The rules across fields, on whichever of them ``values`` holds (the form checks
    what it could read; the service checks the row it is about to save)."""
    errors: dict[str, str] = {}
    hours = values.get("reminder_hours")
    if hours is not None and len(hours) > MAX_REMINDERS:
        errors["reminder_hours"] = _("At most %(n)d reminders per appointment.") % {
            "n": MAX_REMINDERS
        }
    elif hours is not None and any(h < 1 or h > MAX_REMINDER_HOURS for h in hours):
        errors["reminder_hours"] = _("Each reminder is between 1 and %(max)d hours before.") % {
            "max": MAX_REMINDER_HOURS
        }
    times = [values.get(name) for name in ("morning_at", "quiet_start", "quiet_end")]
    if None not in times and in_quiet_hours(*times):
        errors["morning_at"] = _(
            "This time falls in the quiet hours; greetings and recalls would wait until "
            "they end. Choose a time outside them."
        )
    follow_up = values.get("follow_up_after_hours")
    if follow_up is not None and follow_up > MAX_REMINDER_HOURS:
        errors["follow_up_after_hours"] = _("At most %(max)d hours after the visit.") % {
            "max": MAX_REMINDER_HOURS
        }
    return errors


@transaction.atomic
def notification_settings_update(*, actor, values: dict) -> NotificationSettings:
    """Change the message settings from ``values`` (any of ``FIELDS``). Reminder hours
    are kept once each, longest first; the signature loses the 【】 it is printed in."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"Not message settings: {sorted(unknown)}")
    _require(actor)
    pk = NotificationSettings.load().pk
    row = NotificationSettings.objects.select_for_update().get(pk=pk)
    before = _settings_snapshot(row)
    for name, value in values.items():
        if name == "enabled_kinds":
            value = [k for k in Kind.values if k in set(value or [])]
        elif name == "reminder_hours":
            value = sorted(set(value or []), reverse=True)
        elif name == "sms_signature":
            value = (value or "").strip().strip("【】[]").strip()
        elif name == "reply_email":
            value = (value or "").strip()
        setattr(row, name, value)
    if errors := settings_errors({name: getattr(row, name) for name in FIELDS}):
        raise ValidationError(errors)
    row.full_clean()
    row.save(update_fields=list(values))
    _audit(actor, Action.UPDATE, "notification_settings", row.pk, before, _settings_snapshot(row))
    return row


# ---------- templates ----------


def _locked_template(kind: str, channel: str, language: str) -> MessageTemplate | None:
    return (
        MessageTemplate.objects.select_for_update()
        .filter(kind=kind, channel=channel, language=language)
        .first()
    )


def _template_snapshot(row: MessageTemplate | None) -> dict:
    if row is None:
        return {}
    return {
        "kind": row.kind,
        "channel": row.channel,
        "language": row.language,
        "subject": row.subject,
        "body": row.body,
    }


_BRACED = re.compile(r"\{([^{}]*)\}")


def unknown_variables_error(text: str, kind: str) -> str:
    """The translated refusal of what ``text`` writes in braces that ``kind`` does not
    offer (a name it lacks, or ``{client.mobile}``, ``{time:%H}``...), or "" when all is
    known. The renderer would leave such text as written; the business is told instead."""
    from notifications import templates

    offered = set(templates.VARIABLES.get(kind, ()))
    unknown = list(templates.unknown_variables(text, kind))
    for name in _BRACED.findall(text or ""):
        if name not in offered and name not in unknown:
            unknown.append(name)
    if not unknown:
        return ""
    names = ", ".join("{" + name + "}" for name in unknown)
    return _("This message has no %(names)s. Use only the variables listed on this page.") % {
        "names": names
    }


@transaction.atomic
def template_save(
    *, actor, kind: str, channel: str, language: str, subject: str, body: str
) -> MessageTemplate:
    """The business's wording of ``kind`` on ``channel`` in ``language`` (made, or the
    one it had changed). An SMS has no subject; a ``{name}`` the kind does not offer is
    refused beside its field."""
    _require(actor)
    subject = (subject or "").strip() if channel == Channel.EMAIL else ""
    body = (body or "").strip()
    errors: dict[str, str] = {}
    if not body:
        errors["body"] = _("Write the text of the message.")
    for name, text in (("subject", subject), ("body", body)):
        if text and (problem := unknown_variables_error(text, kind)):
            errors[name] = problem
    if channel == Channel.EMAIL and not subject and "subject" not in errors:
        errors["subject"] = _("An email needs a subject.")
    if errors:
        raise ValidationError(errors)
    row = _locked_template(kind, channel, language)
    before = _template_snapshot(row)
    if row is None:
        row = MessageTemplate(kind=kind, channel=channel, language=language)
    row.subject, row.body, row.updated_by = subject, body, actor
    row.full_clean()
    row.save()
    _audit(
        actor,
        Action.UPDATE if before else Action.CREATE,
        "message_template",
        row.pk,
        before,
        _template_snapshot(row),
    )
    return row


@transaction.atomic
def template_reset(*, actor, kind: str, channel: str, language: str) -> bool:
    """Back to the built-in wording: the business's row goes. False when there was none."""
    _require(actor)
    row = _locked_template(kind, channel, language)
    if row is None:
        return False
    before, pk = _template_snapshot(row), row.pk
    row.delete()
    _audit(actor, Action.DELETE, "message_template", pk, before, {})
    return True
