from django.urls import path

from contactlog import views

app_name = "contactlog"
urlpatterns = [
    path("contacts/client/<int:client_pk>/new/", views.ContactCreateView.as_view(), name="create"),
    path("contacts/<int:pk>/edit/", views.ContactEditView.as_view(), name="edit"),
    path("contacts/<int:pk>/delete/", views.ContactDeleteView.as_view(), name="delete"),
    path("contacts/<int:pk>/done/", views.FollowUpDoneView.as_view(), name="done"),
    path("follow-ups/", views.FollowUpListView.as_view(), name="follow_ups"),
]
