"""Forms of the till's bill pages: the list's filters, a new bill's client, a line, the
bill's discount, a payment, a refund and a void. They only read what was typed; the rules
(what may be sold, discount limits, what a payment may be) are the services'
(``finance.bills``), whose refusals the views put back on these forms."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import SearchField
from finance.models import (
    BillLine,
    BillStatus,
    Card,
    CardKind,
    CardProduct,
    DiscountKind,
    FinanceSettings,
    LineKind,
    PaymentMethod,
)

MONEY_FIELD = {"max_digits": 12, "decimal_places": 2}
CARD_METHODS = (PaymentMethod.STORED_VALUE, PaymentMethod.PACKAGE)
OPEN_STATUSES = (BillStatus.DRAFT, BillStatus.ISSUED, BillStatus.PARTIALLY_PAID)


def _money(label, *, required=True, minimum=Decimal("0"), **extra) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=minimum,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **MONEY_FIELD,
        **extra,
    )


def _date(label) -> forms.DateField:
    return forms.DateField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def card_label(card: Card) -> str:
    """A card as the pickers show it: name, number and what is left on it."""
    if card.kind == CardKind.PACKAGE:
        left = _("%(n)s sessions left") % {"n": card.sessions_left}
    elif card.kind == CardKind.STORED_VALUE:
        left = _("%(amount)s %(currency)s left") % {
            "amount": card.paid_balance + card.bonus_balance,
            "currency": card.currency,
        }
    else:
        left = str(card.get_kind_display())
    return f"{card.name} · {card.code} · {left}"


def _priced(item) -> str:
    """A service or card product with its price, as the line's pickers show it."""
    return f"{item.name} · {item.price}"


class BillFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), ("open", _("Open (not paid yet)")), *BillStatus.choices],
    )
    date_from = _date(_("From"))
    date_to = _date(_("To"))
    q = SearchField(
        label=_("Client"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Name, phone or file number"),
            }
        ),
    )

    @property
    def active_filters(self) -> int:
        data = getattr(self, "cleaned_data", {})
        return sum(1 for name in ("status", "date_from", "date_to") if data.get(name))


class NewBillForm(forms.Form):
    """A counter bill: for a client picked by search, or for nobody (a walk-in sale)."""

    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    q = SearchField(
        label=_("Find a client"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Name, phone or file number"),
            }
        ),
    )


class LineForm(forms.Form):
    """A line of a draft bill. What is left empty is filled from what was picked (a
    service's name and price, a card's name and price), so a click on a service is
    enough; the service checks the rest."""

    kind = forms.ChoiceField(label=_("Kind"), choices=LineKind.choices)
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=None, required=False, empty_label=_("Choose a service…")
    )
    card_product = forms.ModelChoiceField(
        label=_("Card, package or membership"),
        queryset=None,
        required=False,
        empty_label=_("Choose what to sell…"),
        help_text=_("For a top-up: the stored-value offer whose bonus it earns, if any."),
    )
    card = forms.ModelChoiceField(
        label=_("Card to top up"),
        queryset=None,
        required=False,
        empty_label=_("Choose a card…"),
    )
    description = forms.CharField(label=_("Item"), max_length=200, required=False)
    staff = forms.ModelChoiceField(
        label=_("Staff member"), queryset=None, required=False, empty_label=_("Nobody")
    )
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=999, initial=1, required=False
    )
    unit_price = _money(
        _("Unit price"),
        required=False,
        help_text=_("Empty: the price of the service or card."),
    )
    discount_kind = forms.ChoiceField(
        label=_("Discount"), choices=DiscountKind.choices, required=False
    )
    discount_value = _money(_("Discount (amount or %)"), required=False)
    discount_reason = forms.CharField(
        label=_("Reason for the discount"), max_length=200, required=False
    )

    def __init__(self, *args, services=(), products=(), cards=(), staff=(), line=None, **kwargs):
        """``services``, ``products``, ``cards`` and ``staff`` are lists read once for all
        the line forms of a page: the choices are drawn from them without a query. With
        ``line`` the form edits it: its kind and service stay (remove the line and add
        another to change them)."""
        super().__init__(*args, **kwargs)
        self.line = line
        from accounts.models import User
        from scheduling.models import Service

        for name, model, rows, label in (
            ("service", Service, services, _priced),
            ("card_product", CardProduct, products, _priced),
            ("card", Card, cards, card_label),
            ("staff", User, staff, str),
        ):
            field = self.fields[name]
            field.queryset = model.objects.filter(pk__in=[row.pk for row in rows])
            field.choices = [("", field.empty_label)] + [(row.pk, label(row)) for row in rows]
        self.fields["kind"].widget.attrs["data-line-kind"] = ""
        if line is not None:
            del self.fields["kind"], self.fields["service"]
            if line.kind != LineKind.CARD:
                del self.fields["card_product"]
            if line.kind != LineKind.TOP_UP:
                del self.fields["card"]

    def clean(self):
        data = super().clean()
        if self.line is not None:
            data["kind"], data["service"] = self.line.kind, self.line.service
            data.setdefault("card_product", self.line.card_product)
            data.setdefault("card", self.line.card)
        kind = data.get("kind")
        service, product, card = data.get("service"), data.get("card_product"), data.get("card")
        if kind == LineKind.SERVICE and service is None:
            self.add_error("service", _("Choose the service."))
        if kind == LineKind.CARD and product is None:
            self.add_error("card_product", _("Choose the card, package or membership."))
        if kind == LineKind.TOP_UP and card is None:
            self.add_error("card", _("Choose the card to top up."))
        if kind != LineKind.SERVICE:
            data["service"] = None
        if kind not in (LineKind.CARD, LineKind.TOP_UP):
            data["card_product"] = None
        if kind != LineKind.TOP_UP:
            data["card"] = None
        if not data.get("description"):
            picked = {
                LineKind.SERVICE: service,
                LineKind.CARD: product,
                LineKind.TOP_UP: card,
            }.get(kind)
            if picked is not None and kind == LineKind.TOP_UP:
                data["description"] = _("Top-up of %(card)s") % {"card": picked}
            elif picked is not None:
                data["description"] = picked.name
            elif kind in (LineKind.PRODUCT, LineKind.OTHER):
                self.add_error("description", _("Say what is sold."))
        if data.get("unit_price") is None:
            if kind == LineKind.SERVICE and service is not None:
                data["unit_price"] = service.price
            elif kind == LineKind.CARD and product is not None:
                data["unit_price"] = product.price
            elif kind in (LineKind.PRODUCT, LineKind.OTHER, LineKind.TOP_UP):
                self.add_error("unit_price", _("Give the price."))
        data["quantity"] = data.get("quantity") or 1
        data["discount_kind"] = data.get("discount_kind") or ""
        data["discount_value"] = data.get("discount_value") or Decimal("0")
        data["discount_reason"] = data.get("discount_reason") or ""
        return data

    def line_values(self) -> dict:
        """The keyword arguments of ``bills.line_add``/``line_update`` (but the bill, line
        and actor)."""
        data = self.cleaned_data
        values = {
            "kind": data["kind"],
            "description": data["description"],
            "unit_price": data["unit_price"],
            "quantity": data["quantity"],
            "service": data.get("service"),
            "staff": data.get("staff"),
            "card_product": data.get("card_product"),
            "card": data.get("card"),
            "discount_kind": data["discount_kind"],
            "discount_value": data["discount_value"],
            "discount_reason": data["discount_reason"],
        }
        if self.line is not None:
            del values["kind"], values["service"]
        return values


class BillDiscountForm(forms.Form):
    discount_kind = forms.ChoiceField(
        label=_("Discount on the whole bill"), choices=DiscountKind.choices, required=False
    )
    discount_value = _money(_("Amount or %"), required=False)
    discount_reason = forms.CharField(
        label=_("Reason for the discount"), max_length=200, required=False
    )


class PaymentForm(forms.Form):
    method = forms.ChoiceField(label=_("Payment method"))
    amount = _money(_("Amount"), minimum=Decimal("0.01"))
    tendered = _money(
        _("Cash handed over"),
        required=False,
        help_text=_("Cash only: the change due is worked out from it."),
    )
    card = forms.ModelChoiceField(
        label=_("Card"),
        queryset=None,
        required=False,
        empty_label=_("Choose the client's card…"),
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Terminal slip, transaction or transfer number."),
    )

    def __init__(self, *args, settings: FinanceSettings, cards=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [
            (value, label) for value, label in PaymentMethod.choices if settings.takes(value)
        ]
        cards = list(cards or [])
        self.fields["card"].queryset = Card.objects.filter(pk__in=[c.pk for c in cards])
        # The choices from the cards already read: no query when the form is drawn.
        self.fields["card"].choices = [("", self.fields["card"].empty_label)] + [
            (c.pk, card_label(c)) for c in cards
        ]
        self.fields["method"].widget.attrs["data-pay-method"] = ""
        self.fields["amount"].widget.attrs["data-pay-amount"] = ""
        self.fields["tendered"].widget.attrs["data-pay-tendered"] = ""
        self.fields["card"].widget.attrs["data-pay-card"] = ""

    def clean(self):
        data = super().clean()
        method = data.get("method")
        if method in CARD_METHODS and data.get("card") is None:
            self.add_error("card", _("Choose the client's card."))
        if method not in CARD_METHODS:
            data["card"] = None
        if method != PaymentMethod.CASH:
            data["tendered"] = None
        return data


class RefundForm(forms.Form):
    amount = _money(_("Amount to refund"), minimum=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), max_length=200)
    to_card = forms.ModelChoiceField(
        label=_("Refund as"),
        queryset=None,
        required=False,
        empty_label=_("The way it was paid"),
    )

    line = forms.ModelChoiceField(
        label=_("Takes back"),
        queryset=None,
        required=False,
        empty_label=_("Services and goods on the bill"),
        help_text=_("Refunding a card sold or topped up takes its paid value off the card."),
    )

    def __init__(self, *args, cards=None, sale_lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        cards = list(cards or [])
        sale_lines = list(sale_lines or [])
        if sale_lines:
            self.fields["line"].queryset = BillLine.objects.filter(
                pk__in=[line.pk for line in sale_lines]
            )
            self.fields["line"].choices = [("", self.fields["line"].empty_label)] + [
                (line.pk, line.description) for line in sale_lines
            ]
        else:
            del self.fields["line"]
        self.fields["to_card"].queryset = Card.objects.filter(pk__in=[c.pk for c in cards])
        self.fields["to_card"].choices = [("", self.fields["to_card"].empty_label)] + [
            (c.pk, _("Onto %(card)s") % {"card": card_label(c)}) for c in cards
        ]


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason for voiding"), max_length=200)
