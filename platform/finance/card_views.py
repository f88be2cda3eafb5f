"""The card pages under /till/cards/: the cards, packages and memberships on sale (owners
and managers, ``settings.manage``), and one card with its ledger, balances and a form to
move value to a family member's card where the owner allows it (the till,
``finance.take_payments``). Selling and topping up happen on a bill. A card of another
business, or none, is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from core.forms import add_service_errors
from finance import cards, transfers
from finance.card_forms import CardProductForm, TransferForm
from finance.models import Card, CardKind, CardProduct
from portal.mixins import CapabilityRequiredMixin

T = "finance/cards/"


def _currency() -> str:
    return getattr(connection.tenant, "currency", "")


def _bill_url_name() -> str | None:
    """The bill page's URL name, if the bill pages are there (they are another part)."""
    for name in ("finance:bill", "finance:bill_detail"):
        try:
            reverse(name, args=[1])
        except NoReverseMatch:
            continue
        return name
    return None


class ProductsView(CapabilityRequiredMixin, View):
    capability = Capability.MANAGE_SETTINGS


class ProductListView(ProductsView):
    def get(self, request):
        products = list(CardProduct.objects.prefetch_related("services").order_by("kind", "name"))
        context = {
            "on_sale": [p for p in products if p.active],
            "retired": [p for p in products if not p.active],
            "currency": _currency(),
        }
        return render(request, T + "products.html", context)


class ProductFormView(ProductsView):
    def _product(self, pk):
        return get_object_or_404(CardProduct, pk=pk) if pk else None

    def _render(self, request, form, product, status=200):
        context = {"form": form, "product": product, "currency": _currency()}
        return render(request, T + "product_form.html", context, status=status)

    def get(self, request, pk: int | None = None):
        product = self._product(pk)
        return self._render(
            request, CardProductForm(instance=product, currency=_currency()), product
        )

    def post(self, request, pk: int | None = None):
        product = self._product(pk)
        # The form works on its own copy: the service compares the row before and after.
        form = CardProductForm(data=request.POST, instance=self._product(pk), currency=_currency())
        if form.is_valid():
            try:
                cards.product_save(actor=request.user, data=form.product_values(), product=product)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect(reverse("finance:card_products"))
        return self._render(request, form, product, status=400)


class ProductStateView(ProductsView):
    """Take a product off sale (cards sold keep working) or put it on sale again."""

    def post(self, request, pk: int, action: str):
        if action not in ("retire", "reoffer"):
            raise Http404
        product = get_object_or_404(CardProduct, pk=pk)
        cards.product_set_active(product=product, actor=request.user, active=action == "reoffer")
        if action == "retire":
            messages.success(
                request, _("“%(name)s” is no longer on sale.") % {"name": product.name}
            )
        else:
            messages.success(request, _("“%(name)s” is on sale again.") % {"name": product.name})
        return redirect(reverse("finance:card_products"))


class CardView(CapabilityRequiredMixin, View):
    capability = Capability.TAKE_PAYMENTS

    def _card(self, pk: int) -> Card:
        return get_object_or_404(Card.objects.select_related("client", "product"), pk=pk)

    def page(self, request, card: Card, form=None, status=200):
        movable = (
            transfers.transfers_allowed()
            and card.kind in transfers.MOVABLE
            and (card.sessions_left if card.kind == CardKind.PACKAGE else card.balance) > 0
        )
        targets = transfers.targets_for(card) if movable else []
        if targets and form is None:
            form = TransferForm(source=card, targets=targets)
        context = {
            "card": card,
            "entries": list(cards.ledger(card)),
            "services": list(card.services.order_by("name"))
            if card.kind == CardKind.PACKAGE
            else [],
            "expired": card.expires_on is not None and card.expires_on < cards.today(),
            "transfer_form": form if targets else None,
            "no_transfer_target": movable and not targets,
            "bill_url_name": _bill_url_name(),
        }
        return render(request, T + "card.html", context, status=status)


class CardDetailView(CardView):
    def get(self, request, pk: int):
        return self.page(request, self._card(pk))


class CardTransferView(CardView):
    def post(self, request, pk: int):
        card = self._card(pk)
        if not transfers.transfers_allowed():
            raise Http404
        form = TransferForm(data=request.POST, source=card, targets=transfers.targets_for(card))
        if form.is_valid():
            try:
                transfers.transfer(
                    source=card,
                    target=form.cleaned_data["target"],
                    amount=form.cleaned_data.get("amount"),
                    sessions=form.cleaned_data.get("sessions"),
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The balance was moved."))
                return redirect(reverse("finance:card", args=[card.pk]))
        card.refresh_from_db()
        return self.page(request, card, form=form, status=400)
