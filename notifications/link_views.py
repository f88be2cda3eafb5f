"""The pages the links in messages open, without a login: confirm or cancel a booking,
answer the follow-up survey, stop messages (notifications.links says what a link is).

A GET shows what the link is about and one button; only the POST changes anything, so a
mail client or chat app that fetches the link to preview it confirms nothing. Every page
is in the client's language (their own switch on the page, then the language on their
file, then the browser's) and never cached."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache

from core.forms import add_service_errors
from notifications import links
from scheduling.models import CancelledBy, Status

T = "notifications/link/"
ACTOR_LABEL = "message link"
# States from which the client's link may confirm or cancel.
OPEN = (Status.REQUESTED, Status.BOOKED, Status.CONFIRMED)


def _language(request, client) -> None:
    """The page's switch (cookie) wins; else the file's language; else the browser's."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
        return
    language = getattr(client, "language", "") or ""
    codes = [code for code, _name in settings.LANGUAGES]
    if language in codes:
        translation.activate(language)
        request.LANGUAGE_CODE = language


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (optional)"), required=False, max_length=200
    )


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with your visit?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose from 1 (poor) to 5 (excellent).")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class OptOutForm(forms.Form):
    everything = forms.BooleanField(
        label=gettext_lazy("Also stop appointment confirmations and reminders"),
        required=False,
    )


@method_decorator(never_cache, name="dispatch")
class LinkView(View):
    purpose = ""

    def find(self, token: str, **kwargs):
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        self.tenant = connection.tenant
        try:
            self.object = self.find(**kwargs)
        except links.LinkError as error:
            status = 404 if error.reason == "invalid" else 400
            return self.page(request, "refused.html", {"reason": error.reason}, status=status)
        _language(request, getattr(self.object, "client", self.object))
        return super().dispatch(request, *args, **kwargs)

    def page(self, request, template: str, context: dict, status: int = 200):
        context = {
            "business": self.tenant,
            "currency": getattr(self.tenant, "currency", ""),
            **context,
        }
        return render(request, T + template, context, status=status)


class AppointmentLinkView(LinkView):
    template = ""

    def find(self, token: str, **kwargs):
        return links.find_appointment(token, self.purpose)

    def context(self, **extra) -> dict:
        appointment = self.object
        return {
            "appointment": appointment,
            "service": appointment.service,
            "staff": appointment.staff,
            "at": appointment.starts_at,
            "open": appointment.status in OPEN,
            **extra,
        }

    def get(self, request, token: str):
        return self.page(request, self.template, self.context())


class ConfirmView(AppointmentLinkView):
    purpose = links.CONFIRM
    template = "confirm.html"

    def post(self, request, token: str):
        from scheduling.services import appointment_transition

        appointment = self.object
        if appointment.status == Status.BOOKED:
            try:
                appointment_transition(
                    appointment=appointment, to=Status.CONFIRMED, actor_label=ACTOR_LABEL
                )
            except ValidationError:
                messages.error(request, _("This booking can no longer be confirmed online."))
            else:
                messages.success(request, _("Thank you: your booking is confirmed."))
        return redirect(request.path)


class CancelView(AppointmentLinkView):
    purpose = links.CANCEL
    template = "cancel.html"

    def context(self, **extra) -> dict:
        from scheduling.services import is_late

        extra.setdefault("form", CancelForm())
        return super().context(late=is_late(self.object), **extra)

    def post(self, request, token: str):
        from scheduling.services import appointment_cancel

        form = CancelForm(request.POST)
        if self.object.status not in OPEN:
            return redirect(request.path)
        if form.is_valid():
            reason = form.cleaned_data["reason"].strip()
            try:
                appointment_cancel(
                    appointment=self.object,
                    by=CancelledBy.CLIENT,
                    reason=reason or _("Cancelled by the client through the link in a message"),
                    actor_label=ACTOR_LABEL,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Your booking is cancelled."))
                return redirect(request.path)
        return self.page(request, self.template, self.context(form=form), status=400)


class SurveyView(LinkView):
    purpose = links.SURVEY

    def find(self, token: str, **kwargs):
        return links.find_visit(token)

    def dispatch(self, request, *args, **kwargs):
        if request.method == "GET" and request.GET.get("done") == "1":
            # The thank-you page after an answer (the link itself is used up by then).
            self.tenant = connection.tenant
            return self.page(request, "survey_done.html", {})
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, token: str):
        return self.page(request, "survey.html", {"visit": self.object, "form": SurveyForm()})

    def post(self, request, token: str):
        from visits.services import visit_update

        form = SurveyForm(request.POST)
        if form.is_valid():
            values = {"satisfaction": form.cleaned_data["score"]}
            comment = form.cleaned_data["comment"].strip()
            if comment:
                earlier = (self.object.suggestions or "").strip()
                values["suggestions"] = f"{earlier}\n{comment}".strip()
            try:
                visit_update(visit=self.object, values=values)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect(f"{request.path}?done=1")
        context = {"visit": self.object, "form": form}
        return self.page(request, "survey.html", context, status=400)


class OptOutView(LinkView):
    purpose = links.OPT_OUT

    def find(self, token: str, channel: str, **kwargs):
        return links.find_client(token, channel)

    def get(self, request, token: str, channel: str):
        return self.page(request, "opt_out.html", {"form": OptOutForm(), "channel": channel})

    def post(self, request, token: str, channel: str):
        from notifications.optout import withdraw

        form = OptOutForm(request.POST)
        form.is_valid()
        withdraw(
            self.object,
            channel=channel,
            how="link",
            everything=form.cleaned_data.get("everything", False),
        )
        context = {"done": True, "channel": channel, "form": form}
        return self.page(request, "opt_out.html", context)
