from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path(
        "settings/clinical-modules/",
        views.ClinicalModulesView.as_view(),
        name="settings_clinical_modules",
    ),
    path("branding/logo", views.LogoView.as_view(), name="logo"),
]
