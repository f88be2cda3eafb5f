"""The waitlist page under /appointments/waitlist/: who waits for what, adding a client
(found with the client search), booking or removing an entry. Looking needs
``schedule.view``; adding, booking and removing ``schedule.manage``. An entry of another
business, or none, is 404."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.roles import Capability
from clients.models import Client
from clients.selectors import client_list
from core.forms import add_service_errors
from core.text import search_query
from portal.mixins import CapabilityRequiredMixin, role_forbidden
from scheduling import selectors, waitlist
from scheduling.models import Service, TimeOfDay, WaitlistEntry, WaitlistStatus

SHOWN = 200
CANDIDATES = 8


class WaitlistForm(forms.Form):
    client = forms.ModelChoiceField(
        queryset=Client.objects.filter(erased_at__isnull=True),
        widget=forms.HiddenInput,
        error_messages={"required": gettext_lazy("Choose the client first.")},
    )
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service"), queryset=Service.objects.filter(active=True)
    )
    staff = forms.ModelChoiceField(
        label=gettext_lazy("Staff member"),
        queryset=selectors.bookable_staff(),
        required=False,
        empty_label=gettext_lazy("Anyone"),
    )
    earliest = forms.DateField(
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    latest = forms.DateField(
        label=gettext_lazy("Until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    time_of_day = forms.ChoiceField(
        label=gettext_lazy("Time of day"), choices=TimeOfDay.choices, required=False
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(active=True).order_by("name")
        self.fields["staff"].queryset = selectors.bookable_staff()


class WaitlistView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_SCHEDULE

    def _page(self, request, form, *, client=None, status=200):
        can_act = request.user.can(Capability.MANAGE_SCHEDULE)
        query = search_query(request.GET.get("q"))
        candidates = []
        if can_act and query and client is None:
            candidates = list(client_list(user=request.user, query=query)[:CANDIDATES])
        context = {
            "entries": list(waitlist.waiting_entries()[:SHOWN]),
            "form": form,
            "client": client,
            "query": query,
            "candidates": candidates,
            "can_act": can_act,
            "today": timezone.localdate(),
        }
        return render(request, "scheduling/waitlist/list.html", context, status=status)

    def get(self, request):
        client = None
        if (pk := request.GET.get("client", "")).isdigit():
            client = Client.objects.filter(pk=int(pk), erased_at__isnull=True).first()
        today = timezone.localdate()
        initial = {"earliest": today, "latest": today + dt.timedelta(days=14)}
        if client is not None:
            initial["client"] = client.pk
        return self._page(request, WaitlistForm(initial=initial), client=client)

    def post(self, request):
        if not request.user.can(Capability.MANAGE_SCHEDULE):
            return role_forbidden(request)
        form = WaitlistForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                waitlist.waitlist_add(
                    client=data["client"],
                    service=data["service"],
                    staff=data["staff"],
                    earliest=data["earliest"],
                    latest=data["latest"],
                    time_of_day=data["time_of_day"],
                    note=data["note"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Added to the waitlist."))
                return redirect(reverse("scheduling:waitlist"))
        client = form.cleaned_data.get("client") if hasattr(form, "cleaned_data") else None
        return self._page(request, form, client=client, status=400)


class WaitlistCloseView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SCHEDULE
    ACTIONS = {"booked": WaitlistStatus.BOOKED, "remove": WaitlistStatus.REMOVED}

    def post(self, request, pk: int, action: str):
        if action not in self.ACTIONS:
            raise Http404
        entry = get_object_or_404(WaitlistEntry, pk=pk, status=WaitlistStatus.WAITING)
        try:
            waitlist.waitlist_close(entry=entry, status=self.ACTIONS[action], actor=request.user)
        except ValidationError as refused:
            # closed by someone else a moment ago
            messages.error(request, " ".join(refused.messages))
            return redirect(reverse("scheduling:waitlist"))
        if action == "booked":
            messages.success(request, _("Marked as booked and taken off the waitlist."))
        else:
            messages.success(request, _("Taken off the waitlist."))
        return redirect(reverse("scheduling:waitlist"))
