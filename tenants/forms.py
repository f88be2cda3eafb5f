from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from core.places import SearchableSelect, time_zone_choices
from tenants.models import Currency, business_type_choices, subdomain_validator
from tenants.services import RESERVED_SUBDOMAINS, subdomain_is_taken


class SignupForm(forms.Form):
    business_name = forms.CharField(label=_("Business name"), max_length=120)
    business_type = forms.ChoiceField(
        label=_("Type of business"), choices=business_type_choices, widget=forms.RadioSelect
    )
    subdomain = forms.CharField(
        label=_("Your portal address"),
        min_length=3,
        max_length=30,
        help_text=_("3–30 lowercase letters, digits or hyphens."),
        validators=[subdomain_validator],
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    owner_name = forms.CharField(label=_("Your name"), max_length=120)
    email = forms.EmailField(label=_("Email address"))
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        initial="Asia/Shanghai",
        widget=SearchableSelect,
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices, initial="CNY")

    def clean_subdomain(self) -> str:
        subdomain = self.cleaned_data["subdomain"].strip().lower()
        if subdomain in RESERVED_SUBDOMAINS:
            raise forms.ValidationError(
                _("This address is reserved. Choose another."), code="reserved"
            )
        if subdomain_is_taken(subdomain):
            raise forms.ValidationError(
                _("This address is already taken. Choose another."), code="taken"
            )
        return subdomain

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            from accounts.models import User

            probe = User(email=cleaned.get("email", ""), full_name=cleaned.get("owner_name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (shown to the operators only)"), max_length=200)

    def service_args(self) -> dict:
        """What the service takes: the reason and any typed confirmation."""
        return {k: v for k, v in self.cleaned_data.items() if k in {"reason", "confirmation"}}


class SuspendForm(ReasonForm):
    confirm = forms.BooleanField(
        label=_("Yes: sign everyone out and keep them out until it is reactivated.")
    )


class TypedConfirmationForm(ReasonForm):
    """Closing or purging: the operator types the business's address, so a slip of the
    mouse on the wrong row cannot do it."""

    confirmation = forms.CharField(
        label=_("Type the business's address to confirm"),
        max_length=253,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
