from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("import/", views.ImportStartView.as_view(), name="start"),
    path("import/<int:pk>/mapping/", views.ImportMappingView.as_view(), name="mapping"),
    path("import/<int:pk>/", views.ImportJobView.as_view(), name="job"),
    path("import/<int:pk>/commit/", views.ImportCommitView.as_view(), name="commit"),
    path("import/<int:pk>/settle/", views.ImportSettleView.as_view(), name="settle"),
    path("import/<int:pk>/discard/", views.ImportDiscardView.as_view(), name="discard"),
    path("export.<str:fmt>", views.ExportView.as_view(), name="export"),
]
