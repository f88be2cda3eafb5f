"""A bill's receipt: the PDF (shown in the browser, or downloaded), the printable page and
the email to the client. All are in the client's language, whatever the signed-in user
reads the portal in."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View

from accounts.roles import Capability
from finance import receipts
from finance.models import Bill
from finance.receipt_mail import receipt_email
from portal.mixins import CapabilityRequiredMixin


def _bill(pk: int) -> Bill:
    try:
        return receipts.bill_for_receipt(pk)
    except Bill.DoesNotExist:
        raise Http404 from None


class ReceiptPDFView(CapabilityRequiredMixin, View):
    capability = Capability.TAKE_PAYMENTS

    def get(self, request, pk: int):
        bill = _bill(pk)
        content = receipts.receipt_pdf(bill)
        response = HttpResponse(content, content_type="application/pdf")
        disposition = "attachment" if request.GET.get("download") else "inline"
        response["Content-Disposition"] = f'{disposition}; filename="receipt-{bill.number}.pdf"'
        # A client's name and what they paid: never kept by a browser or proxy.
        response["Cache-Control"] = "no-store"
        return response


class ReceiptPrintView(CapabilityRequiredMixin, View):
    capability = Capability.TAKE_PAYMENTS
    template_name = "finance/receipts/print.html"

    def get(self, request, pk: int):
        bill = _bill(pk)
        receipt = receipts.build(bill, with_logo=False)
        with translation.override(receipt.language):
            response = render(
                request,
                self.template_name,
                {
                    "bill": bill,
                    "receipt": receipt,
                    "headings": receipts.headings(),
                    "has_logo": bool(getattr(request.tenant, "logo", "")),
                },
            )
        response["Cache-Control"] = "no-store"
        return response


class ReceiptEmailView(CapabilityRequiredMixin, View):
    """The bill page's "Email receipt": the receipt goes to the client's address through
    the outbox; the page says so, or why not."""

    capability = Capability.TAKE_PAYMENTS

    def post(self, request, pk: int):
        bill = _bill(pk)
        try:
            receipt_email(bill=bill, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The receipt is on its way to %(email)s.") % {"email": bill.client.email},
            )
        return redirect("finance:bill", pk=bill.pk)
