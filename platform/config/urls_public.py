from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from accounts.views import LanguageView
from tenants import views

admin.site.site_header = _("ClinicDesk platform administration")
admin.site.site_title = _("ClinicDesk operators")

urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("language/", LanguageView.as_view(), name="language"),
    path("console/", views.ConsoleView.as_view(), name="console"),
    path(
        "console/tenants/<int:pk>/<str:action>/",
        views.ConsoleTenantActionView.as_view(),
        name="console_tenant_action",
    ),
    path("admin/", admin.site.urls),
]
