"""Client-file settings for owners: file numbers and phone region, lifecycle thresholds,
tags, and custom field sections and fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from clients import custom_fields, services
from clients.forms import ClientRulesForm, CustomFieldForm, SectionForm, TagForm
from clients.models import CustomField, CustomFieldSection, Tag
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin


class ClientSettingsView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    template_name = "clients/settings.html"

    def _context(self, **forms) -> dict:
        rules = services.client_settings()
        return {
            "rules_form": forms.get("rules_form") or ClientRulesForm(instance=rules),
            "tag_form": forms.get("tag_form") or TagForm(),
            "section_form": forms.get("section_form") or SectionForm(),
            "tags": Tag.objects.annotate(n=Count("clients")),
            "sections": CustomFieldSection.objects.prefetch_related("fields"),
        }

    def get(self, request):
        return render(request, self.template_name, self._context())

    def post(self, request):
        which = request.POST.get("form")
        if which == "rules":
            form = ClientRulesForm(request.POST, instance=services.client_settings())
            if form.is_valid():
                try:
                    services.client_settings_update(**form.cleaned_data)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    messages.success(request, _("Client file settings saved."))
                    return redirect("clients:settings")
            return render(request, self.template_name, self._context(rules_form=form), status=400)
        if which == "tag":
            form = TagForm(request.POST)
            if form.is_valid():
                tag = services.tag_save(tag=None, values=form.cleaned_data)
                messages.success(request, _("Tag “%(name)s” created.") % {"name": tag.name})
                return redirect("clients:settings")
            return render(request, self.template_name, self._context(tag_form=form), status=400)
        if which == "section":
            form = SectionForm(request.POST)
            if form.is_valid():
                section = services.section_save(section=None, values=form.cleaned_data)
                messages.success(request, _("Section “%(name)s” created.") % {"name": section.name})
                return redirect("clients:settings")
            return render(request, self.template_name, self._context(section_form=form), status=400)
        raise Http404


class TagEditView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    template_name = "clients/tag_form.html"

    def get(self, request, pk: int):
        tag = get_object_or_404(Tag, pk=pk)
        return render(request, self.template_name, {"form": TagForm(instance=tag), "tag": tag})

    def post(self, request, pk: int):
        tag = get_object_or_404(Tag, pk=pk)
        if request.POST.get("delete"):
            services.tag_delete(tag=tag)
            messages.success(request, _("Tag “%(name)s” deleted.") % {"name": tag.name})
            return redirect("clients:settings")
        form = TagForm(request.POST, instance=tag)
        if form.is_valid():
            services.tag_save(tag=tag, values=form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("clients:settings")
        return render(request, self.template_name, {"form": form, "tag": tag}, status=400)


class SectionEditView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    template_name = "clients/section_form.html"

    def get(self, request, pk: int):
        section = get_object_or_404(CustomFieldSection, pk=pk)
        form = SectionForm(instance=section)
        return render(request, self.template_name, {"form": form, "section": section})

    def post(self, request, pk: int):
        section = get_object_or_404(CustomFieldSection, pk=pk)
        if request.POST.get("delete"):
            try:
                services.section_delete(section=section)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("clients:section_edit", pk=pk)
            messages.success(request, _("Section deleted."))
            return redirect("clients:settings")
        form = SectionForm(request.POST, instance=section)
        if form.is_valid():
            services.section_save(section=section, values=form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("clients:settings")
        context = {"form": form, "section": section}
        return render(request, self.template_name, context, status=400)


class CustomFieldEditView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS
    template_name = "clients/custom_field_form.html"

    def _field(self, pk):
        return None if pk is None else get_object_or_404(CustomField, pk=pk)

    def get(self, request, pk: int | None = None):
        field = self._field(pk)
        if field is None and not CustomFieldSection.objects.exists():
            messages.error(request, _("Create a section first."))
            return redirect("clients:settings")
        form = CustomFieldForm(field=field, initial={"section": request.GET.get("section")})
        return render(request, self.template_name, {"form": form, "field": field})

    def post(self, request, pk: int | None = None):
        field = self._field(pk)
        form = CustomFieldForm(request.POST, field=field)
        if form.is_valid():
            try:
                saved = custom_fields.custom_field_save(field=field, values=form.values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Field “%(label)s” saved.") % {"label": saved.label})
                return redirect("clients:settings")
        return render(request, self.template_name, {"form": form, "field": field}, status=400)
