"""The portal's message pages: the log, a message's life, templates and settings."""

from django.urls import path  # noqa: F401

app_name = "notifications"

urlpatterns: list = []
