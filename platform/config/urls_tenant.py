from django.urls import include, path

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("clients/", include("clients.urls")),
    path("clients/", include("privacy.urls")),
    path("", include("portal.urls")),
]
