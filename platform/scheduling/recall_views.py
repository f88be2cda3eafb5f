"""The recall list under /appointments/recalls/. Everyone who sees the calendar may look
at it; booking, logging a contact and dismissing need ``schedule.manage`` (logging a
contact also the contact log's own rule). A recall of another business, or none, is 404."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.roles import Capability
from clients.services import phone_region
from contactlog.models import Channel
from contactlog.services import contact_may_log
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin
from scheduling import recalls
from scheduling.models import Recall, RecallStatus

PAGE_SIZE = 50
T = "scheduling/recalls/"


class RecallContactForm(forms.Form):
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"), choices=Channel.choices, initial=Channel.PHONE
    )
    outcome = forms.CharField(
        label=gettext_lazy("Outcome"),
        max_length=500,
        widget=forms.TextInput(
            attrs={"placeholder": gettext_lazy("e.g. No answer, will call back")}
        ),
    )
    next_follow_up = forms.DateField(
        label=gettext_lazy("Next follow-up"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class RecallDismissForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


def _list_url(which: str) -> str:
    return f"{reverse('scheduling:recalls')}?{urlencode({'show': which})}"


def _which(request) -> str:
    which = request.GET.get("show") or request.POST.get("show") or recalls.DEFAULT_FILTER
    return which if which in recalls.FILTERS else recalls.DEFAULT_FILTER


class RecallListView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_SCHEDULE

    def get(self, request):
        today = timezone.localdate()
        which = _which(request)
        page = Paginator(recalls.recall_list(which=which, today=today), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        can_act = request.user.can(Capability.MANAGE_SCHEDULE)
        context = {
            "page": page,
            "which": which,
            "filters": list(recalls.FILTERS.items()),
            "counts": recalls.recall_counts(today=today),
            "today": today,
            "can_act": can_act,
            "can_log": can_act and contact_may_log(request.user),
            "contact_form": RecallContactForm(),
            "dismiss_form": RecallDismissForm(),
            "region": phone_region() if page.object_list else "",
        }
        return render(request, T + "list.html", context)


class _RecallAction(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SCHEDULE
    form_class: type[forms.Form]
    template = ""

    def _recall(self, pk: int) -> Recall:
        return get_object_or_404(
            Recall.objects.select_related("client", "service").filter(
                client__erased_at__isnull=True
            ),
            pk=pk,
        )

    def get(self, request, pk: int):
        recall = self._recall(pk)
        return self._page(request, recall, self.form_class())

    def _page(self, request, recall, form, status=200):
        context = {"recall": recall, "form": form, "which": _which(request)}
        return render(request, T + self.template, context, status=status)

    def post(self, request, pk: int):
        recall = self._recall(pk)
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                message = self.act(request, recall, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, message)
                return redirect(_list_url(_which(request)))
        return self._page(request, recall, form, status=400)


class RecallContactView(_RecallAction):
    form_class = RecallContactForm
    template = "contact.html"

    def role_allows(self, user) -> bool:
        return super().role_allows(user) and contact_may_log(user)

    def act(self, request, recall, data) -> str:
        recalls.recall_log_contact(
            recall=recall,
            channel=data["channel"],
            outcome=data["outcome"],
            next_follow_up=data["next_follow_up"],
            actor=request.user,
        )
        return _("Contact logged.")


class RecallDismissView(_RecallAction):
    form_class = RecallDismissForm
    template = "dismiss.html"

    def _recall(self, pk: int) -> Recall:
        recall = super()._recall(pk)
        if recall.status != RecallStatus.DUE:
            raise Http404
        return recall

    def act(self, request, recall, data) -> str:
        recalls.recall_dismiss(recall=recall, reason=data["reason"], actor=request.user)
        return _("Recall dismissed.")
