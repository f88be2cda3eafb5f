"""The calendar and its set-up, under /appointments/. Each part keeps its views in a
module of its own and lists its paths here."""

from django.urls import path  # noqa: F401 - used by the parts' entries below

app_name = "scheduling"
urlpatterns: list = []

# ---------- set-up (scheduling.setup_views) ----------
from scheduling import setup_views as sv  # noqa: E402

urlpatterns += [
    path("setup/", sv.SetupHomeView.as_view(), name="setup"),
    path("setup/services/", sv.ServiceListView.as_view(), name="setup_services"),
    path("setup/services/new/", sv.ServiceFormView.as_view(), name="setup_service_create"),
    path("setup/services/<int:pk>/", sv.ServiceFormView.as_view(), name="setup_service_edit"),
    path(
        "setup/services/<int:pk>/<slug:action>/",
        sv.ServiceStateView.as_view(),
        name="setup_service_state",
    ),
    path("setup/categories/", sv.CategoryListView.as_view(), name="setup_categories"),
    path("setup/categories/<int:pk>/", sv.CategoryEditView.as_view(), name="setup_category_edit"),
    path("setup/resources/", sv.ResourceListView.as_view(), name="setup_resources"),
    path("setup/resources/<int:pk>/", sv.ResourceEditView.as_view(), name="setup_resource_edit"),
    path("setup/hours/", sv.BusinessHoursView.as_view(), name="setup_hours"),
    path("setup/staff/", sv.StaffListView.as_view(), name="setup_staff"),
    path("setup/staff/<int:pk>/", sv.StaffHoursView.as_view(), name="setup_staff_hours"),
    path(
        "setup/time-off/<int:pk>/delete/",
        sv.TimeOffDeleteView.as_view(),
        name="setup_time_off_delete",
    ),
    path("setup/holidays/", sv.HolidayListView.as_view(), name="setup_holidays"),
    path(
        "setup/holidays/<int:pk>/delete/",
        sv.HolidayDeleteView.as_view(),
        name="setup_holiday_delete",
    ),
    path("setup/online/", sv.BookingRulesView.as_view(), name="setup_online"),
]

# ---------- calendar (scheduling.calendar_views) ----------
from scheduling import calendar_views as cv  # noqa: E402

urlpatterns += [
    path("", cv.CalendarView.as_view(), name="calendar"),
    path("new/", cv.BookView.as_view(), name="book"),
    path("new/clients/", cv.ClientSearchView.as_view(), name="book_clients"),
    path("<int:pk>/", cv.AppointmentView.as_view(), name="appointment"),
    path("<int:pk>/status/", cv.AppointmentActionView.as_view(), name="appointment_action"),
    path("<int:pk>/move/", cv.MoveView.as_view(), name="move"),
]

# ---------- recalls (scheduling.recall_views) ----------
from scheduling import recall_views as rv  # noqa: E402

urlpatterns += [
    path("recalls/", rv.RecallListView.as_view(), name="recalls"),
    path("recalls/<int:pk>/contact/", rv.RecallContactView.as_view(), name="recall_contact"),
    path("recalls/<int:pk>/dismiss/", rv.RecallDismissView.as_view(), name="recall_dismiss"),
]

# ---------- calendar feeds (scheduling.feed_views) ----------
from scheduling import feed_views as fv  # noqa: E402

urlpatterns += [
    path("feed/<str:secret>.ics", fv.FeedView.as_view(), name="feed"),
    path("feeds/", fv.FeedSettingsView.as_view(), name="feeds"),
    path("feeds/<int:pk>/<slug:action>/", fv.FeedActionView.as_view(), name="feed_action"),
]

# ---------- waitlist (scheduling.waitlist_views) ----------
from scheduling import waitlist_views as wv  # noqa: E402

urlpatterns += [
    path("waitlist/", wv.WaitlistView.as_view(), name="waitlist"),
    path("waitlist/<int:pk>/<slug:action>/", wv.WaitlistCloseView.as_view(), name="waitlist_close"),
]
