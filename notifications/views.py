"""The message pages under /messages/: the log (this month's counts on top, filters, one
row per message), one message's life with Resend for a failed or lost one and the
decision on a held one, and the message settings. The template pages are in
``notifications.template_views``.

The log and a message open with ``schedule.view``; Resend and the decision on a held
message need ``schedule.manage`` (checked here before any lookup, and again by
``notifications.outbox``, whose refusals come back as messages on the page); the
settings need ``settings.manage``. A message of another business, or none, is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from clients.services import phone_region
from core.forms import add_service_errors
from notifications import log, outbox, selectors
from notifications.forms import LogFilterForm, NotificationSettingsForm
from notifications.models import NotificationSettings, Status
from notifications.redaction import holds_secret
from notifications.settings_services import FIELDS, notification_settings_update
from portal.mixins import CapabilityRequiredMixin

T = "notifications/"


class MessagesView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_SCHEDULE


def _say_refusal(request, error: Exception) -> None:
    for text in getattr(error, "messages", None) or [str(error)]:
        messages.error(request, text)


def month_usage() -> dict:
    """This month's counts in the business's time zone, with the plan's SMS allowance
    (None: unlimited, or billing off)."""
    from billing.limits import sms_allowance

    counts = selectors.monthly_counts(*selectors.this_month())
    tenant = getattr(connection, "tenant", None)
    allowance = sms_allowance(tenant) if getattr(tenant, "pk", None) else None
    return {**counts, "sms_allowance": allowance}


class MessageLogView(MessagesView):
    def get(self, request):
        form = LogFilterForm(request.GET)
        form.is_valid()
        data = dict(form.cleaned_data)  # a field that failed is left out
        page = Paginator(log.log_rows(user=request.user, data=data), log.PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "phone_region": phone_region(),
            "querystring": params.urlencode(),
            "filtered": bool(form.active_filters or data.get("q")),
        }
        if request.htmx and not request.htmx.boosted:
            return render(request, T + "_log_results.html", context)
        context["usage"] = month_usage()
        return render(request, T + "log.html", context)


class MessageDetailView(MessagesView):
    def get(self, request, pk: int):
        message = log.message_for_page(request.user, pk)
        can_act = request.user.can(Capability.MANAGE_SCHEDULE)
        context = {
            "message": message,
            "phone_region": phone_region(),
            "events": list(message.events.all()),
            "resends": list(message.resends.all()),
            "shows_text": log.shows_text(message),
            "can_resend": can_act
            and message.status in outbox.RESENDABLE
            and not holds_secret(message.kind),
            "can_decide": can_act and message.status == Status.HELD,
        }
        return render(request, T + "message.html", context)


class MessageActionView(MessagesView):
    """POST: Resend (a new row repeating the message) or the decision on a held one."""

    capability = Capability.MANAGE_SCHEDULE

    def post(self, request, pk: int, action: str):
        if action not in ("resend", "send", "cancel"):
            raise Http404
        message = log.message_for_page(request.user, pk)
        try:
            if action == "resend":
                copy = outbox.resend(message=message, actor=request.user)
                messages.success(request, _("The message is queued to go again."))
                return redirect("notifications:message", pk=copy.pk)
            outbox.release_held(message=message, actor=request.user, send=action == "send")
        except (ValidationError, PermissionDenied) as error:
            _say_refusal(request, error)
        else:
            messages.success(
                request,
                _("The message is queued to go again.")
                if action == "send"
                else _("The message will not be sent."),
            )
        return redirect("notifications:message", pk=pk)


class NotificationSettingsView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    template_name = T + "settings.html"

    def get(self, request):
        form = NotificationSettingsForm(instance=NotificationSettings.load())
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = NotificationSettingsForm(request.POST, instance=NotificationSettings.load())
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in FIELDS}
            try:
                notification_settings_update(actor=request.user, values=values)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Message settings saved."))
                return redirect("notifications:settings")
        return render(request, self.template_name, {"form": form}, status=400)
