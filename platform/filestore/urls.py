from django.urls import path

from filestore import views

app_name = "filestore"
urlpatterns = [
    path("<uuid:pk>/", views.FileView.as_view(), name="open"),
    path("<uuid:pk>/thumb/", views.FileView.as_view(thumb=True), name="thumb"),
]
