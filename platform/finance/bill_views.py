"""The till's pages a front-desk user works in, under /till/: the list of bills (today's
and open ones first), a new counter bill, one bill (its lines while a draft, its
discounts and totals, issuing it, payments with change for cash, split tender, refunds
and the void) and "Bill" from a completed appointment.

Every page needs ``finance.take_payments``; voids and refunds also need
``finance.approve`` (checked here before the service is asked, so the refusal is the
"not for your role" page, not an error). Each write is one call of ``finance.bills``;
its ValidationErrors come back beside the field they name. Amounts are always the
service's; nothing is added up here. A bill of another business, or none, is 404."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from clients.models import Client
from clients.selectors import client_list
from core.forms import add_service_errors
from finance import bill_forms as f
from finance.models import (
    Bill,
    BillLine,
    BillStatus,
    Card,
    CardKind,
    CardStatus,
    FinanceSettings,
    LineKind,
    Payment,
    PaymentMethod,
    Refund,
)
from portal.mixins import CapabilityRequiredMixin, role_forbidden

T = "finance/bills/"
PAGE_SIZE = 25
EDITABLE = (BillStatus.DRAFT,)
PAYABLE = (BillStatus.DRAFT, BillStatus.ISSUED, BillStatus.PARTIALLY_PAID)


class TillView(CapabilityRequiredMixin, View):
    capability = Capability.TAKE_PAYMENTS


def _optional_url(name: str, pk: int) -> str:
    """The address of a page another part of the till adds (the receipt), or "" while it
    is not there."""
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:
        return ""


def _service_error(form, error: ValidationError) -> None:
    add_service_errors(form, error)


def _say_refusal(request, error) -> None:
    for message in getattr(error, "messages", None) or [str(error)]:
        messages.error(request, message)


# ---------- the list ----------


def _bill_list(*, user, data: dict):
    """The bills the list shows: open and today's first, then the newest; with their
    client in the same query."""
    start_of_today = timezone.make_aware(
        dt.datetime.combine(timezone.localdate(), dt.time.min), timezone.get_current_timezone()
    )
    bills = Bill.objects.select_related("client").annotate(
        first=Case(
            When(Q(status__in=f.OPEN_STATUSES) | Q(created_at__gte=start_of_today), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    status = data.get("status")
    if status == "open":
        bills = bills.filter(status__in=f.OPEN_STATUSES)
    elif status:
        bills = bills.filter(status=status)
    if data.get("date_from"):
        bills = bills.filter(created_at__date__gte=data["date_from"])
    if data.get("date_to"):
        bills = bills.filter(created_at__date__lte=data["date_to"])
    query = (data.get("q") or "").strip()
    if query:
        number = query.lstrip("#№")
        matches = Q(client__in=client_list(user=user, query=query).values("pk"))
        if number.isdigit():
            matches |= Q(number=int(number))
        bills = bills.filter(matches)
    return bills.order_by("first", "-created_at", "-id")


class BillListView(TillView):
    def get(self, request):
        form = f.BillFilterForm(request.GET)
        form.is_valid()
        data = dict(form.cleaned_data)  # a field that failed is left out
        bills = _bill_list(user=request.user, data=data)
        page = Paginator(bills, PAGE_SIZE).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "querystring": params.urlencode(),
            "today": timezone.localdate(),
            "filtered": bool(form.active_filters or data.get("q")),
        }
        template = T + (
            "_results.html" if request.htmx and not request.htmx.boosted else "list.html"
        )
        return render(request, template, context)


# ---------- a new bill ----------


def _client_matches(user, query: str) -> list[Client]:
    query = (query or "").strip()
    if not query:
        return []
    return list(client_list(user=user, query=query)[:8])


class ClientSearchView(TillView):
    """The new bill's client search as you type (htmx): matches to pick."""

    def get(self, request):
        query = request.GET.get("q", "")
        return render(
            request,
            T + "_client_matches.html",
            {"matches": _client_matches(request.user, query), "searched": bool(query.strip())},
        )


class BillCreateView(TillView):
    def get(self, request):
        client = None
        if (pk := request.GET.get("client", "")).isdigit():
            client = Client.objects.filter(pk=int(pk), erased_at__isnull=True).first()
        return self.page(request, f.NewBillForm(), client=client)

    def page(self, request, form, *, client=None, matches=(), searched=False, status=200):
        context = {"form": form, "client": client, "matches": matches, "searched": searched}
        return render(request, T + "new.html", context, status=status)

    def post(self, request):
        from finance import bills

        form = f.NewBillForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        action = request.POST.get("action", "create")
        chosen = request.POST.get("choose", "")
        if chosen.isdigit():
            client = Client.objects.filter(pk=int(chosen), erased_at__isnull=True).first()
            return self.page(request, f.NewBillForm(initial={"client": chosen}), client=client)
        if action == "search":
            query = data.get("q", "")
            return self.page(
                request,
                form,
                matches=_client_matches(request.user, query),
                searched=bool(query.strip()),
            )
        client = None
        if action != "walk_in" and data.get("client"):
            client = Client.objects.filter(pk=data["client"], erased_at__isnull=True).first()
            if client is None:
                raise Http404
        try:
            bill = bills.bill_create(client=client, actor=request.user)
        except ValidationError as error:
            _service_error(form, error)
            return self.page(request, form, client=client, status=400)
        return redirect("finance:bill", pk=bill.pk)


class BillFromAppointmentView(TillView):
    """POST from the appointment page: the appointment's bill (made, or the live one)."""

    def post(self, request, pk: int):
        from finance import bills
        from scheduling.models import Appointment

        appointment = Appointment.objects.select_related("client", "service", "staff").filter(pk=pk)
        appointment = appointment.first()
        if appointment is None:
            raise Http404
        try:
            bill = bills.bill_from_appointment(appointment=appointment, actor=request.user)
        except ValidationError as error:
            _say_refusal(request, error)
            return redirect("scheduling:appointment", pk=pk)
        return redirect("finance:bill", pk=bill.pk)


# ---------- one bill ----------


def _bill_or_404(pk: int) -> Bill:
    try:
        return Bill.objects.select_related(
            "client", "appointment", "created_by", "issued_by", "voided_by"
        ).get(pk=pk)
    except Bill.DoesNotExist:
        raise Http404 from None


def _client_cards(client) -> dict[str, list[Card]]:
    """The client's cards the bill's pickers offer, by what for: paying by stored value
    or by a package session, topping up or refunding onto a stored-value card."""
    if client is None:
        return {"stored_value": [], "package": [], "top_up": []}
    from finance import cards

    return {
        "stored_value": list(cards.usable_for(client=client, method=PaymentMethod.STORED_VALUE)),
        "package": list(cards.usable_for(client=client, method=PaymentMethod.PACKAGE)),
        "top_up": list(
            Card.objects.filter(
                client=client, kind=CardKind.STORED_VALUE, status=CardStatus.ACTIVE
            ).order_by("-created_at", "-id")
        ),
    }


class BillView(TillView):
    """The bill page; its forms post here with an ``action``."""

    def get(self, request, pk: int):
        return self.page(request, _bill_or_404(pk))

    def page(self, request, bill: Bill, *, status=200, **bound):
        settings = FinanceSettings.load()
        lines = list(
            BillLine.objects.filter(bill=bill).select_related(
                "service", "staff", "card", "card_product"
            )
        )
        payments = list(
            Payment.objects.filter(bill=bill)
            .select_related("taken_by", "card")
            .prefetch_related(
                Prefetch(
                    "refunds",
                    queryset=Refund.objects.select_related("created_by", "card"),
                    to_attr="refund_list",
                )
            )
        )
        for payment in payments:
            payment.refunded = sum((r.amount for r in payment.refund_list), start=0)
            payment.refundable = payment.amount - payment.refunded
        editable = bill.status in EDITABLE
        payable = bill.status in PAYABLE and (bill.balance_due > 0 or not lines)
        can_approve = request.user.can(Capability.APPROVE_FINANCE)
        cards = _client_cards(bill.client)
        context = {
            "bill": bill,
            "lines": lines,
            "payments": payments,
            "editable": editable,
            "payable": payable and bool(lines),
            "can_approve": can_approve,
            "can_void": can_approve and bill.status != BillStatus.VOID,
            "card_methods": [PaymentMethod.STORED_VALUE, PaymentMethod.PACKAGE],
            "receipt_pdf_url": _optional_url("finance:receipt_pdf", bill.pk) if bill.number else "",
            "receipt_print_url": _optional_url("finance:receipt_print", bill.pk)
            if bill.number
            else "",
            "paid_net": bill.paid_total - bill.refunded_total,
        }
        # Just after a cash payment with change: the change due, shown large.
        change_for = _int(request.GET.get("change"))
        context["change_payment"] = next(
            (p for p in payments if p.pk == change_for and p.change_given), None
        )
        if editable:
            line_choices = _line_choices(cards["top_up"])
            context["line_form"] = bound.pop("line_form", None) or f.LineForm(
                **line_choices, prefix="add", initial={"kind": "service", "quantity": 1}
            )
            edit_line = bound.pop("edit_line", None)
            for line in lines:
                if edit_line is not None and edit_line[0] == line.pk:
                    line.form = edit_line[1]
                else:
                    line.form = f.LineForm(
                        **line_choices,
                        line=line,
                        prefix=f"line{line.pk}",
                        initial=_line_initial(line),
                    )
            context["discount_form"] = bound.pop("discount_form", None) or f.BillDiscountForm(
                initial={
                    "discount_kind": bill.discount_kind,
                    "discount_value": bill.discount_value if bill.discount_kind else None,
                    "discount_reason": bill.discount_reason,
                }
            )
        if context["payable"]:
            context["payment_form"] = bound.pop("payment_form", None) or f.PaymentForm(
                settings=settings,
                cards=cards["stored_value"] + cards["package"],
                initial={"amount": bill.balance_due, "method": _first_method(settings)},
            )
        if can_approve:
            sale_lines = _sale_lines(bill, lines)
            refund_error = bound.pop("refund_form", None)
            for payment in payments:
                if refund_error is not None and refund_error[0] == payment.pk:
                    payment.refund_form = refund_error[1]
                else:
                    payment.refund_form = f.RefundForm(
                        prefix=f"refund{payment.pk}",
                        cards=cards["top_up"],
                        sale_lines=sale_lines,
                        initial={"amount": payment.refundable},
                    )
            context["void_form"] = bound.pop("void_form", None) or f.VoidForm()
        return render(request, T + "detail.html", context, status=status)

    def post(self, request, pk: int):
        bill = _bill_or_404(pk)
        action = request.POST.get("action", "")
        handler = {
            "add_line": self.add_line,
            "edit_line": self.edit_line,
            "remove_line": self.remove_line,
            "discount": self.discount,
            "issue": self.issue,
            "pay": self.pay,
            "refund": self.refund,
            "void": self.void,
        }.get(action)
        if handler is None:
            raise Http404
        if action in ("refund", "void") and not request.user.can(Capability.APPROVE_FINANCE):
            return role_forbidden(request)
        try:
            return handler(request, bill)
        except PermissionDenied as refused:
            messages.error(request, str(refused) or _("Your role may not do that."))
            return redirect("finance:bill", pk=bill.pk)

    def add_line(self, request, bill):
        from finance import bills

        form = f.LineForm(
            request.POST, prefix="add", **_line_choices(_client_cards(bill.client)["top_up"])
        )
        if form.is_valid():
            try:
                bills.line_add(bill=bill, actor=request.user, **form.line_values())
            except ValidationError as error:
                _service_error(form, error)
            else:
                return redirect("finance:bill", pk=bill.pk)
        return self.page(request, _bill_or_404(bill.pk), line_form=form, status=400)

    def _line(self, request, bill) -> BillLine:
        line_id = request.POST.get("line", "")
        line = (
            BillLine.objects.filter(bill=bill, pk=int(line_id)).first()
            if line_id.isdigit()
            else None
        )
        if line is None:
            raise Http404
        return line

    def edit_line(self, request, bill):
        from finance import bills

        line = self._line(request, bill)
        form = f.LineForm(
            request.POST,
            line=line,
            prefix=f"line{line.pk}",
            **_line_choices(_client_cards(bill.client)["top_up"]),
        )
        if form.is_valid():
            try:
                bills.line_update(line=line, actor=request.user, **form.line_values())
            except ValidationError as error:
                _service_error(form, error)
            else:
                return redirect("finance:bill", pk=bill.pk)
        return self.page(request, _bill_or_404(bill.pk), edit_line=(line.pk, form), status=400)

    def remove_line(self, request, bill):
        from finance import bills

        line = self._line(request, bill)
        try:
            bills.line_remove(line=line, actor=request.user)
        except ValidationError as error:
            _say_refusal(request, error)
        return redirect("finance:bill", pk=bill.pk)

    def discount(self, request, bill):
        from finance import bills

        form = f.BillDiscountForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                bills.bill_discount_set(
                    bill=bill,
                    actor=request.user,
                    kind=data["discount_kind"] or "",
                    value=data["discount_value"] or 0,
                    reason=data["discount_reason"],
                )
            except ValidationError as error:
                _service_error(
                    form,
                    _renamed(
                        error,
                        {
                            "kind": "discount_kind",
                            "value": "discount_value",
                            "reason": "discount_reason",
                        },
                    ),
                )
            else:
                return redirect("finance:bill", pk=bill.pk)
        return self.page(request, _bill_or_404(bill.pk), discount_form=form, status=400)

    def issue(self, request, bill):
        from finance import bills

        try:
            issued = bills.bill_issue(bill=bill, actor=request.user)
        except ValidationError as error:
            _say_refusal(request, error)
        else:
            messages.success(request, _("Bill %(number)s issued.") % {"number": issued.number})
        return redirect("finance:bill", pk=bill.pk)

    def pay(self, request, bill):
        from finance import bills

        cards = _client_cards(bill.client)
        form = f.PaymentForm(
            request.POST,
            settings=FinanceSettings.load(),
            cards=cards["stored_value"] + cards["package"],
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = bills.payment_take(
                    bill=bill,
                    actor=request.user,
                    method=data["method"],
                    amount=data["amount"],
                    tendered=data.get("tendered"),
                    reference=data["reference"],
                    card=data.get("card"),
                )
            except ValidationError as error:
                _service_error(form, error)
            else:
                from finance.templatetags.money import format_money

                messages.success(
                    request,
                    _("Payment of %(amount)s taken.")
                    % {"amount": format_money(payment.amount, bill.currency)},
                )
                url = reverse("finance:bill", kwargs={"pk": bill.pk})
                if payment.change_given:
                    url += "?" + urlencode({"change": payment.pk})
                return redirect(url)
        return self.page(request, _bill_or_404(bill.pk), payment_form=form, status=400)

    def refund(self, request, bill):
        from finance import bills

        payment = Payment.objects.filter(bill=bill, pk=_int(request.POST.get("payment"))).first()
        if payment is None:
            raise Http404
        cards = _client_cards(bill.client)
        form = f.RefundForm(
            request.POST,
            prefix=f"refund{payment.pk}",
            cards=cards["top_up"],
            sale_lines=_sale_lines(bill, list(bill.lines.all())),
        )
        if form.is_valid():
            data = form.cleaned_data
            try:
                bills.refund_create(
                    payment=payment,
                    actor=request.user,
                    amount=data["amount"],
                    reason=data["reason"],
                    to_card=data.get("to_card"),
                    line=data.get("line"),
                )
            except ValidationError as error:
                _service_error(form, error)
            else:
                messages.success(request, _("Refunded."))
                return redirect("finance:bill", pk=bill.pk)
        return self.page(request, _bill_or_404(bill.pk), refund_form=(payment.pk, form), status=400)

    def void(self, request, bill):
        from finance import bills

        form = f.VoidForm(request.POST)
        if form.is_valid():
            try:
                bills.bill_void(bill=bill, actor=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                _service_error(form, error)
            else:
                messages.success(request, _("The bill is void."))
                return redirect("finance:bill", pk=bill.pk)
        return self.page(request, _bill_or_404(bill.pk), void_form=form, status=400)


def _sale_lines(bill: Bill, lines: list[BillLine]) -> list[BillLine]:
    """The bill's card sales and top-ups a refund may take back (once the cards exist)."""
    if bill.status not in (BillStatus.PAID, BillStatus.REFUNDED):
        return []
    return [line for line in lines if line.kind in (LineKind.CARD, LineKind.TOP_UP)]


def _int(value) -> int:
    return int(value) if str(value or "").isdigit() else 0


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    """A service's error keyed by its argument names, keyed by the form's field names."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({names.get(k, k): v for k, v in error.error_dict.items()})


def _first_method(settings: FinanceSettings) -> str:
    for value in PaymentMethod.values:
        if settings.takes(value):
            return value
    return ""


def _line_initial(line: BillLine) -> dict:
    return {
        "kind": line.kind,
        "service": line.service_id,
        "card_product": line.card_product_id,
        "card": line.card_id,
        "description": line.description,
        "staff": line.staff_id,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount_kind": line.discount_kind,
        "discount_value": line.discount_value if line.discount_kind else None,
        "discount_reason": line.discount_reason,
    }


def _line_choices(top_up_cards: list[Card]) -> dict[str, list]:
    """What a line can sell, each list read once for all the line forms of the page."""
    from scheduling.models import Service
    from scheduling.selectors import bookable_staff

    return {
        "services": list(Service.objects.filter(active=True).order_by("name")),
        "products": list(f.CardProduct.objects.filter(active=True).order_by("kind", "name")),
        "cards": top_up_cards,
        "staff": list(bookable_staff()),
    }
