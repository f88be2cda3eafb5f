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
