"""The pages the links in messages open, without a login."""

from django.urls import path

from notifications import link_views as views

app_name = "msglinks"

urlpatterns = [
    path("c/<str:token>/", views.ConfirmView.as_view(), name="confirm"),
    path("x/<str:token>/", views.CancelView.as_view(), name="cancel"),
    path("s/<str:token>/", views.SurveyView.as_view(), name="survey"),
    path("o/<str:token>/<str:channel>/", views.OptOutView.as_view(), name="opt_out"),
]
