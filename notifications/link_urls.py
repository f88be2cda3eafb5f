"""The pages the links in messages open, without a login."""

from django.urls import path  # noqa: F401

app_name = "msglinks"

urlpatterns: list = []
