from django.urls import path

from verticals.optical import views

app_name = "optical"
urlpatterns = [
    path("client/<int:client_id>/exam/new/", views.ExamCreateView.as_view(), name="exam_new"),
    path("exam/<int:pk>/", views.ExamDetailView.as_view(), name="exam"),
    path("exam/<int:pk>/edit/", views.ExamEditView.as_view(), name="exam_edit"),
    path(
        "client/<int:client_id>/dispensing/new/",
        views.DispensingCreateView.as_view(),
        name="dispensing_new",
    ),
    path("dispensing/<int:pk>/", views.DispensingDetailView.as_view(), name="dispensing"),
    path(
        "dispensing/<int:pk>/status/",
        views.DispensingStatusView.as_view(),
        name="dispensing_status",
    ),
    path(
        "client/<int:client_id>/spectacle-rx/",
        views.SpectacleRxPrintView.as_view(),
        name="spectacle_rx",
    ),
    path(
        "client/<int:client_id>/spectacle-rx/pdf/",
        views.SpectacleRxPdfView.as_view(),
        name="spectacle_rx_pdf",
    ),
    path(
        "client/<int:client_id>/contact-lens-rx/",
        views.ContactLensRxPrintView.as_view(),
        name="contact_lens_rx",
    ),
    path(
        "client/<int:client_id>/contact-lens-rx/pdf/",
        views.ContactLensRxPdfView.as_view(),
        name="contact_lens_rx_pdf",
    ),
    path("settings/", views.SettingsView.as_view(), name="settings"),
    path("visit/<int:visit_id>/", views.VisitRecordView.as_view(), name="visit_record"),
]
