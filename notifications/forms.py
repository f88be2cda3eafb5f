"""Forms of the message pages: the log's filters, the message settings and a template's
wording. They read what was typed; the rules are the services'
(``notifications.settings_services``), whose refusals the views put back beside the
fields."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import SearchField
from notifications.models import Channel, Kind, NotificationSettings, Status
from notifications.outbox import ALWAYS_SENT
from notifications.settings_services import FIELDS, settings_errors, unknown_variables_error


def _date(label) -> forms.DateField:
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class LogFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Message"), required=False, choices=[("", _("Any message")), *Kind.choices]
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("SMS and email")), *Channel.choices]
    )
    date_from = _date(_("From"))
    date_to = _date(_("To"))
    q = SearchField(
        label=_("Recipient"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Mobile number, email or client name"),
            }
        ),
    )

    FILTERS = ("status", "kind", "channel", "date_from", "date_to")

    @property
    def active_filters(self) -> int:
        data = getattr(self, "cleaned_data", {})
        return sum(1 for name in self.FILTERS if data.get(name))


_SEPARATORS = re.compile(r"[\s,，、;；]+")


class HoursField(forms.CharField):
    """Hours as a list typed with commas ("24, 2"; a Chinese comma works too)."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        hours = []
        for part in _SEPARATORS.split(text.strip()):
            if not part:
                continue
            if not part.isdigit():
                raise forms.ValidationError(
                    _("Write whole hours separated by commas, for example 24, 2."),
                    code="invalid",
                )
            hours.append(int(part))
        return hours


def _time(label) -> forms.TimeField:
    return forms.TimeField(
        label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class NotificationSettingsForm(forms.ModelForm):
    enabled_kinds = forms.MultipleChoiceField(
        label=_("Messages the business sends"),
        choices=[(k, label) for k, label in Kind.choices if k not in ALWAYS_SENT],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Codes, receipts and staff mail always go. Birthday greetings go only to "
            "clients who agreed to marketing messages."
        ),
    )
    reminder_hours = HoursField(
        label=_("Reminders, hours before the appointment"),
        required=False,
        help_text=_("For example 24, 2: a reminder the day before and one two hours before."),
    )
    quiet_start = _time(_("Quiet hours start"))
    quiet_end = _time(_("Quiet hours end"))
    morning_at = _time(_("Greetings and recalls go out at"))

    class Meta:
        model = NotificationSettings
        fields = list(FIELDS)
        labels = {
            "follow_up_after_hours": _("Follow-up survey, hours after the visit"),
            "reply_email": _("Replies to emails go to"),
        }
        help_texts = {
            "reply_email": _("Empty: replies go to the address the emails are sent from."),
        }
        widgets = {"follow_up_after_hours": forms.NumberInput(attrs={"min": "0", "max": "720"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quiet_start"].help_text = _(
            "Between these times only codes, receipts and the answer to a booking just "
            "made, moved or cancelled leave; reminders, recalls, greetings and follow-ups "
            "wait until the quiet hours end."
        )
        if not self.is_bound:
            self.initial["enabled_kinds"] = [
                k for k in self.instance.enabled_kinds if k not in ALWAYS_SENT
            ]

    def clean(self):
        data = super().clean()
        # Every refusal at once, beside its field, even when another field failed.
        for name, message in settings_errors(data).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    body = forms.CharField(
        label=_("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "true"}),
    )

    def __init__(self, *args, kind: str, channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.channel = kind, channel
        if channel == Channel.SMS:
            del self.fields["subject"]
            self.fields["body"].widget.attrs["rows"] = 4
        else:
            self.fields["body"].widget.attrs["rows"] = 14

    def _known(self, name: str) -> str:
        text = self.cleaned_data.get(name, "")
        problem = unknown_variables_error(text, self.kind)
        if problem:
            raise forms.ValidationError(problem, code="unknown_variable")
        return text

    def clean_subject(self):
        return self._known("subject")

    def clean_body(self):
        return self._known("body")
