"""Where gateways report delivery and pass on replies (on the business's own host).
Aliyun's one global push URL is in config.urls_public."""

from django.urls import path

from notifications import callback_views as views

app_name = "msghooks"

urlpatterns = [
    path("twilio/status/", views.TwilioStatusView.as_view(), name="twilio_status"),
    path("twilio/inbound/", views.TwilioInboundView.as_view(), name="twilio_inbound"),
    path("generic/status/", views.GenericStatusView.as_view(), name="generic_status"),
    path("generic/inbound/", views.GenericInboundView.as_view(), name="generic_inbound"),
]
