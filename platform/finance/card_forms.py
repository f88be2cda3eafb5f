"""Forms of the card pages: a card product on sale, and moving a balance to another card.
They parse what was typed; the rules live in ``finance.cards``, whose errors the views show
beside the fields they name."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from finance.models import Card, CardKind, CardProduct
from scheduling.models import Service

MONEY_INPUT = {"step": "0.01", "min": "0", "inputmode": "decimal"}


class CardProductForm(forms.ModelForm):
    class Meta:
        model = CardProduct
        fields = [
            "kind",
            "name",
            "price",
            "bonus",
            "sessions",
            "services",
            "member_discount_percent",
            "valid_days",
        ]
        widgets = {
            "services": forms.CheckboxSelectMultiple,
            "price": forms.NumberInput(attrs=MONEY_INPUT),
            "bonus": forms.NumberInput(attrs=MONEY_INPUT),
            "member_discount_percent": forms.NumberInput(
                attrs={"step": "0.01", "min": "0", "max": "100", "inputmode": "decimal"}
            ),
        }

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        pk = self.instance.pk
        self.fields["services"].queryset = Service.objects.filter(
            Q(active=True) | Q(pk__in=self.instance.services.all()) if pk else Q(active=True)
        ).order_by("name")
        self.fields["price"].label = _("Price (%(currency)s)") % {"currency": currency}
        self.fields["bonus"].label = _("Bonus value (%(currency)s)") % {"currency": currency}
        self.fields["bonus"].help_text = _("Stored-value cards: value given on top of the price.")
        self.fields["sessions"].help_text = _("Packages: how many sessions the price buys.")
        self.fields["services"].help_text = _("Packages: the services a session can be used for.")
        self.fields["member_discount_percent"].help_text = _(
            "Memberships: the discount members get on their bills."
        )
        self.fields["bonus"].required = False
        self.fields["member_discount_percent"].required = False
        if not pk:
            self.initial.setdefault("price", Decimal(0))

    def validate_unique(self) -> None:
        return None

    def product_values(self) -> dict:
        return dict(self.cleaned_data)


class TargetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, card: Card) -> str:
        return f"{card.client.name} · {card.name} {card.code}"


class TransferForm(forms.Form):
    """Move stored value, or package sessions, from this card to a family member's card
    (``finance.transfers.targets_for``)."""

    target = TargetChoiceField(label=_("To the card of"), queryset=Card.objects.none())
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )
    sessions = forms.IntegerField(label=_("Sessions"), min_value=1)
    note = forms.CharField(label=_("Why"), max_length=200)

    def __init__(self, *args, source: Card, targets: list[Card], **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        self.fields["target"].queryset = Card.objects.filter(
            pk__in=[c.pk for c in targets]
        ).select_related("client")
        self.fields["target"].choices = [("", "---------")] + [
            (c.pk, self.fields["target"].label_from_instance(c)) for c in targets
        ]
        # A package moves sessions, a stored-value card an amount.
        del self.fields["amount" if source.kind == CardKind.PACKAGE else "sessions"]
