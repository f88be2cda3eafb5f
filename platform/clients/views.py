from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from clients import duplicates, profile, selectors, services
from clients.forms import ClientForm, ClientHealthForm, ClientSearchForm
from clients.models import Client, ClientHealth
from clients.validators import format_phone
from portal.mixins import CapabilityRequiredMixin

PAGE_SIZE = 50
DEFAULT_REGION = "CN"


def _region() -> str:
    return services.client_settings().phone_region or DEFAULT_REGION


def _load(request, pk: int) -> Client:
    try:
        return selectors.client_get(pk=pk, user=request.user)
    except Client.DoesNotExist:
        raise Http404 from None


def _form_errors(form, exc: ValidationError) -> None:
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class ClientListView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_CLIENTS

    def get(self, request):
        form = ClientSearchForm(request.GET)
        form.is_valid()
        query = form.cleaned_data.get("q", "")
        sort = form.cleaned_data.get("sort") or "name"
        clients = selectors.client_list(user=request.user, query=query, sort=sort)
        page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "query": query,
            "sort": sort,
            "form": form,
            "region": _region(),
            "show_health": request.user.can(Capability.VIEW_HEALTH),
        }
        template = (
            "clients/_results.html"
            if request.htmx and not request.htmx.boosted
            else "clients/list.html"
        )
        return render(request, template, context)


class ClientCreateView(CapabilityRequiredMixin, View):
    capability = Capability.EDIT_CLIENTS
    template_name = "clients/form.html"

    def get(self, request):
        form = ClientForm(region=_region())
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = ClientForm(request.POST, region=_region())
        if form.is_valid():
            if held := duplicates.held_for_duplicates(request, form.client_values()):
                return render(request, self.template_name, {"form": form, "duplicates": held})
            try:
                client = services.client_create(
                    data=services.ClientData(form.client_values()), created_by=request.user
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(
                    request, _("Client file %(number)s created.") % {"number": client.file_number}
                )
                return redirect("clients:detail", pk=client.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class ClientEditView(CapabilityRequiredMixin, View):
    capability = Capability.EDIT_CLIENTS
    template_name = "clients/form.html"

    def get(self, request, pk: int):
        client = _load(request, pk)
        form = ClientForm(region=_region(), editing=client)
        return render(request, self.template_name, {"form": form, "client": client})

    def post(self, request, pk: int):
        client = _load(request, pk)
        form = ClientForm(request.POST, region=_region(), editing=client)
        if form.is_valid():
            if held := duplicates.held_for_duplicates(request, form.client_values(), client):
                context = {"form": form, "client": client, "duplicates": held}
                return render(request, self.template_name, context)
            try:
                services.client_update(
                    client=client, data=services.ClientData(form.client_values())
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("clients:detail", pk=client.pk)
        return render(request, self.template_name, {"form": form, "client": client}, status=400)


class ClientDetailView(CapabilityRequiredMixin, View):
    """The profile: a header every tab shares, then one tab from ``clients.profile``."""

    capability = Capability.VIEW_CLIENTS

    def get(self, request, pk: int, tab: str = "details"):
        selected = profile.tab_for(request.user, tab)
        if selected is None:
            raise Http404
        client = _load(request, pk)
        can_health = request.user.can(Capability.VIEW_HEALTH)
        context = {
            "client": client,
            "tab": selected,
            "tabs": profile.tabs_for(request.user),
            "can_health": can_health,
            "health": getattr(client, "health", None) if can_health else None,
            "region": _region(),
            "mobile": format_phone(client.mobile, region=_region()),
        }
        if selected.context is not None:
            context.update(selected.context(request, client))
        return render(request, "clients/detail.html", context)


def details_tab_context(request, client) -> dict:
    region = _region()
    return {
        "full_id": (
            client.national_id
            if request.user.can(Capability.VIEW_FULL_ID)
            else client.masked_national_id
        ),
        "other_phones": [format_phone(p, region=region) for p in client.other_phones],
        "emergency_phone": format_phone(client.emergency_contact_phone, region=region),
    }


def timeline_tab_context(request, client) -> dict:
    return {"timeline": profile.timeline_for(client, request.user)}


class ClientHealthEditView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_HEALTH
    template_name = "clients/health_form.html"

    def _health(self, client) -> ClientHealth:
        return getattr(client, "health", None) or ClientHealth(client=client)

    def get(self, request, pk: int):
        client = _load(request, pk)
        form = ClientHealthForm(instance=self._health(client))
        return render(request, self.template_name, {"form": form, "client": client})

    def post(self, request, pk: int):
        client = _load(request, pk)
        form = ClientHealthForm(request.POST, instance=self._health(client))
        if form.is_valid():
            try:
                services.client_health_update(
                    client=client, values=form.cleaned_data, updated_by=request.user
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Health record saved."))
                return redirect("clients:detail_tab", pk=client.pk, tab="health")
        return render(request, self.template_name, {"form": form, "client": client}, status=400)
