"""Forms of the staff calendar: booking by phone or at the desk, moving an appointment,
cancelling one."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.models import Client
from clients.validators import normalise_phone
from scheduling import selectors
from scheduling.availability import local_instant, tenant_zone
from scheduling.models import CancelledBy, Channel

# Services booked one after the other in one go.
MAX_SERVICES = 3
STAFF_CHANNELS = [
    (Channel.PHONE.value, Channel.PHONE.label),
    (Channel.WALK_IN.value, Channel.WALK_IN.label),
    (Channel.IN_PERSON.value, Channel.IN_PERSON.label),
]


class _StartMixin:
    """A date and a time on the tenant's wall clock, read as one aware instant."""

    def starts_at(self) -> dt.datetime:
        return local_instant(self.cleaned_data["day"], self.cleaned_data["time"], tenant_zone())


class BookingForm(_StartMixin, forms.Form):
    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=Client.objects.filter(erased_at__isnull=True),
        required=False,
        widget=forms.HiddenInput,
    )
    q = forms.CharField(
        label=_("Find a client"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Name, phone or file number"),
            }
        ),
    )
    new_name = forms.CharField(label=_("New client: name"), required=False, max_length=100)
    new_mobile = forms.CharField(
        label=_("Mobile phone"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    staff = forms.ChoiceField(label=_("Staff member"), required=False)
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    time = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
    )
    outside_hours = forms.BooleanField(
        label=_("Book outside working hours"),
        required=False,
        help_text=_("Overlaps with other appointments are refused all the same."),
    )
    channel = forms.ChoiceField(
        label=_("How it was booked"), choices=STAFF_CHANNELS, initial=Channel.PHONE
    )
    note = forms.CharField(
        label=_("Booking note"),
        required=False,
        max_length=300,
        help_text=_("Seen by everyone who books; not for medical details."),
    )

    def __init__(self, *args, region: str = "CN", **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region
        services = list(selectors.services_for_booking(online=False))
        self.service_objects = {str(s.pk): s for s in services}
        choices = [("", "—")] + [(str(s.pk), _service_label(s)) for s in services]
        for n in range(1, MAX_SERVICES + 1):
            self.fields[f"service_{n}"] = forms.ChoiceField(
                label=_("Service") if n == 1 else _("then"), choices=choices, required=n == 1
            )
        self.order_fields(
            ["client", "q", "new_name", "new_mobile"]
            + [f"service_{n}" for n in range(1, MAX_SERVICES + 1)]
            + ["staff", "day", "time", "outside_hours", "channel", "note"]
        )
        self.staff_objects = {str(u.pk): u for u in selectors.bookable_staff()}
        self.fields["staff"].choices = [("", _("Anyone free"))] + [
            (pk, str(u)) for pk, u in self.staff_objects.items()
        ]

    def service_fields(self):
        return [self[f"service_{n}"] for n in range(1, MAX_SERVICES + 1)]

    def clean_new_mobile(self) -> str:
        return normalise_phone(self.cleaned_data.get("new_mobile", ""), region=self.region)

    def services(self) -> list:
        picked = [self.cleaned_data.get(f"service_{n}") for n in range(1, MAX_SERVICES + 1)]
        return [self.service_objects[pk] for pk in picked if pk]

    def staff_member(self):
        pk = self.cleaned_data.get("staff")
        return self.staff_objects.get(pk) if pk else None

    def clean(self):
        data = super().clean()
        if not data.get("client") and not (data.get("new_name") or "").strip():
            self.add_error("q", _("Choose a client, or give a new client's name."))
        return data


def _service_label(service) -> str:
    minutes = service.duration_minutes
    duration = ngettext("%(minutes)s min", "%(minutes)s min", minutes) % {"minutes": minutes}
    return f"{service.name} · {duration}"


class MoveForm(_StartMixin, forms.Form):
    day = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    time = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")
    )
    staff = forms.ChoiceField(label=_("Staff member"))
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=200,
        help_text=_("For example “client asked to come later”."),
    )
    outside_hours = forms.BooleanField(label=_("Book outside working hours"), required=False)
    # Shown only when other services were booked in the same sequence.
    whole_visit = forms.BooleanField(
        label=_("Move the other services of this visit by as much"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff_objects = {str(u.pk): u for u in selectors.bookable_staff()}
        self.fields["staff"].choices = [(pk, str(u)) for pk, u in self.staff_objects.items()]

    def staff_member(self):
        return self.staff_objects[self.cleaned_data["staff"]]


class CancelForm(forms.Form):
    by = forms.ChoiceField(
        label=_("Cancelled by"),
        choices=CancelledBy.choices,
        initial=CancelledBy.CLIENT,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
