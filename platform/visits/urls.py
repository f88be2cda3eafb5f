from django.urls import path

from visits import views

app_name = "visits"
urlpatterns = [
    path("client/<int:client_pk>/new/", views.VisitCreateView.as_view(), name="create"),
    path("<int:pk>/edit/", views.VisitEditView.as_view(), name="edit"),
    path("<int:pk>/delete/", views.VisitDeleteView.as_view(), name="delete"),
]
