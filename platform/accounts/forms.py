from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role


class LoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, its email written to the outbox instead of sent at once (the
    caller holds the transaction)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        from accounts.services import password_reset_enqueue

        path = reverse(
            "accounts:password_reset_confirm",
            kwargs={"uidb64": context["uid"], "token": context["token"]},
        )
        link = f"{context['protocol']}://{context['domain']}{path}"
        password_reset_enqueue(user=context["user"], link=link)


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "pattern": "[0-9 ]*",
            }
        ),
    )


class RolesField(forms.MultipleChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Roles"))
        kwargs.setdefault("choices", Role.choices)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)


class _OffersGrantableRoles:
    """``grantable``: the roles the signed-in user may give (accounts.services
    roles_grantable_by); only those are offered. The service checks again."""

    def __init__(self, *args, grantable: frozenset[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if grantable is not None:
            self.fields["roles"].choices = [
                (value, label) for value, label in Role.choices if value in grantable
            ]


class InviteForm(_OffersGrantableRoles, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=120)
    email = forms.EmailField(label=_("Email address"))
    roles = RolesField()


class StaffRolesForm(_OffersGrantableRoles, forms.Form):
    roles = RolesField()


class StaffPolicyForm(forms.Form):
    managers_grant_clinical_roles = forms.BooleanField(
        label=_("Managers may give clinical roles"),
        required=False,
        help_text=_(
            "Lets managers invite practitioners, give or take away clinical roles, and "
            "deactivate practitioners. Clinical roles open medical history. Only an owner "
            "can change this."
        ),
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=120)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class PreferencesForm(forms.ModelForm):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Business default")), *settings.LANGUAGES],
        required=False,
    )

    class Meta:
        model = User
        fields = ["full_name", "language"]
