from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.views import LanguageView
from billing import views as billing_views
from billing.console import ConsoleBillingView
from notifications import callback_views as message_hooks
from tenants import operator_auth, views

admin.site.site_header = _("ClinicDesk platform administration")
admin.site.site_title = _("ClinicDesk operators")

urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("language/", LanguageView.as_view(), name="language"),
    path(
        "billing/stripe/webhook/",
        billing_views.StripeWebhookView.as_view(),
        name="stripe_webhook",
    ),
    # Aliyun SMS pushes every business's delivery reports and replies to one URL.
    path(
        "hooks/aliyun/<str:token>/report/",
        message_hooks.AliyunReportView.as_view(),
        name="aliyun_sms_report",
    ),
    path(
        "hooks/aliyun/<str:token>/reply/",
        message_hooks.AliyunReplyView.as_view(),
        name="aliyun_sms_reply",
    ),
    path("console/", views.ConsoleView.as_view(), name="console"),
    path("console/login/", operator_auth.OperatorLoginView.as_view(), name="console_login"),
    path(
        "console/login/code/",
        operator_auth.OperatorTwoFactorLoginView.as_view(),
        name="console_login_2fa",
    ),
    path(
        "console/security/", operator_auth.OperatorSecurityView.as_view(), name="console_security"
    ),
    path("console/billing/", ConsoleBillingView.as_view(), name="console_billing"),
    path("console/plans/", billing_views.PlanListView.as_view(), name="console_plans"),
    path("console/plans/new/", billing_views.PlanEditView.as_view(), name="console_plan_new"),
    path("console/plans/<int:pk>/", billing_views.PlanEditView.as_view(), name="console_plan"),
    path(
        "console/plans/<int:pk>/withdraw/",
        billing_views.PlanDeactivateView.as_view(),
        name="console_plan_deactivate",
    ),
    path("console/tenants/<int:pk>/", views.ConsoleTenantView.as_view(), name="console_tenant"),
    path(
        "console/tenants/<int:pk>/<str:action>/",
        views.ConsoleTenantActionView.as_view(),
        name="console_tenant_action",
    ),
    # The admin signs in through the console's login (lockout, two-factor), not its own.
    path("admin/login/", operator_auth.OperatorLoginView.as_view()),
    path("admin/", admin.site.urls),
]
