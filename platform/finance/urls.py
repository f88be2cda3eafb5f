"""The till's pages under /till/. Each part of the app (bills, cards, reports, settings)
keeps its views in its own module and adds its paths here."""

from django.urls import path  # noqa: F401

app_name = "finance"

urlpatterns: list = []
