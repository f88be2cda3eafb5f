"""The portal's message pages: the log, a message's life, templates and settings."""

from django.urls import path

from notifications import template_views, views

app_name = "notifications"

urlpatterns: list = [
    path("", views.MessageLogView.as_view(), name="log"),
    path("<int:pk>/", views.MessageDetailView.as_view(), name="message"),
    path(
        "<int:pk>/<str:action>/",
        views.MessageActionView.as_view(),
        name="message_action",
    ),
    path("settings/", views.NotificationSettingsView.as_view(), name="settings"),
    path("templates/", template_views.TemplateListView.as_view(), name="templates"),
    path(
        "templates/<str:kind>/<str:channel>/<str:language>/",
        template_views.TemplateEditView.as_view(),
        name="template",
    ),
]
