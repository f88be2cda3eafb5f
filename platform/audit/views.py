"""Owners browse the audit trail: everything, or one client's or one staff member's."""

from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.models import User
from accounts.roles import Capability
from audit import display
from audit.models import Action, AuditEntry
from audit.services import changes_for
from portal.mixins import CapabilityRequiredMixin

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    actor = forms.ModelChoiceField(
        queryset=User.objects.all(),
        required=False,
        label=_("Staff member"),
        empty_label=_("Anyone"),
    )
    action = forms.ChoiceField(
        choices=[("", _("Any action")), *Action.choices], required=False, label=_("Action")
    )
    file_number = forms.CharField(
        required=False, max_length=40, label=_("Client file number"), strip=True
    )
    object_type = forms.ChoiceField(choices=(), required=False, label=_("Record type"))
    start = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", _("Any type")), *display.type_choices()]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
            data.pop("start", None)
        return data


def entries_for(data: dict):
    entries = AuditEntry.objects.all()
    if data.get("client"):
        entries = entries.filter(client_id=data["client"])
    if data.get("file_number"):
        from clients.models import Client

        entries = entries.filter(
            client_id__in=Client.objects.filter(file_number__iexact=data["file_number"]).values(
                "pk"
            )
        )
    if data.get("object_type"):
        entries = entries.filter(object_type=data["object_type"])
    if data.get("actor"):
        entries = entries.filter(actor_id=data["actor"].pk)
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    if data.get("start"):
        entries = entries.filter(at__date__gte=data["start"])
    if data.get("end"):
        entries = entries.filter(at__date__lte=data["end"])
    return entries.order_by("-id")


def rows(page) -> list[display.Row]:
    entries = list(page.object_list)
    return display.rows(entries, changes_for(entries))


class AuditListView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_AUDIT

    def get(self, request):
        form = AuditFilterForm(request.GET)
        form.is_valid()
        data = dict(form.cleaned_data)  # fields that failed are not in it
        page = Paginator(entries_for(data), PAGE_SIZE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "rows": rows(page),
            "querystring": params.urlencode(),
        }
        return render(request, "audit/list.html", context)


def audit_tab_context(request, client) -> dict:
    page = Paginator(entries_for({"client": client.pk}), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {"page": page, "rows": rows(page)}
