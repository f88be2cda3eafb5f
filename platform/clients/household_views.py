"""The household card on the client's Details tab: name the household, add a family
member (found by file number or mobile phone) to this client's household, or take this
client out of it. The rules are ``clients.households``; errors come back beside the form
on the tab."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.roles import Capability
from clients import households, selectors, services
from clients.errors import ClientErrorCode
from clients.models import Client
from clients.validators import normalise_phone
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin

# A bound form with errors, handed to the Details tab when the profile is shown again.
FORM_ATTRIBUTE = "clients_household_form"
NAME_FORM_ATTRIBUTE = "clients_household_name_form"


class HouseholdNameForm(forms.Form):
    # The length is the service's rule (its error is shown beside the field).
    name = forms.CharField(
        label=gettext_lazy("Household name"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": households.NAME_MAX, "autocomplete": "off"}),
    )


class HouseholdMemberForm(forms.Form):
    relative = forms.CharField(
        label=gettext_lazy("Family member's file number or mobile phone"), max_length=40
    )

    def clean_relative(self) -> Client:
        value = self.cleaned_data["relative"].strip()
        found = Client.objects.filter(file_number__iexact=value, erased_at__isnull=True).first()
        if found is not None:
            return found
        try:
            mobile = normalise_phone(value, region=services.phone_region())
        except ValidationError:
            mobile = ""
        matches = (
            list(Client.objects.filter(mobile=mobile, erased_at__isnull=True)[:2]) if mobile else []
        )
        if len(matches) > 1:
            raise forms.ValidationError(
                _("Several clients have this mobile phone; enter the file number."),
                code=ClientErrorCode.AMBIGUOUS_PHONE,
            )
        if not matches:
            raise forms.ValidationError(
                _("No client has this file number or mobile phone."),
                code=ClientErrorCode.NOT_FOUND,
            )
        return matches[0]


def household_context(request, client: Client) -> dict:
    """The Details tab's household card."""
    can_edit = request.user.can(Capability.EDIT_CLIENTS) and not client.erased_at
    form = getattr(request, FORM_ATTRIBUTE, None)
    name_form = getattr(request, NAME_FORM_ATTRIBUTE, None)
    if name_form is None and can_edit and client.household_id:
        name_form = HouseholdNameForm(initial={"name": client.household.name})
    return {
        "household_members": households.members_of(client),
        "can_edit_household": can_edit,
        "household_form": (form or HouseholdMemberForm()) if can_edit else None,
        "household_name_form": name_form if can_edit and client.household_id else None,
    }


class HouseholdView(CapabilityRequiredMixin, View):
    capability = Capability.EDIT_CLIENTS

    def post(self, request, pk: int):
        client = selectors.client_for_page(request.user, pk)
        if request.POST.get("action") == "leave":
            # A button without fields: a refusal (a page left open while someone else
            # changed the household) comes back as a message above the tab.
            try:
                households.household_remove_member(actor=request.user, client=client)
            except ValidationError as error:
                for text in error.messages:
                    messages.error(request, text)
            else:
                messages.success(request, _("Taken out of the household."))
            return redirect("clients:detail", pk=client.pk)
        if request.POST.get("action") == "rename":
            return self._rename(request, client)
        form = HouseholdMemberForm(request.POST)
        if form.is_valid():
            relative = form.cleaned_data["relative"]
            try:
                households.household_add_member(
                    actor=request.user, client=client, relative=relative
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("%(name)s is in the household.") % {"name": relative.name}
                )
                return redirect("clients:detail", pk=client.pk)
        from clients.views import tab_with_form

        return tab_with_form(request, pk=pk, tab="details", attribute=FORM_ATTRIBUTE, form=form)

    def _rename(self, request, client: Client):
        form = HouseholdNameForm(request.POST)
        if form.is_valid():
            try:
                households.household_rename(
                    actor=request.user, client=client, name=form.cleaned_data["name"]
                )
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    # Not about the name (the household ended meanwhile): said above the tab.
                    for text in error.messages:
                        messages.error(request, text)
                    return redirect("clients:detail", pk=client.pk)
                add_service_errors(form, error)
            else:
                messages.success(request, _("The household's name is saved."))
                return redirect("clients:detail", pk=client.pk)
        from clients.views import tab_with_form

        return tab_with_form(
            request, pk=client.pk, tab="details", attribute=NAME_FORM_ATTRIBUTE, form=form
        )
