"""Where the till plugs into the rest of the portal: audit names, navigation, the client
file's tab and timeline, merge/export/erasure and the dashboard. Each part of the app adds
its own ``_connect_*`` here."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def connect() -> None:
    from audit import display
    from finance import models as m

    for key, label, model in (
        ("bill", _("bill"), m.Bill),
        ("payment", _("payment"), m.Payment),
        ("refund", _("refund"), m.Refund),
        ("card_product", _("card or package on sale"), m.CardProduct),
        ("card", _("stored-value card, package or membership"), m.Card),
        ("card_entry", _("card movement"), m.CardEntry),
        ("finance_settings", _("till settings"), m.FinanceSettings),
        ("expense", _("expense"), m.Expense),
        ("budget", _("budget"), m.Budget),
        ("cash_count", _("cash count"), m.CashCount),
        ("billing_profile", _("invoice details"), m.BillingProfile),
    ):
        display.register(display.ObjectType(key, label, model))
    _connect_client_file()
    _connect_receipts()
    _connect_reports()
    _connect_cards()
    _connect_bills()
    _connect_settings()


def _connect_client_file() -> None:
    """The client file's Finance tab (front desk sees the money, never the medical
    history), the timeline's bills and card movements, and the client's export, erasure
    and merge."""
    from accounts.roles import Capability
    from clients import profile, related
    from finance import client_file as cf

    profile.register_tab(
        profile.ProfileTab(
            "finance",
            _("Finance"),
            35,
            Capability.TAKE_PAYMENTS,
            "finance/client_file/tab.html",
            cf.finance_tab_context,
        )
    )
    profile.register_timeline(
        profile.TimelineSource("finance", Capability.TAKE_PAYMENTS, cf.timeline_entries)
    )
    related.register(
        related.ClientData(
            "finance",
            _("Bills, payments and cards"),
            cf.finance_export,
            cf.finance_erase,
            cf.finance_merge,
        )
    )


def _connect_receipts() -> None:
    """Receipts are pages of their bills (finance.receipt_views): nothing to register
    beyond their URLs; the capability they are guarded by counts as in use there."""


def _connect_reports() -> None:
    """The money reports in the sidebar (owner and manager) and today's takings on their
    dashboard."""
    from accounts.roles import Capability
    from finance import report_views
    from portal import dashboard, navigation

    navigation.register(
        navigation.NavItem(
            "finance_reports",
            _("Reports"),
            "finance:report_closing",
            Capability.VIEW_FINANCE,
            "chart",
            60,
        )
    )
    dashboard.register(
        dashboard.DashboardWidget(
            "takings_today",
            3,
            Capability.VIEW_FINANCE,
            "finance/reports/dashboard_takings.html",
            report_views.takings_widget_context,
        )
    )


def _connect_cards() -> None:
    """The cards, packages and memberships on sale: set up in the admin section."""
    from accounts.roles import Capability
    from portal import navigation

    navigation.register(
        navigation.NavItem(
            "card_products",
            _("Cards and packages"),
            "finance:card_products",
            Capability.MANAGE_SETTINGS,
            "list",
            915,
            section="admin",
        )
    )


def _connect_bills() -> None:
    """The till's bills in the sidebar, right after the calendar (15)."""
    from accounts.roles import Capability
    from portal import navigation

    navigation.register(
        navigation.NavItem(
            "till",
            _("Till"),
            "finance:bills",
            Capability.TAKE_PAYMENTS,
            "receipt",
            16,
        )
    )


def _connect_settings() -> None:
    """The till's settings page in the admin section, beside the business settings."""
    from accounts.roles import Capability
    from portal import navigation

    navigation.register(
        navigation.NavItem(
            "till_settings",
            _("Till settings"),
            "finance:settings",
            Capability.MANAGE_SETTINGS,
            "cog",
            925,
            section="admin",
        )
    )
