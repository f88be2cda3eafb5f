from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from accounts.roles import Capability
from audit import services as audit
from audit.models import Action
from clients import (
    conflicts,
    custom_fields,
    duplicates,
    filters,
    lifecycle,
    profile,
    selectors,
    services,
)
from clients import fields as client_fields
from clients.forms import BulkTagForm, ClientForm, ClientHealthForm, SavedListForm
from clients.models import Client, ClientHealth, SavedList, Tag
from clients.validators import format_phone
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin, role_forbidden

PAGE_SIZE = 50


class ClientListView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_CLIENTS

    def get(self, request):
        rules = services.client_settings()
        form, clients = selectors.client_list_from_params(
            user=request.user, params=request.GET, rules=rules
        )
        page = selectors.client_page(
            clients,
            request.GET.get("page"),
            per_page=PAGE_SIZE,
            searching=bool(form.cleaned_data.get("q", "").strip()),
            gram=filters.single_gram(form.cleaned_data),
        )
        # One query for the tags, shared by the filter bar and the bulk-tagging bar.
        tags = list(Tag.objects.all())
        form.fields["tag"].widget.choices = [("", _("Any tag"))] + [(t.pk, t.name) for t in tags]
        params = request.GET.copy()
        params.pop("page", None)
        saved = [
            (saved_list, urlencode(saved_list.params, doseq=True))
            for saved_list in selectors.saved_lists_for(request.user)
        ]
        show_health = request.user.can(Capability.VIEW_HEALTH)
        if show_health:
            # The trades' own allergies (products, ingredients) beside the health
            # record's: one call per trade for the whole page.
            from clients.templatetags.client_tags import vertical_allergies

            rows = list(page.object_list)
            extra = vertical_allergies(rows)
            for row in rows:
                row.extra_allergies = extra.get(row.pk, [])
        context = {
            "page": page,
            "query": form.cleaned_data.get("q", ""),
            "sort": form.cleaned_data.get("sort") or "name",
            "form": form,
            "querystring": params.urlencode(),
            "region": rules.region,
            "show_health": show_health,
            "can_edit": request.user.can(Capability.EDIT_CLIENTS),
            "tags": tags if request.user.can(Capability.EDIT_CLIENTS) else [],
            "saved_lists": saved,
        }
        template = (
            "clients/_results.html"
            if request.htmx and not request.htmx.boosted
            else "clients/list.html"
        )
        return render(request, template, context)


def _back_to_list(request) -> str:
    """The list as the user left it (its filters travel in the form's ``params``)."""
    return reverse("clients:list") + "?" + request.POST.get("params", "")


def _errors_as_messages(request, form, back: str):
    """The list's small forms live in menus; their errors come back as messages."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect(back)


class ClientBulkTagView(CapabilityRequiredMixin, View):
    """Add a tag to, or remove it from, the ticked clients or every client the list's
    current filters match."""

    capability = Capability.EDIT_CLIENTS

    def post(self, request):
        form = BulkTagForm(request.POST)
        back = _back_to_list(request)
        if not form.is_valid():
            return _errors_as_messages(request, form, back)
        data = form.cleaned_data
        if data["everything"]:
            _form, clients = selectors.client_list_from_params(
                user=request.user, params=QueryDict(data["params"])
            )
            ids = list(clients.order_by().values_list("pk", flat=True))
        else:
            ids = data["ids"]
        changed = services.clients_tag(
            client_ids=ids, tag=data["tag"], add=data["action"] == "add", actor=request.user
        )
        message = (
            ngettext(
                "Tag “%(tag)s” added to %(n)d client.",
                "Tag “%(tag)s” added to %(n)d clients.",
                changed,
            )
            if data["action"] == "add"
            else ngettext(
                "Tag “%(tag)s” removed from %(n)d client.",
                "Tag “%(tag)s” removed from %(n)d clients.",
                changed,
            )
        )
        messages.success(request, message % {"tag": data["tag"].name, "n": changed})
        return redirect(back)


class SavedListCreateView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_CLIENTS

    def post(self, request):
        form = SavedListForm(request.POST)
        back = _back_to_list(request)
        if not form.is_valid():
            return _errors_as_messages(request, form, back)
        saved = services.saved_list_create(
            owner=request.user,
            name=form.cleaned_data["name"],
            params=QueryDict(request.POST.get("params", "")),
            shared=form.cleaned_data["shared"],
        )
        messages.success(request, _("List “%(name)s” saved.") % {"name": saved.name})
        return redirect(back)


class SavedListDeleteView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_CLIENTS

    def post(self, request, pk: int):
        saved = SavedList.objects.filter(pk=pk, owner=request.user).first()
        if saved is None:
            raise Http404
        services.saved_list_delete(saved=saved)
        messages.success(request, _("List “%(name)s” deleted.") % {"name": saved.name})
        return redirect("clients:list")


def _client_form(request, *, editing: Client | None = None, data=None) -> ClientForm:
    return ClientForm(
        data,
        request.FILES if data is not None else None,
        region=services.phone_region(),
        editing=editing,
        custom=custom_fields.active_fields(),
    )


def _save_photo(form: ClientForm, client: Client, actor) -> None:
    if form.cleaned_data.get("photo_upload"):
        services.client_photo_set(
            client=client, upload=form.cleaned_data["photo_upload"], actor=actor
        )
    elif form.cleaned_data.get("remove_photo") and client.photo:
        services.client_photo_set(client=client, upload=None, actor=actor)


class ClientCreateView(CapabilityRequiredMixin, View):
    capability = Capability.EDIT_CLIENTS
    template_name = "clients/form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": _client_form(request)})

    def post(self, request):
        form = _client_form(request, data=request.POST)
        if form.is_valid():
            if held := duplicates.held_for_duplicates(request, form.client_values()):
                return render(request, self.template_name, {"form": form, "duplicates": held})
            try:
                client = services.client_create(
                    data=services.ClientData(form.client_values()), created_by=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _save_photo(form, client, request.user)
                messages.success(
                    request, _("Client file %(number)s created.") % {"number": client.file_number}
                )
                return redirect("clients:detail", pk=client.pk)
        return render(request, self.template_name, {"form": form}, status=400)


class ClientEditView(CapabilityRequiredMixin, View):
    capability = Capability.EDIT_CLIENTS
    template_name = "clients/form.html"

    def get(self, request, pk: int):
        client = selectors.client_for_page(request.user, pk)
        form = _client_form(request, editing=client)
        return render(request, self.template_name, {"form": form, "client": client})

    def post(self, request, pk: int):
        client = selectors.client_for_page(request.user, pk)
        form = _client_form(request, editing=client, data=request.POST)
        if form.is_valid():
            if held := duplicates.held_for_duplicates(request, form.client_values(), client):
                context = {"form": form, "client": client, "duplicates": held}
                return render(request, self.template_name, context)
            try:
                client = services.client_update(
                    client=client,
                    data=services.ClientData(form.client_values()),
                    expected_version=form.cleaned_data.get("version"),
                    actor=request.user,
                )
            except services.EditConflict as conflict:
                return self._conflict(request, form, conflict.current)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _save_photo(form, client, request.user)
                messages.success(request, _("Saved."))
                return redirect("clients:detail", pk=client.pk)
        return render(request, self.template_name, {"form": form, "client": client}, status=400)

    def _conflict(self, request, form: ClientForm, current: Client):
        """Someone saved this file since the editor opened it: show what each side changed,
        and give back the form at the new version, holding the editor's changes and the
        other person's changes to every field the editor did not touch."""
        current = selectors.client_get(pk=current.pk, user=request.user)
        fields = form.custom_fields
        opened = conflicts.read_snapshot(form.cleaned_data.get("snapshot") or "")
        changes = conflicts.compare(
            opened=opened or conflicts.state(current, fields=fields),
            current=current,
            mine=form.client_values(),
            fields=fields,
        )
        fresh = _client_form(request, editing=current)
        data = request.POST.copy()
        for change in changes:
            if change.theirs and not change.yours:
                for name in _form_names(fresh, change.name):
                    data.setlist(name, _as_post_values(fresh[name].value()))
        data["version"] = str(current.version)
        data["snapshot"] = conflicts.snapshot(current, fields=fields)
        merged = _client_form(request, editing=current, data=data)
        merged.is_valid()
        context = {"form": merged, "client": current, "changes": changes, "conflict": True}
        return render(request, self.template_name, context, status=409)


def _form_names(form: ClientForm, name: str) -> list[str]:
    if name.startswith("custom:"):
        return [custom_fields.FORM_PREFIX + name.split(":", 1)[1]]
    if name == "national_id":
        return []  # an empty ID field keeps the number on file
    return [client_fields.FORM_NAMES.get(name, name)]


def _as_post_values(value) -> list[str]:
    values = value if isinstance(value, (list, tuple)) else [value]
    return ["" if v is None else str(getattr(v, "pk", v)) for v in values]


class ClientDetailView(CapabilityRequiredMixin, View):
    """The profile: a header every tab shares, then one tab from ``clients.profile``."""

    capability = Capability.VIEW_CLIENTS

    def get(self, request, pk: int, tab: str = "details"):
        selected = profile.tab_for(request.user, tab)
        if selected is None:
            if profile.tab_exists(tab):  # a tab the role does not open, before any lookup
                return role_forbidden(request)
            raise Http404
        client = selectors.client_for_page(request.user, pk)
        can_health = request.user.can(Capability.VIEW_HEALTH)
        rules = services.client_settings()
        context = {
            "client": client,
            "tab": selected,
            "tabs": profile.tabs_for(request.user),
            "can_health": can_health,
            "health": getattr(client, "health", None) if can_health else None,
            "mobile": format_phone(client.mobile, region=rules.region),
            "category": lifecycle.category_of(client, rules, timezone.localdate()),
        }
        if not client.erased_at:
            context["documents"] = _documents(request.user, client)
        if selected.context is not None:
            context.update(selected.context(request, client))
        return render(request, "clients/detail.html", context)


def tab_with_form(request, *, pk: int, tab: str, attribute: str, form):
    """The profile's ``tab`` again after a post its form refused: the tab's context reads
    the bound ``form`` from ``request.<attribute>``, so the errors sit beside the fields."""
    setattr(request, attribute, form)
    view = ClientDetailView()
    view.setup(request, pk=pk, tab=tab)
    response = view.get(request, pk=pk, tab=tab)
    response.status_code = 400
    return response


def _documents(user, client) -> list[tuple[str, str]]:
    """The printable documents of the business's trades (a spectacle prescription, a
    treatment plan) the user may see, as (label, address) for this client."""
    from django.urls import reverse

    from verticals import registry

    return [
        (document.label, reverse(document.url_name, kwargs={"client_id": client.pk}))
        for vertical in registry.enabled_verticals()
        for document in vertical.documents
        if user.can(document.capability)
    ]


def _audit_view(request, client, action: str) -> None:
    audit.record_view(action=action, actor=request.user, client_id=client.pk)


def details_tab_context(request, client) -> dict:
    region = services.phone_region()
    if client.national_id and request.user.can(Capability.VIEW_FULL_ID):
        _audit_view(request, client, Action.VIEW_FULL_ID)
    from clients.household_views import household_context

    return {
        "full_id": (
            client.national_id
            if request.user.can(Capability.VIEW_FULL_ID)
            else client.masked_national_id
        ),
        "other_phones": [format_phone(p, region=region) for p in client.other_phones],
        "emergency_phone": format_phone(client.emergency_contact_phone, region=region),
        **household_context(request, client),
    }


def health_tab_context(request, client) -> dict:
    _audit_view(request, client, Action.VIEW_HEALTH)
    return {}


def timeline_tab_context(request, client) -> dict:
    return {"timeline": profile.timeline_for(client, request.user)}


class ClientHealthEditView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_HEALTH
    template_name = "clients/health_form.html"

    def _health(self, client) -> ClientHealth:
        return getattr(client, "health", None) or ClientHealth(client=client)

    def get(self, request, pk: int):
        client = selectors.client_for_page(request.user, pk)
        _audit_view(request, client, Action.VIEW_HEALTH)
        form = ClientHealthForm(instance=self._health(client))
        return render(request, self.template_name, {"form": form, "client": client})

    def post(self, request, pk: int):
        client = selectors.client_for_page(request.user, pk)
        form = ClientHealthForm(request.POST, instance=self._health(client))
        if form.is_valid():
            try:
                services.client_health_update(
                    client=client, values=form.cleaned_data, updated_by=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Health record saved."))
                return redirect("clients:detail_tab", pk=client.pk, tab="health")
        return render(request, self.template_name, {"form": form, "client": client}, status=400)


def custom_tab_context(request, client) -> dict:
    fields = custom_fields.active_fields()
    return {
        "custom_sections": [
            (section, [(cf, custom_fields.display(cf, client.custom.get(cf.key))) for cf in group])
            for section, group in custom_fields.sections_with_fields(fields)
        ]
    }


class ClientPhotoView(CapabilityRequiredMixin, View):
    """A client's photo, read through this tenant's own row (files are never public)."""

    capability = Capability.VIEW_CLIENTS

    def get(self, request, pk: int):
        client = selectors.client_for_page(request.user, pk)
        if not client.photo or not default_storage.exists(client.photo.name):
            raise Http404
        response = FileResponse(
            default_storage.open(client.photo.name, "rb"), content_type="image/jpeg"
        )
        response["Cache-Control"] = "private, max-age=300"
        return response


class BirthdayListView(CapabilityRequiredMixin, View):
    capability = Capability.VIEW_CLIENTS

    def get(self, request):
        period = "month" if request.GET.get("period") == "month" else "week"
        today = timezone.localdate()
        rows = selectors.birthdays(period=period, today=today)
        context = {
            "rows": rows,
            "period": period,
            "today": today,
            "region": services.phone_region(),
        }
        return render(request, "clients/birthdays.html", context)
