from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from clients.models import Client, ClientHealth
from clients.services import HEALTH_FIELDS
from clients.validators import normalise_cn_national_id, normalise_phone


class ClientForm(forms.ModelForm):
    national_id = forms.CharField(
        label=_("National ID number"),
        required=False,
        max_length=30,
        help_text=_("Optional. Mainland 18-digit resident ID; stored encrypted."),
    )
    other_phones = forms.CharField(
        label=_("Other phones"),
        required=False,
        help_text=_("Separate several numbers with commas."),
    )
    referred_by_file_number = forms.CharField(
        label=_("Referred by (client's file number)"),
        required=False,
        max_length=20,
    )

    class Meta:
        model = Client
        fields = [
            "name",
            "gender",
            "date_of_birth",
            "mobile",
            "email",
            "occupation",
            "address",
            "emergency_contact_name",
            "emergency_contact_relation",
            "emergency_contact_phone",
            "source",
            "preferred_staff",
            "preferred_channel",
            "service_preferences",
            "special_notes",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "service_preferences": forms.Textarea(attrs={"rows": 3}),
            "special_notes": forms.Textarea(attrs={"rows": 3}),
            "gender": forms.RadioSelect,
        }

    def __init__(self, *args, region: str, editing: Client | None = None, **kwargs):
        self.region = region
        self.editing = editing
        super().__init__(*args, instance=editing, **kwargs)
        self.fields["preferred_staff"].queryset = User.objects.filter(is_active=True)
        self.fields["mobile"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        if editing is not None:
            self.initial["other_phones"] = ", ".join(editing.other_phones)
            self.initial["referred_by_file_number"] = (
                editing.referred_by.file_number if editing.referred_by else ""
            )
            if editing.national_id_last4:
                self.fields["national_id"].help_text = _(
                    "On file: %(masked)s. Leave empty to keep it; type a new number to replace it."
                ) % {"masked": editing.masked_national_id}

    def _phone(self, name: str) -> str:
        return normalise_phone(self.cleaned_data.get(name, ""), region=self.region)

    def clean_mobile(self) -> str:
        return self._phone("mobile")

    def clean_emergency_contact_phone(self) -> str:
        return self._phone("emergency_contact_phone")

    def clean_other_phones(self) -> list[str]:
        raw = self.cleaned_data.get("other_phones", "")
        phones = []
        for part in raw.replace("，", ",").split(","):
            if part.strip():
                phones.append(normalise_phone(part, region=self.region))
        return phones

    def clean_national_id(self) -> str:
        value = normalise_cn_national_id(self.cleaned_data.get("national_id", ""))
        if not value and self.editing is not None:
            return self.editing.national_id  # empty means: keep what is on file
        return value

    def clean_referred_by_file_number(self) -> Client | None:
        number = self.cleaned_data.get("referred_by_file_number", "").strip()
        if not number:
            return None
        referrer = Client.objects.filter(file_number__iexact=number).first()
        if referrer is None:
            raise ValidationError(_("No client has this file number."), code="no_referrer")
        if self.editing is not None and referrer.pk == self.editing.pk:
            raise ValidationError(_("A client cannot refer themselves."), code="self_referral")
        return referrer

    def _post_clean(self):
        # The service validates the model; keep the loaded instance untouched until then.
        pass

    def client_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["other_phones"] = self.cleaned_data["other_phones"]
        values["national_id"] = self.cleaned_data["national_id"]
        values["referred_by"] = self.cleaned_data["referred_by_file_number"]
        return values


class ClientHealthForm(forms.ModelForm):
    class Meta:
        model = ClientHealth
        fields = list(HEALTH_FIELDS)
        widgets = {
            name: forms.Textarea(attrs={"rows": 2})
            for name in (
                "surgery_history",
                "drug_allergies",
                "other_allergies",
                "chronic_conditions",
                "current_medications",
                "notes",
            )
        }

    def _post_clean(self):
        pass


class ClientSearchForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"))
    sort = forms.ChoiceField(
        required=False,
        choices=[("name", _("Name")), ("-created", _("Newest first")), ("file", _("File number"))],
    )
