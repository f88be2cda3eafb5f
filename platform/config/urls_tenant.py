from django.urls import include, path

from verticals import registry

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("clients/", include("imports.urls")),
    path("clients/", include("clients.urls")),
    path("visits/", include("visits.urls")),
    path("appointments/", include("scheduling.urls")),
    path("book/", include("scheduling.booking_urls")),
    path("till/", include("finance.urls")),
    path("messages/", include("notifications.urls")),
    # Short links in texts: confirm, cancel, survey, opt out (no login).
    path("m/", include("notifications.link_urls")),
    # Gateways' delivery reports and replies.
    path("hooks/messages/", include("notifications.callback_urls")),
    path("", include("contactlog.urls")),
    path("clients/", include("privacy.urls")),
    path("files/", include("filestore.urls")),
    # Each vertical's pages under /<key>/ (aesthetic, dental, optical).
    *registry.urlpatterns(),
    path("", include("portal.urls")),
]
