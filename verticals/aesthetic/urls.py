import importlib.util

from django.urls import include, path

from verticals.aesthetic import views

app_name = "aesthetic"
urlpatterns = [
    path("client/<int:client_id>/skin/", views.SkinProfileView.as_view(), name="skin_edit"),
    path("client/<int:client_id>/record/new/", views.RecordCreateView.as_view(), name="record_new"),
    path("client/<int:client_id>/print/", views.RecordPrintView.as_view(), name="record_print"),
    path("client/<int:client_id>/photos/new/", views.PhotoCreateView.as_view(), name="photo_new"),
    path(
        "client/<int:client_id>/photos/compare/",
        views.PhotoCompareView.as_view(),
        name="photo_compare",
    ),
    path("record/<int:pk>/", views.RecordDetailView.as_view(), name="record"),
    path("record/<int:pk>/edit/", views.RecordEditView.as_view(), name="record_edit"),
    path("photo/<int:pk>/delete/", views.PhotoDeleteView.as_view(), name="photo_delete"),
    path("visit/<int:visit_id>/", views.VisitRecordView.as_view(), name="visit_record"),
]

# The consent forms' pages (verticals.aesthetic.consents), under consents/ with the
# namespace "consents" (aesthetic:consents:…), once that part of the vertical is there.
if importlib.util.find_spec("verticals.aesthetic.consents.declarations") is not None:
    from verticals.aesthetic.consents import declarations as _consents

    _urls = getattr(_consents, "URLS", "")
    if _urls and importlib.util.find_spec(_urls) is not None:
        urlpatterns.append(path("consents/", include((_urls, "consents"), namespace="consents")))
