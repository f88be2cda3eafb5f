"""The staff calendar under /appointments/: the day, week and agenda views, the booking
form, an appointment's page with its status actions and the move page."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views import View

from accounts.roles import Capability
from portal.mixins import CapabilityRequiredMixin
from scheduling.models import Appointment

T = "scheduling/calendar/"


class CalendarView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_SCHEDULE

    def get(self, request):
        return render(request, T + "calendar.html", {})


class BookView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SCHEDULE

    def get(self, request):
        return render(request, T + "book.html", {})


class AppointmentView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_SCHEDULE

    def get(self, request, pk):
        appointment = get_object_or_404(Appointment, pk=pk)
        return render(request, T + "detail.html", {"appointment": appointment})


class MoveView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SCHEDULE

    def get(self, request, pk):
        appointment = get_object_or_404(Appointment, pk=pk)
        return render(request, T + "move.html", {"appointment": appointment})
