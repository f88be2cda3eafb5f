"""Online booking for clients under /book/ on the business's own host (public, no
login): scheduling.booking_views."""

from django.urls import path

from scheduling import booking_views as bv

app_name = "booking"
urlpatterns = [
    path("", bv.HomeView.as_view(), name="home"),
    path("<int:service_id>/", bv.StaffView.as_view(), name="staff"),
    path("<int:service_id>/times/", bv.TimesView.as_view(), name="times"),
    path("<int:service_id>/details/", bv.DetailsView.as_view(), name="details"),
    path("done/<str:token>/", bv.DoneView.as_view(), name="done"),
    path("manage/<str:token>/", bv.ManageView.as_view(), name="manage"),
    path("manage/<str:token>/cancel/", bv.CancelView.as_view(), name="cancel"),
    path("manage/<str:token>/move/", bv.MoveView.as_view(), name="move"),
]
