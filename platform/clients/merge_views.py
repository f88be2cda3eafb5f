"""Portal pages of the merge tool: choose the file to keep, compare, confirm.

Merging deletes a file and cannot be undone, so it needs its own capability
(``clients.merge``), which owners and managers hold and front desk and practitioners do
not: they see the duplicate warning and ask."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from clients import custom_fields, merge
from clients.conflicts import field_text
from clients.duplicates import mask_phone
from clients.models import Client
from clients.search import filter_clients
from clients.selectors import client_for_page
from core.text import search_query
from portal.mixins import CapabilityRequiredMixin

CANDIDATES = 20


def _shown(client: Client, name: str, *, full_id: bool, fields) -> str:
    """A field's value as the comparison page shows it: the full ID number only to those
    who may see it, the referrer by name, custom values by their field labels."""
    if name == "national_id":
        return client.national_id if full_id else client.masked_national_id
    if name == "referred_by":
        return str(client.referred_by) if client.referred_by else ""
    if name == "custom":
        shown = ((cf.label, custom_fields.display(cf, client.custom.get(cf.key))) for cf in fields)
        return "; ".join(f"{label}: {text}" for label, text in shown if text)
    return field_text(client, name)


class MergeChooseView(CapabilityRequiredMixin, View):
    """Step 1, from the profile of the file that will go: find the file to keep."""

    capability = Capability.MERGE_CLIENTS

    def get(self, request, pk: int):
        merged = client_for_page(request.user, pk, allow_erased=False)
        query = search_query(request.GET.get("q"))
        candidates = []
        if query:
            candidates = list(
                filter_clients(Client.objects.filter(erased_at__isnull=True), query)
                .exclude(pk=merged.pk)
                .only("id", "name", "file_number", "mobile", "date_of_birth")
                .order_by("file_number")[:CANDIDATES]
            )
        rows = [(c, mask_phone(c.mobile)) for c in candidates]
        return render(
            request,
            "clients/merge_choose.html",
            {"client": merged, "query": query, "rows": rows},
        )


class MergeCompareView(CapabilityRequiredMixin, View):
    """Step 2: both files side by side; per differing field, whose value to keep."""

    capability = Capability.MERGE_CLIENTS
    template_name = "clients/merge_compare.html"

    def _context(self, request, merged: Client, kept: Client, chosen: set[str], error=""):
        full_id = request.user.can(Capability.VIEW_FULL_ID)
        differing = set(merge.differing_fields(kept, merged))
        fields = custom_fields.active_fields()
        rows = [
            {
                "name": name,
                "label": Client._meta.get_field(name).verbose_name,
                "kept": _shown(kept, name, full_id=full_id, fields=fields),
                "merged": _shown(merged, name, full_id=full_id, fields=fields),
                "differs": name in differing,
                "take_merged": name in chosen,
            }
            for name in merge.MERGE_FIELDS
        ]
        return {"client": merged, "kept": kept, "rows": rows, "error": error}

    def get(self, request, pk: int, kept_pk: int):
        merged = client_for_page(request.user, pk, allow_erased=False)
        kept = client_for_page(request.user, kept_pk, allow_erased=False)
        if merged.pk == kept.pk:
            raise Http404
        chosen = merge.default_choices(kept, merged)
        return render(request, self.template_name, self._context(request, merged, kept, chosen))

    def post(self, request, pk: int, kept_pk: int):
        merged = client_for_page(request.user, pk, allow_erased=False)
        kept = client_for_page(request.user, kept_pk, allow_erased=False)
        if merged.pk == kept.pk:
            raise Http404
        differing = set(merge.differing_fields(kept, merged))
        chosen = {name for name in differing if request.POST.get(f"take_{name}") == "merged"}
        try:
            kept = merge.client_merge(
                kept=kept, merged=merged, take_from_merged=chosen, actor=request.user
            )
        except ValidationError as exc:
            context = self._context(request, merged, kept, chosen, error=" ".join(exc.messages))
            return render(request, self.template_name, context, status=400)
        messages.success(
            request,
            _("File %(merged)s was merged into %(kept)s.")
            % {"merged": merged.file_number, "kept": kept.file_number},
        )
        return redirect("clients:detail", pk=kept.pk)
