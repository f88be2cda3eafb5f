from django.urls import path

from privacy import views

# Included under clients/ (config.urls_tenant): these pages belong to one client's file.
app_name = "privacy"
urlpatterns = [
    path("<int:pk>/privacy/consent/", views.ConsentRecordView.as_view(), name="consent"),
    path("<int:pk>/privacy/export.json", views.ExportJSONView.as_view(), name="export_json"),
    path("<int:pk>/privacy/export.pdf", views.ExportPDFView.as_view(), name="export_pdf"),
    path("<int:pk>/privacy/erase/", views.EraseView.as_view(), name="erase"),
]
