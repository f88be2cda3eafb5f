from django.urls import path

from billing import portal_views as billing_views
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
    path("settings/billing/", billing_views.BillingView.as_view(), name="billing"),
    path(
        "settings/billing/checkout/", billing_views.CheckoutView.as_view(), name="billing_checkout"
    ),
    path(
        "settings/billing/cards/",
        billing_views.CustomerPortalView.as_view(),
        name="billing_customer_portal",
    ),
    path(
        "settings/billing/change/",
        billing_views.PlanChangeView.as_view(),
        name="billing_plan_change",
    ),
    path("branding/logo", views.LogoView.as_view(), name="logo"),
]
