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
        "bills/<int:pk>/receipt/email/",
        receipt_views.ReceiptEmailView.as_view(),
        name="receipt_email",
    ),
    path(
        "clients/<int:pk>/invoice-details/",
        client_file_views.BillingProfileView.as_view(),
        name="billing_profile",
    ),
]

# The money reports, expenses, budgets and the cash count (finance.report_views).
from finance import report_views  # noqa: E402

urlpatterns += [
    path("reports/", report_views.ClosingView.as_view(), name="report_closing"),
    path("reports/cash-count/", report_views.CashCountView.as_view(), name="cash_count"),
    path("reports/revenue/", report_views.RevenueView.as_view(), name="report_revenue"),
    path(
        "reports/outstanding/",
        report_views.OutstandingView.as_view(),
        name="report_outstanding",
    ),
    path("reports/cards/", report_views.CardsView.as_view(), name="report_cards"),
    path("reports/expenses/", report_views.ExpensesView.as_view(), name="expenses"),
    path(
        "reports/expenses/<int:pk>/",
        report_views.ExpenseEditView.as_view(),
        name="expense_edit",
    ),
    path(
        "reports/expenses/<int:pk>/delete/",
        report_views.ExpenseDeleteView.as_view(),
        name="expense_delete",
    ),
    path("reports/budgets/", report_views.BudgetsView.as_view(), name="budgets"),
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

# The till's settings (finance.settings_views).
from finance import settings_views  # noqa: E402

urlpatterns += [
    path("settings/", settings_views.FinanceSettingsView.as_view(), name="settings"),
]
