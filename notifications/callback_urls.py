"""Where gateways report delivery and pass on replies."""

from django.urls import path  # noqa: F401

app_name = "msghooks"

urlpatterns: list = []
