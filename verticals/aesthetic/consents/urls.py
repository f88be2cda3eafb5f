from django.urls import path

from verticals.aesthetic.consents import views

app_name = "consents"
urlpatterns = [
    path("forms/", views.FormListView.as_view(), name="forms"),
    path("forms/new/", views.FormEditView.as_view(), name="form_create"),
    path("forms/<int:pk>/", views.FormEditView.as_view(), name="form_edit"),
    path("clients/<int:client_id>/sign/<int:form_id>/", views.SignView.as_view(), name="sign"),
    path("clients/<int:client_id>/document/", views.DocumentView.as_view(), name="document"),
]
