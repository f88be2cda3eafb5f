"""The business's wording of its messages, /messages/templates/ (``settings.manage``): a
table of every kind by channel and language saying whether the built-in wording or the
business's own is used, and one wording's page: the text with the variables the kind
offers, a preview filled with sample values (the SMS signature in front, its characters
and parts; a Chinese part holds 70 characters), Save, and Reset to the built-in.

The preview is rendered here, so it works without JavaScript ("Preview" posts the text
without saving it); ``notifications/template-editor.js`` only updates it as one types."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views import View

from accounts.roles import Capability
from core.forms import add_service_errors
from notifications import templates
from notifications.forms import TemplateForm
from notifications.models import Channel, Kind, MessageTemplate, NotificationSettings
from notifications.settings_services import template_reset, template_save
from portal.mixins import CapabilityRequiredMixin

T = "notifications/templates/"


def _languages() -> list[tuple[str, str]]:
    return list(settings.LANGUAGES)


class TemplatesView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS


class TemplateListView(TemplatesView):
    def get(self, request):
        own = {
            (row.kind, row.channel, row.language): row
            for row in MessageTemplate.objects.select_related("updated_by")
        }
        columns = [
            (channel, label, code, name)
            for channel, label in Channel.choices
            for code, name in _languages()
        ]
        rows = [
            {
                "kind": kind,
                "label": label,
                "cells": [
                    {"channel": channel, "language": code, "own": own.get((kind, channel, code))}
                    for channel, _label, code, _name in columns
                ],
            }
            for kind, label in Kind.choices
        ]
        return render(request, T + "list.html", {"columns": columns, "rows": rows})


def preview(*, kind: str, channel: str, language: str, subject: str, body: str) -> dict:
    """The text filled with sample values as it would leave, with its SMS length."""
    with override(language):
        context = templates.sample_context(kind, language)
        rendered = templates.render_text(
            subject=subject, body=body, channel=channel, context=context
        )
    info = templates.sms_info(rendered.body) if channel == Channel.SMS else None
    return {"rendered": rendered, "sms": info, "sample": context}


class TemplateEditView(TemplatesView):
    def _names(self, kind: str, channel: str, language: str) -> tuple[str, str, str]:
        if (
            kind not in Kind.values
            or channel not in Channel.values
            or language not in dict(_languages())
        ):
            raise Http404
        return kind, channel, language

    def page(self, request, form, *, kind, channel, language, own: bool, status: int = 200):
        if form.is_bound and form.is_valid():
            subject = form.cleaned_data.get("subject", "")
            body = form.cleaned_data["body"]
        else:
            subject = form["subject"].value() if "subject" in form.fields else ""
            body = form["body"].value() or ""
        builtin_subject, builtin_body = templates.builtin(kind, channel, language)
        with override(language):
            variables = [
                (name, str(templates.VARIABLE_LABELS.get(name, name)))
                for name in templates.VARIABLES.get(kind, ())
            ]
        context = {
            "form": form,
            "kind": kind,
            "kind_label": Kind(kind).label,
            "channel": channel,
            "channel_label": Channel(channel).label,
            "language": language,
            "language_label": dict(_languages())[language],
            "own": own,
            "variables": variables,
            "builtin_subject": builtin_subject,
            "builtin_body": builtin_body,
            "signature": NotificationSettings.load().sms_signature.strip().strip("【】"),
            **preview(
                kind=kind, channel=channel, language=language, subject=subject or "", body=body
            ),
        }
        return render(request, T + "edit.html", context, status=status)

    def get(self, request, kind: str, channel: str, language: str):
        kind, channel, language = self._names(kind, channel, language)
        subject, body, own = templates.wording(kind, channel, language)
        form = TemplateForm(initial={"subject": subject, "body": body}, kind=kind, channel=channel)
        return self.page(request, form, kind=kind, channel=channel, language=language, own=own)

    def post(self, request, kind: str, channel: str, language: str):
        kind, channel, language = self._names(kind, channel, language)
        names = {"kind": kind, "channel": channel, "language": language}
        action = request.POST.get("action", "save")
        if action == "reset":
            if template_reset(actor=request.user, **names):
                messages.success(request, _("The built-in wording is used again."))
            return redirect("notifications:template", **names)
        own = MessageTemplate.objects.filter(**names).exists()
        form = TemplateForm(request.POST, kind=kind, channel=channel)
        if action == "preview" or not form.is_valid():
            status = 200 if form.is_valid() else 400
            return self.page(request, form, own=own, status=status, **names)
        try:
            template_save(
                actor=request.user,
                subject=form.cleaned_data.get("subject", ""),
                body=form.cleaned_data["body"],
                **names,
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.page(request, form, own=own, status=400, **names)
        messages.success(request, _("The wording is saved; messages written from now on use it."))
        return redirect("notifications:template", **names)
