from django.urls import path

from clients import household_views, merge_views, settings_views, views

app_name = "clients"
urlpatterns = [
    path("", views.ClientListView.as_view(), name="list"),
    path("new/", views.ClientCreateView.as_view(), name="create"),
    path("bulk-tag/", views.ClientBulkTagView.as_view(), name="bulk_tag"),
    path("saved-lists/", views.SavedListCreateView.as_view(), name="saved_list_create"),
    path(
        "saved-lists/<int:pk>/delete/",
        views.SavedListDeleteView.as_view(),
        name="saved_list_delete",
    ),
    path("birthdays/", views.BirthdayListView.as_view(), name="birthdays"),
    path("settings/", settings_views.ClientSettingsView.as_view(), name="settings"),
    path("settings/tags/<int:pk>/", settings_views.TagEditView.as_view(), name="tag_edit"),
    path(
        "settings/sections/<int:pk>/",
        settings_views.SectionEditView.as_view(),
        name="section_edit",
    ),
    path("settings/fields/new/", settings_views.CustomFieldEditView.as_view(), name="field_create"),
    path(
        "settings/fields/<int:pk>/", settings_views.CustomFieldEditView.as_view(), name="field_edit"
    ),
    path("<int:pk>/photo/", views.ClientPhotoView.as_view(), name="photo"),
    path("<int:pk>/", views.ClientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ClientEditView.as_view(), name="edit"),
    path("<int:pk>/health/edit/", views.ClientHealthEditView.as_view(), name="health_edit"),
    path("<int:pk>/household/", household_views.HouseholdView.as_view(), name="household"),
    path("<int:pk>/merge/", merge_views.MergeChooseView.as_view(), name="merge"),
    path(
        "<int:pk>/merge/<int:kept_pk>/",
        merge_views.MergeCompareView.as_view(),
        name="merge_compare",
    ),
    path("<int:pk>/<str:tab>/", views.ClientDetailView.as_view(), name="detail_tab"),
]
