from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from clients import conflicts, custom_fields
from clients.errors import ClientErrorCode
from clients.models import (
    Client,
    ClientHealth,
    ClientSettings,
    CustomField,
    CustomFieldKind,
    CustomFieldSection,
    Flag,
    Tag,
)
from clients.services import HEALTH_FIELDS
from clients.validators import normalise_cn_national_id, normalise_phone, validate_file_prefix
from core.places import SearchableSelect, phone_region_choices


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
    flags = forms.MultipleChoiceField(
        label=_("Flags"),
        required=False,
        choices=Flag.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"),
        required=False,
        queryset=Tag.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    photo_upload = forms.ImageField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG or PNG. Stored privately, resized, without camera or location data."),
    )
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)
    # The version the editor opened and a signed snapshot of what it showed, so a save
    # over someone else's can show both sides (clients.conflicts).
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    snapshot = forms.CharField(widget=forms.HiddenInput, required=False)

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
            "language",
            "service_preferences",
            "special_notes",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "service_preferences": forms.Textarea(attrs={"rows": 3}),
            "special_notes": forms.Textarea(attrs={"rows": 3}),
            "gender": forms.RadioSelect,
        }

    def __init__(
        self,
        *args,
        region: str,
        editing: Client | None = None,
        custom: list | None = None,
        **kwargs,
    ):
        self.region = region
        self.editing = editing
        self.custom_fields = custom or []
        super().__init__(*args, instance=editing, **kwargs)
        self.fields["preferred_staff"].queryset = User.objects.filter(is_active=True)
        for cf in self.custom_fields:
            name = custom_fields.FORM_PREFIX + cf.key
            self.fields[name] = custom_fields.form_field(cf)
            if editing is not None:
                self.initial[name] = custom_fields.to_form(cf, editing.custom.get(cf.key))
        if editing is not None:
            self.initial["flags"] = list(editing.flags)
            self.initial["tags"] = list(editing.tags.all())
            self.initial["version"] = editing.version
            self.initial["snapshot"] = conflicts.snapshot(editing, fields=self.custom_fields)
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
            raise ValidationError(
                _("No client has this file number."), code=ClientErrorCode.NO_REFERRER
            )
        if self.editing is not None and referrer.pk == self.editing.pk:
            raise ValidationError(
                _("A client cannot refer themselves."), code=ClientErrorCode.SELF_REFERRAL
            )
        return referrer

    def _post_clean(self):
        # The service validates the model; keep the loaded instance untouched until then.
        pass

    def custom_sections(self):
        """(section, [bound fields]) in order, for the template."""
        return [
            (section, [self[custom_fields.FORM_PREFIX + cf.key] for cf in fields])
            for section, fields in custom_fields.sections_with_fields(self.custom_fields)
        ]

    def client_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        values["other_phones"] = self.cleaned_data["other_phones"]
        values["national_id"] = self.cleaned_data["national_id"]
        values["referred_by"] = self.cleaned_data["referred_by_file_number"]
        values["flags"] = [f for f in Flag.values if f in self.cleaned_data["flags"]]
        values["tags"] = list(self.cleaned_data["tags"])
        custom = dict(self.editing.custom) if self.editing is not None else {}
        for cf in self.custom_fields:
            stored = custom_fields.to_storage(
                cf, self.cleaned_data.get(custom_fields.FORM_PREFIX + cf.key)
            )
            if stored is None:
                custom.pop(cf.key, None)
            else:
                custom[cf.key] = stored
        values["custom"] = custom
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


class BulkTagForm(forms.Form):
    action = forms.ChoiceField(choices=[("add", _("Add tag")), ("remove", _("Remove tag"))])
    tag = forms.ModelChoiceField(
        queryset=Tag.objects.all(),
        label=_("Tag"),
        error_messages={"required": _("Choose a tag first.")},
    )
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    everything = forms.BooleanField(required=False)
    params = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any ids may be posted; the service only touches existing clients.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()

    def clean(self):
        data = super().clean()
        if not data.get("everything") and not data.get("ids"):
            raise ValidationError(
                _("Tick at least one client, or choose all clients matching the list."),
                code=ClientErrorCode.NOTHING_SELECTED,
            )
        return data


class SavedListForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        label=_("List name"),
        error_messages={"required": _("Give the list a name.")},
    )
    shared = forms.BooleanField(required=False, label=_("Share with colleagues"))


class ClientRulesForm(forms.ModelForm):
    class Meta:
        model = ClientSettings
        fields = [
            "file_prefix",
            "phone_region",
            "returning_min_visits",
            "vip_min_visits",
            "vip_min_spend",
            "dormant_after_months",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        typed = self.fields["phone_region"]
        # Countries by name, not a free-text "CN".
        self.fields["phone_region"] = forms.ChoiceField(
            choices=phone_region_choices,
            label=typed.label,
            help_text=typed.help_text,
            widget=SearchableSelect,
        )

    def clean_file_prefix(self) -> str:
        prefix = self.cleaned_data["file_prefix"].strip()
        validate_file_prefix(prefix)
        return prefix

    def clean_phone_region(self) -> str:
        region = self.cleaned_data["phone_region"].strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValidationError(
                _("Use a two-letter country code such as CN or HK."),
                code=ClientErrorCode.PHONE_REGION,
            )
        return region

    def clean(self):
        data = super().clean()
        returning, vip = data.get("returning_min_visits"), data.get("vip_min_visits")
        if returning is not None and vip is not None and vip < returning:
            self.add_error(
                "vip_min_visits", _("A VIP needs at least as many visits as a returning client.")
            )
        for name in ("returning_min_visits", "vip_min_visits", "dormant_after_months"):
            if data.get(name) == 0:
                self.add_error(name, _("Use a number of at least 1."))
        return data


class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name", "colour"]
        labels = {"name": _("Tag name")}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Tag.objects.filter(name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                _("A tag with this name already exists."), code=ClientErrorCode.DUPLICATE_TAG
            )
        return name


class SectionForm(forms.ModelForm):
    class Meta:
        model = CustomFieldSection
        fields = ["name", "order"]


class CustomFieldForm(forms.Form):
    section = forms.ModelChoiceField(queryset=CustomFieldSection.objects.all(), label=_("Section"))
    label = forms.CharField(max_length=80, label=_("Label"))
    kind = forms.ChoiceField(choices=CustomFieldKind.choices, label=_("Type"))
    choices = forms.CharField(
        required=False,
        label=_("Choices"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For single and multiple choice: one choice per line."),
    )
    required = forms.BooleanField(required=False, label=_("Required"))
    help_text = forms.CharField(required=False, max_length=200, label=_("Help text"))
    order = forms.IntegerField(min_value=0, initial=0, label=_("Order"))
    active = forms.BooleanField(required=False, initial=True, label=_("In use"))

    def __init__(self, *args, field: CustomField | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if field is not None:
            # The stored values depend on the type: it is fixed once the field exists.
            self.fields["kind"].disabled = True
            self.initial.update(
                section=field.section_id,
                label=field.label,
                kind=field.kind,
                choices="\n".join(field.choices),
                required=field.required,
                help_text=field.help_text,
                order=field.order,
                active=field.active,
            )

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["choices"] = data["choices"].splitlines()
        return data
