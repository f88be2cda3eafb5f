"""The calendar and its set-up, under /appointments/. Each part keeps its views in a
module of its own and lists its paths here."""

from django.urls import path  # noqa: F401 - used by the parts' entries below

app_name = "scheduling"
urlpatterns: list = []
