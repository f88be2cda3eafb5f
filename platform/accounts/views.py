from __future__ import annotations

import time
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from accounts import lockout, services
from accounts.forms import (
    AcceptInvitationForm,
    InviteForm,
    LanguageForm,
    LoginForm,
    OutboxPasswordResetForm,
    PreferencesForm,
    StaffPolicyForm,
    StaffRolesForm,
    TwoFactorCodeForm,
)
from accounts.models import Invitation, User
from accounts.roles import (
    ROLE_CAPABILITIES,
    Capability,
    Role,
    capabilities_in_use,
    capability_text,
)
from accounts.selectors import open_invitations
from accounts.tokens import password_reset_token
from core.forms import add_service_errors
from portal.mixins import CapabilityRequiredMixin
from tenants.services import tenant_portal_url

PENDING_2FA_KEY = "accounts.pending_2fa"
PENDING_2FA_SECONDS = 300
SETUP_SECRET_KEY = "accounts.totp_setup_secret"


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class LoginView(View):
    """Sign-in with lockout and optional two-factor; the operator console's login is a
    subclass with its own pages and an ``allowed`` rule, so both share one lockout."""

    template_name = "accounts/login.html"
    success_url_name = "portal:dashboard"
    code_url_name = "accounts:login_2fa"

    def allowed(self, user: User) -> bool:
        return True

    def get(self, request):
        if request.user.is_authenticated:
            return redirect(self.success_url_name)
        return render(
            request, self.template_name, {"form": LoginForm(), "next": request.GET.get("next", "")}
        )

    def post(self, request):
        form = LoginForm(request.POST)
        context = {"form": form, "next": request.POST.get("next", "")}
        if not form.is_valid():
            return render(request, self.template_name, context, status=400)
        email = form.cleaned_data["email"].strip().lower()
        if lockout.is_locked(request, email):
            form.add_error(
                None,
                _(
                    "Too many failed sign-in attempts. Wait a few minutes and "
                    "try again, or reset your password."
                ),
            )
            return render(request, self.template_name, context, status=429)
        user = authenticate(request, email=email, password=form.cleaned_data["password"])
        if user is None or not self.allowed(user):
            lockout.record_failure(request, email)
            form.add_error(None, _("The email address or password is not right."))
            return render(request, self.template_name, context, status=400)
        lockout.record_success(email)
        target = _safe_next(request, reverse(self.success_url_name))
        if user.has_two_factor:
            request.session[PENDING_2FA_KEY] = {"user": user.pk, "at": time.time(), "next": target}
            return redirect(self.code_url_name)
        login(request, user)
        return HttpResponseRedirect(target)


class TwoFactorLoginView(View):
    template_name = "accounts/login_2fa.html"
    auth_base = "accounts/auth_base.html"
    success_url_name = "portal:dashboard"
    login_url_name = "accounts:login"

    def _pending_user(self, request) -> tuple[User | None, dict]:
        pending = request.session.get(PENDING_2FA_KEY) or {}
        if not pending or time.time() - pending.get("at", 0) > PENDING_2FA_SECONDS:
            return None, {}
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
        return user, pending

    def get(self, request):
        user, _pending = self._pending_user(request)
        if user is None:
            return redirect(self.login_url_name)
        return render(request, self.template_name, {"form": TwoFactorCodeForm(), "view": self})

    def post(self, request):
        user, pending = self._pending_user(request)
        if user is None:
            return redirect(self.login_url_name)
        form = TwoFactorCodeForm(request.POST)
        if lockout.is_locked(request, user.email):
            form.add_error(
                None, _("Too many failed sign-in attempts. Wait a few minutes and try again.")
            )
            return render(request, self.template_name, {"form": form, "view": self}, status=429)
        if form.is_valid() and services.totp_verify(
            secret=user.totp_secret, code=form.cleaned_data["code"]
        ):
            del request.session[PENDING_2FA_KEY]
            lockout.record_success(user.email)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return HttpResponseRedirect(pending.get("next") or reverse(self.success_url_name))
        lockout.record_failure(request, user.email)
        if form.is_valid():
            form.add_error("code", _("That code is not right. Try the current one."))
        return render(request, self.template_name, {"form": form, "view": self}, status=400)


def totp_setup(request, *, label: str) -> dict:
    """The secret being set up (kept in the session until confirmed) as text and QR code."""
    secret = request.session.get(SETUP_SECRET_KEY)
    if not secret:
        secret = services.totp_new_secret()
        request.session[SETUP_SECRET_KEY] = secret
    # The label carries the business's name and the user's email: quoted into the URI, and
    # the QR code reaches the page as a data: URI in an escaped <img src>, never as markup.
    uri = f"otpauth://totp/{quote(label)}?" + urlencode({"secret": secret, "issuer": "ClinicDesk"})
    return {
        "setup_secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "setup_qr": segno.make(uri, error="m").svg_data_uri(scale=4, dark="#0f172a"),
    }


class LogoutView(View):
    def post(self, request):
        logout(request)
        return redirect("accounts:login")


class WelcomeView(View):
    """Signs the new owner in with the single-use token the public signup handed over."""

    def get(self, request, token: str):
        user = services.login_token_consume(token=token)
        if user is None:
            messages.error(
                request,
                _("That sign-in link has expired. Sign in with your email address and password."),
            )
            return redirect("accounts:login")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome! Your business is ready."))
        return redirect("portal:dashboard")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = OutboxPasswordResetForm
    token_generator = password_reset_token
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        if not lockout.reset_allowed(self.request, form.cleaned_data["email"]):
            form.add_error(
                None,
                _(
                    "Too many password reset requests. Wait an hour and try again, or ask "
                    "an owner of your business."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        with transaction.atomic():
            return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    token_generator = password_reset_token
    success_url = reverse_lazy("accounts:password_reset_complete")


class InvitationAcceptView(View):
    template_name = "accounts/invitation_accept.html"

    def get(self, request, token: str):
        invitation = services.invitation_find(token=token)
        if invitation is None:
            return render(request, "accounts/invitation_invalid.html", status=404)
        form = AcceptInvitationForm(initial={"full_name": invitation.full_name})
        return render(request, self.template_name, {"form": form, "invitation": invitation})

    def post(self, request, token: str):
        invitation = services.invitation_find(token=token)
        if invitation is None:
            return render(request, "accounts/invitation_invalid.html", status=404)
        form = AcceptInvitationForm(request.POST)
        if form.is_valid():
            try:
                user = services.invitation_accept(
                    token=token,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password1"],
                    language=request.LANGUAGE_CODE,
                )
            except ValidationError as exc:
                form.add_error(
                    "password1" if not hasattr(exc, "error_dict") else None, exc.messages
                )
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                return redirect("portal:dashboard")
        return render(
            request, self.template_name, {"form": form, "invitation": invitation}, status=400
        )


class StaffListView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_STAFF
    template_name = "accounts/staff_list.html"

    def _context(self, request, form):
        grantable = services.roles_grantable_by(request.user)
        invitations = list(open_invitations().select_related("invited_by"))
        for invitation in invitations:
            invitation.revocable = set(invitation.roles) <= grantable
        return {
            "staff": User.objects.order_by("-is_active", "full_name"),
            "invitations": invitations,
            "form": form,
        }

    def _form(self, request, data=None):
        return InviteForm(data, grantable=services.roles_grantable_by(request.user))

    def get(self, request):
        return render(request, self.template_name, self._context(request, self._form(request)))

    def post(self, request):
        form = self._form(request, request.POST)
        if form.is_valid():
            try:
                services.staff_invite(
                    invited_by=request.user,
                    email=form.cleaned_data["email"],
                    full_name=form.cleaned_data["full_name"],
                    roles=form.cleaned_data["roles"],
                    portal_url=tenant_portal_url(request.get_host().split(":")[0]),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
                )
                return redirect("accounts:staff_list")
        return render(request, self.template_name, self._context(request, form), status=400)


class StaffDetailView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_STAFF
    template_name = "accounts/staff_detail.html"

    def _render(self, request, member, form, status=200):
        context = {
            "member": member,
            "form": form,
            "manageable": services.staff_may_manage(actor=request.user, member=member),
        }
        return render(request, self.template_name, context, status=status)

    def _form(self, request, member, data=None):
        grantable = services.roles_grantable_by(request.user)
        return StaffRolesForm(data, initial={"roles": member.roles}, grantable=grantable)

    def get(self, request, pk: int):
        member = get_object_or_404(User, pk=pk)
        return self._render(request, member, self._form(request, member))

    def post(self, request, pk: int):
        member = get_object_or_404(User, pk=pk)
        action = request.POST.get("action", "roles")
        form = self._form(request, member, request.POST if action == "roles" else None)
        try:
            if action == "deactivate":
                services.staff_deactivate(user=member, changed_by=request.user)
                messages.success(
                    request, _("%(name)s can no longer sign in.") % {"name": member.full_name}
                )
                return redirect("accounts:staff_detail", pk=member.pk)
            if action == "reactivate":
                services.staff_reactivate(user=member, changed_by=request.user)
                messages.success(
                    request, _("%(name)s can sign in again.") % {"name": member.full_name}
                )
                return redirect("accounts:staff_detail", pk=member.pk)
            if form.is_valid():
                services.staff_set_roles(
                    user=member, roles=form.cleaned_data["roles"], changed_by=request.user
                )
                messages.success(request, _("Roles saved."))
                return redirect("accounts:staff_detail", pk=member.pk)
        except ValidationError as exc:
            if form.is_bound and services.staff_may_manage(actor=request.user, member=member):
                add_service_errors(form, exc)
            else:  # no roles form on the page to show it beside
                for message in exc.messages:
                    messages.error(request, message)
        return self._render(request, member, form, status=400)


class InvitationRevokeView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_STAFF

    def post(self, request, pk: int):
        invitation = get_object_or_404(Invitation, pk=pk, accepted_at=None, revoked_at=None)
        try:
            services.invitation_revoke(invitation=invitation, revoked_by=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Invitation withdrawn."))
        return redirect("accounts:staff_list")


class RolesView(CapabilityRequiredMixin, View):
    """What each role opens today: only capabilities some feature uses, so the page grows
    as features land. Owners also set here whether managers may give clinical roles."""

    capability = Capability.MANAGE_STAFF
    template_name = "accounts/roles.html"

    def _render(self, request, policy_form=None, status=200):
        from verticals import registry

        # A trade's own capabilities only where the business has that trade on.
        enabled = registry.enabled_keys()
        in_use = [
            cap
            for cap in capabilities_in_use()
            if not getattr(cap, "vertical", "") or cap.vertical in enabled
        ]
        roles = [
            (role, [capability_text(cap) for cap in in_use if cap in ROLE_CAPABILITIES[role]])
            for role in Role
        ]
        matrix = [
            (capability_text(cap), [cap in ROLE_CAPABILITIES[role] for role in Role])
            for cap in in_use
        ]
        policy = services.staff_policy()
        context = {
            "roles": roles,
            "matrix": matrix,
            "policy": policy,
            "policy_form": policy_form
            or StaffPolicyForm(
                initial={"managers_grant_clinical_roles": policy.managers_grant_clinical_roles}
            ),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request)

    def post(self, request):
        form = StaffPolicyForm(request.POST)
        if form.is_valid():
            try:
                services.staff_policy_update(
                    changed_by=request.user,
                    managers_grant_clinical_roles=form.cleaned_data[
                        "managers_grant_clinical_roles"
                    ],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Staff access rules saved."))
                return redirect("accounts:roles")
        return self._render(request, policy_form=form, status=400)


class SecurityView(CapabilityRequiredMixin, View):
    """A user's own account: name, language, two-factor login."""

    capability = Capability.VIEW_DASHBOARD
    template_name = "accounts/security.html"

    def _context(self, request, prefs=None, code_form=None):
        user = request.user
        context = {
            "prefs": prefs or PreferencesForm(instance=user),
            "code_form": code_form or TwoFactorCodeForm(),
        }
        if not user.has_two_factor:
            context.update(totp_setup(request, label=f"{connection.tenant.name}:{user.email}"))
        return context

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        action = request.POST.get("action")
        user = request.user
        if action == "preferences":
            prefs = PreferencesForm(request.POST, instance=user)
            if prefs.is_valid():
                services.user_update_preferences(
                    user=user,
                    full_name=prefs.cleaned_data["full_name"],
                    language=prefs.cleaned_data["language"],
                )
                messages.success(request, _("Preferences saved."))
                return redirect("accounts:security")
            return render(
                request, self.template_name, self._context(request, prefs=prefs), status=400
            )
        code_form = TwoFactorCodeForm(request.POST)
        if action in {"enable_2fa", "disable_2fa"} and code_form.is_valid():
            try:
                if action == "enable_2fa":
                    services.totp_enable(
                        user=user,
                        secret=request.session.get(SETUP_SECRET_KEY, ""),
                        code=code_form.cleaned_data["code"],
                    )
                    request.session.pop(SETUP_SECRET_KEY, None)
                    messages.success(request, _("Two-factor login is on."))
                else:
                    services.totp_disable(user=user, code=code_form.cleaned_data["code"])
                    messages.success(request, _("Two-factor login is off."))
                return redirect("accounts:security")
            except ValidationError as exc:
                add_service_errors(code_form, exc)
        elif action not in {"enable_2fa", "disable_2fa"}:
            raise Http404
        return render(
            request, self.template_name, self._context(request, code_form=code_form), status=400
        )


class LanguageView(View):
    """Switch language: saved on the user when signed in, in a cookie otherwise."""

    def post(self, request):
        form = LanguageForm(request.POST)
        target = _safe_next(request, "/")
        response = HttpResponseRedirect(target)
        if form.is_valid():
            language = form.cleaned_data["language"]
            if request.user.is_authenticated and connection.schema_name != "public":
                services.user_set_language(user=request.user, language=language)
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
            )
        return response
