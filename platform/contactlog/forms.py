from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import staff_choices
from contactlog.errors import ContactErrorCode
from contactlog.models import ContactEntry
from contactlog.services import CONTACT_FIELDS

# A clock a few minutes fast on the device that typed it is not an error.
FUTURE_SLACK = dt.timedelta(minutes=10)


class ContactEntryForm(forms.ModelForm):
    """Dates and times are typed and shown in the active (the tenant's) time zone."""

    class Meta:
        model = ContactEntry
        fields = list(CONTACT_FIELDS)
        labels = {
            "contacted_at": _("Date and time"),
            "staff": _("Contacted by"),
            "summary": _("Summary"),
            "outcome": _("Outcome"),
            "next_follow_up": _("Next follow-up"),
        }
        help_texts = {
            "next_follow_up": _("Optional. Puts a task on the follow-up list of the staff member."),
        }
        widgets = {
            "contacted_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "channel": forms.RadioSelect,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "outcome": forms.Textarea(attrs={"rows": 2}),
            "next_follow_up": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff_choices(keep=self.instance.staff_id)
        self.fields["staff"].required = True
        self.fields["staff"].empty_label = None
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("staff", user.pk)
            self.initial.setdefault("contacted_at", timezone.localtime().replace(second=0))

    def clean_contacted_at(self):
        when = self.cleaned_data["contacted_at"]
        if when > timezone.now() + FUTURE_SLACK:
            raise forms.ValidationError(
                _("A contact cannot be in the future."), code=ContactErrorCode.FUTURE
            )
        return when

    def clean(self):
        cleaned = super().clean()
        when, follow_up = cleaned.get("contacted_at"), cleaned.get("next_follow_up")
        if when and follow_up and follow_up < timezone.localtime(when).date():
            self.add_error(
                "next_follow_up",
                forms.ValidationError(
                    _("The follow-up cannot be before the contact."),
                    code=ContactErrorCode.FOLLOW_UP_BEFORE_CONTACT,
                ),
            )
        return cleaned

    def contact_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in CONTACT_FIELDS}
