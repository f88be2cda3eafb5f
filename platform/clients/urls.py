from django.urls import path

from clients import views

app_name = "clients"
urlpatterns = [
    path("", views.ClientListView.as_view(), name="list"),
    path("new/", views.ClientCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ClientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ClientEditView.as_view(), name="edit"),
    path("<int:pk>/health/edit/", views.ClientHealthEditView.as_view(), name="health_edit"),
    path("<int:pk>/<str:tab>/", views.ClientDetailView.as_view(), name="detail_tab"),
]
