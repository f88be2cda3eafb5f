from django.urls import path

from clients import merge_views, views

app_name = "clients"
urlpatterns = [
    path("", views.ClientListView.as_view(), name="list"),
    path("new/", views.ClientCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ClientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ClientEditView.as_view(), name="edit"),
    path("<int:pk>/health/edit/", views.ClientHealthEditView.as_view(), name="health_edit"),
    path("<int:pk>/merge/", merge_views.MergeChooseView.as_view(), name="merge"),
    path(
        "<int:pk>/merge/<int:kept_pk>/",
        merge_views.MergeCompareView.as_view(),
        name="merge_compare",
    ),
    path("<int:pk>/<str:tab>/", views.ClientDetailView.as_view(), name="detail_tab"),
]
