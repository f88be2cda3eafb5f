"""The operator console's sign-in: the same lockout and optional two-factor login as a
business's staff (accounts' views, with the console's pages), for superusers of the
public schema only. The Django admin's login page is this one too."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts import services
from accounts.forms import TwoFactorCodeForm
from accounts.views import SETUP_SECRET_KEY, LoginView, TwoFactorLoginView, totp_setup
from core.forms import add_service_errors
from tenants.views import OperatorRequiredMixin


class OperatorLoginView(LoginView):
    template_name = "tenants/operator_login.html"
    success_url_name = "console"
    code_url_name = "console_login_2fa"

    def allowed(self, user) -> bool:
        # A tenant user never exists here, but a plain public-schema user might.
        return user.is_superuser and user.is_active


class OperatorTwoFactorLoginView(TwoFactorLoginView):
    template_name = "tenants/operator_login_2fa.html"
    auth_base = "tenants/operator_auth_base.html"
    success_url_name = "console"
    login_url_name = "console_login"


class OperatorSecurityView(OperatorRequiredMixin, View):
    """An operator turns two-factor login on or off for their own account."""

    template_name = "tenants/operator_security.html"

    def _render(self, request, form=None, status: int = 200):
        user = request.user
        context = {"form": form or TwoFactorCodeForm()}
        if not user.has_two_factor:
            label = f"{connection.tenant.name}-operators:{user.email}"
            context.update(totp_setup(request, label=label))
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request)

    def post(self, request):
        form = TwoFactorCodeForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["code"]
            try:
                if request.user.has_two_factor:
                    services.totp_disable(user=request.user, code=code)
                    messages.success(request, _("Two-factor login is off."))
                else:
                    services.totp_enable(
                        user=request.user,
                        secret=request.session.get(SETUP_SECRET_KEY, ""),
                        code=code,
                    )
                    request.session.pop(SETUP_SECRET_KEY, None)
                    messages.success(request, _("Two-factor login is on."))
                return redirect("console_security")
            except ValidationError as exc:
                add_service_errors(form, exc)
        return self._render(request, form, status=400)
