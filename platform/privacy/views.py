from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.roles import Capability
from clients import selectors as client_selectors
from clients.models import Client
from portal.mixins import CapabilityRequiredMixin
from privacy import export, selectors, services
from privacy.errors import PrivacyErrorCode
from privacy.models import Method, Purpose

if TYPE_CHECKING:
    from privacy import pdf


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=Purpose.choices)
    granted = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("1", gettext_lazy("Granted")), ("0", gettext_lazy("Withdrawn or refused"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    method = forms.ChoiceField(label=gettext_lazy("How it was given"), choices=Method.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)


class EraseForm(forms.Form):
    file_number = forms.CharField(label=gettext_lazy("Type the file number to confirm"))

    def __init__(self, *args, client: Client, **kwargs):
        self.client = client
        super().__init__(*args, **kwargs)

    def clean_file_number(self) -> str:
        typed = self.cleaned_data["file_number"].strip()
        if typed.upper() != self.client.file_number.upper():
            raise ValidationError(
                _("This is not the file number of this client."),
                code=PrivacyErrorCode.FILE_NUMBER_MISMATCH,
            )
        return typed


def consent_tab_context(request, client) -> dict:
    current = selectors.current_consents([client.pk])[client.pk]
    states = [
        {"purpose": label, "key": key, "record": current.get(key)} for key, label in Purpose.choices
    ]
    return {
        "consent_states": states,
        "consent_history": selectors.consent_history(client.pk),
        "consent_form": ConsentForm(initial={"method": Method.WRITTEN}),
        "can_record": request.user.can(Capability.EDIT_CLIENTS) and not client.erased_at,
        "can_export": request.user.can(Capability.EXPORT_CLIENTS),
        "can_erase": request.user.can(Capability.ERASE_CLIENTS) and not client.erased_at,
    }


class ConsentRecordView(CapabilityRequiredMixin, View):
    """The tab's form posts here; with errors, the form is shown on its own page."""

    capability = Capability.EDIT_CLIENTS
    template_name = "privacy/consent_form.html"

    def get(self, request, pk: int):
        client = client_selectors.client_for_page(request.user, pk)
        form = ConsentForm(initial={"method": Method.WRITTEN})
        return render(request, self.template_name, {"client": client, "consent_form": form})

    def post(self, request, pk: int):
        client = client_selectors.client_for_page(request.user, pk)
        form = ConsentForm(request.POST)
        if form.is_valid():
            try:
                services.consent_record(
                    client=client, recorded_by=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Consent recorded."))
                return redirect("clients:detail_tab", pk=client.pk, tab="consent")
        context = {"client": client, "consent_form": form}
        return render(request, self.template_name, context, status=400)


class ExportJSONView(CapabilityRequiredMixin, View):
    capability = Capability.EXPORT_CLIENTS

    def get(self, request, pk: int):
        client = client_selectors.client_for_page(request.user, pk)
        data = export.client_export_data(client=client, user=request.user)
        export.record_export(client=client, user=request.user, kind="JSON", included=sorted(data))
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{client.file_number}.json"'
        return response


def _summary(client: Client, user) -> pdf.Summary:
    from privacy import pdf  # fpdf2 and fontTools load only when a PDF is asked for

    summary = pdf.Summary(client.name)
    summary.fact(_("File number"), client.file_number)
    summary.fact(_("Exported"), timezone.localtime().strftime("%Y-%m-%d %H:%M"))
    summary.heading(_("Basic information"))
    summary.fact(_("Gender"), client.get_gender_display() if client.gender else "")
    summary.fact(_("Date of birth"), client.date_of_birth)
    summary.fact(_("Mobile phone"), client.mobile)
    summary.fact(_("Other phones"), ", ".join(client.other_phones))
    summary.fact(_("Email"), client.email)
    summary.fact(
        _("National ID number"),
        client.national_id if user.can(Capability.VIEW_FULL_ID) else client.masked_national_id,
    )
    summary.fact(_("Address"), client.address)
    summary.heading(_("Visits"))
    summary.fact(_("Visits"), client.visit_count)
    summary.fact(_("First visit"), client.first_visit_on)
    summary.fact(_("Last visit"), client.last_visit_on)
    summary.fact(_("Total spend"), client.total_spend)
    summary.heading(_("Consent"))
    current = selectors.current_consents([client.pk])[client.pk]
    for key, label in Purpose.choices:
        record = current.get(key)
        if record is None:
            state = _("not recorded")
        else:
            state = (_("granted") if record.granted else _("withdrawn")) + (
                f" ({timezone.localtime(record.recorded_at):%Y-%m-%d}, "
                f"{record.get_method_display()})"
            )
        summary.fact(label, state)
    if user.can(Capability.VIEW_HEALTH):
        health = getattr(client, "health", None)
        summary.heading(_("Medical history and allergies"))
        if health is None:
            summary.text(_("No health record yet."))
        else:
            summary.fact(_("Drug allergies"), health.drug_allergies)
            summary.fact(_("Other allergies"), health.other_allergies)
            summary.fact(_("Surgery history"), health.surgery_history)
            summary.fact(_("Chronic conditions"), health.chronic_conditions)
            summary.fact(_("Current medications"), health.current_medications)
            summary.fact(_("Other health notes"), health.notes)
    return summary


class ExportPDFView(CapabilityRequiredMixin, View):
    capability = Capability.EXPORT_CLIENTS

    def get(self, request, pk: int):
        client = client_selectors.client_for_page(request.user, pk)
        content = _summary(client, request.user).render()
        included = ["client", "visits", "consents"]
        if request.user.can(Capability.VIEW_HEALTH):
            included.append("health")
        export.record_export(client=client, user=request.user, kind="PDF", included=included)
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{client.file_number}.pdf"'
        return response


class EraseView(CapabilityRequiredMixin, View):
    capability = Capability.ERASE_CLIENTS
    template_name = "privacy/erase.html"

    def get(self, request, pk: int):
        client = client_selectors.client_for_page(request.user, pk, allow_erased=False)
        return render(
            request, self.template_name, {"client": client, "form": EraseForm(client=client)}
        )

    def post(self, request, pk: int):
        client = client_selectors.client_for_page(request.user, pk, allow_erased=False)
        form = EraseForm(request.POST, client=client)
        if form.is_valid():
            number = client.file_number
            try:
                services.client_erase(client=client, actor=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _("The personal data of file %(number)s was erased.") % {"number": number},
                )
                return redirect("clients:detail", pk=client.pk)
        return render(request, self.template_name, {"client": client, "form": form}, status=400)
