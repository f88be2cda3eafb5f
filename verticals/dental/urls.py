from django.urls import path

from verticals.dental import views

app_name = "dental"
urlpatterns = [
    path("client/<int:client_id>/chart/", views.ChartView.as_view(), name="chart"),
    path(
        "client/<int:client_id>/chart/history/",
        views.ChartHistoryView.as_view(),
        name="chart_history",
    ),
    path(
        "client/<int:client_id>/chart/entry/",
        views.ToothEntryCreateView.as_view(),
        name="tooth_entry",
    ),
    path("client/<int:client_id>/oral/new/", views.OralRecordView.as_view(), name="oral_new"),
    path("client/<int:client_id>/oral/<int:pk>/", views.OralRecordView.as_view(), name="oral_edit"),
    path("client/<int:client_id>/xray/new/", views.XRayCreateView.as_view(), name="xray_new"),
    path("xray/<int:pk>/delete/", views.XRayDeleteView.as_view(), name="xray_delete"),
    path("client/<int:client_id>/perio/new/", views.PerioCreateView.as_view(), name="perio_new"),
    path(
        "client/<int:client_id>/perio/compare/",
        views.PerioCompareView.as_view(),
        name="perio_compare",
    ),
    path("client/<int:client_id>/perio/print/", views.PerioPrintView.as_view(), name="perio_print"),
    path("perio/<int:pk>/", views.PerioDetailView.as_view(), name="perio"),
    path("client/<int:client_id>/cleaning/new/", views.CleaningView.as_view(), name="cleaning_new"),
    path(
        "client/<int:client_id>/cleaning/<int:pk>/",
        views.CleaningView.as_view(),
        name="cleaning_edit",
    ),
    path("client/<int:client_id>/plan/new/", views.PlanCreateView.as_view(), name="plan_new"),
    path("client/<int:client_id>/plan/print/", views.PlanPrintView.as_view(), name="plan_print"),
    path("client/<int:client_id>/plan/pdf/", views.PlanPdfView.as_view(), name="plan_pdf"),
    path("plan/<int:pk>/", views.PlanView.as_view(), name="plan"),
    path("plan/item/<int:pk>/", views.PlanItemEditView.as_view(), name="plan_item"),
    path("visit/<int:visit_id>/", views.VisitRecordView.as_view(), name="visit_record"),
]
