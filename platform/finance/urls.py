"""The till's pages under /till/. Each part of the app (bills, cards, reports, settings)
keeps its views in its own module and adds its paths here."""

from django.urls import path  # noqa: F401

app_name = "finance"

urlpatterns: list = []

# Receipts, and the client file's invoice details.
from finance import client_file_views, receipt_views  # noqa: E402

urlpatterns += [
    path("bills/<int:pk>/receipt.pdf", receipt_views.ReceiptPDFView.as_view(), name="receipt_pdf"),
    path("bills/<int:pk>/print/", receipt_views.ReceiptPrintView.as_view(), name="receipt_print"),
    path(
        "clients/<int:pk>/invoice-details/",
        client_file_views.BillingProfileView.as_view(),
        name="billing_profile",
    ),
]

# Cards, packages and memberships: the products on sale, one card's ledger, transfers.
from finance import card_views  # noqa: E402

urlpatterns += [
    path("cards/products/", card_views.ProductListView.as_view(), name="card_products"),
    path("cards/products/new/", card_views.ProductFormView.as_view(), name="card_product_create"),
    path(
        "cards/products/<int:pk>/",
        card_views.ProductFormView.as_view(),
        name="card_product_edit",
    ),
    path(
        "cards/products/<int:pk>/<str:action>/",
        card_views.ProductStateView.as_view(),
        name="card_product_state",
    ),
    path("cards/<int:pk>/", card_views.CardDetailView.as_view(), name="card"),
    path("cards/<int:pk>/transfer/", card_views.CardTransferView.as_view(), name="card_transfer"),
]

# Bills at the counter (finance.bill_views): the list, a new bill, one bill, and the
# appointment page's "Bill" button.
from finance import bill_views  # noqa: E402

urlpatterns += [
    path("", bill_views.BillListView.as_view(), name="bills"),
    path("bills/new/", bill_views.BillCreateView.as_view(), name="bill_create"),
    path("bills/clients/", bill_views.ClientSearchView.as_view(), name="bill_clients"),
    path("bills/<int:pk>/", bill_views.BillView.as_view(), name="bill"),
    path(
        "appointments/<int:pk>/bill/",
        bill_views.BillFromAppointmentView.as_view(),
        name="bill_from_appointment",
    ),
]
