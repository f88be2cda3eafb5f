"""A bill's receipt (or, while money is still due, its bill) for the client: as PDF and as
the data of the printable page.

Everything the client reads is in the client's language (``Client.language``; blank: the
business's default language), whoever prints it, dates in the business's time zone,
money as ``Decimal`` rounded to the currency's minor unit and formatted as text here,
never through a float. Chinese renders in the PDF the way the privacy export does it: the
vendored Noto Sans SC chunks that cover the text are embedded (``privacy.pdf.fonts_for``).

A receipt is read in a fixed number of queries: the bill with its client, its lines, its
payments with their cards, its refunds, the till settings."""

from __future__ import annotations

import datetime as dt
import io
import logging
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from finance.models import Bill, BillStatus, FinanceSettings, PaymentMethod, TaxMode

log = logging.getLogger(__name__)

# Lines of the receipt's table: item, quantity, unit price, discount, amount (mm, A4 with
# 15 mm margins leaves 180).
COLUMNS_MM = (72, 16, 30, 30, 32)


def receipt_language(bill: Bill) -> str:
    """The language the client reads: their own (``Client.language``) if set, else the
    business's default language, else the site's."""
    known = {code for code, _label in settings.LANGUAGES}
    for candidate in (
        getattr(bill.client, "language", "") if bill.client_id else "",
        getattr(getattr(connection, "tenant", None), "language", ""),
    ):
        if candidate in known:
            return candidate
    return settings.LANGUAGE_CODE


def _zone() -> zoneinfo.ZoneInfo:
    name = getattr(getattr(connection, "tenant", None), "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def money_text(amount: Decimal, currency: str) -> str:
    """``CNY 1,234.50``, as the portal's ``|money`` filter shows it; Decimal all the way."""
    from finance.templatetags.money import format_money

    return format_money(amount, currency)


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value, _zone()), "SHORT_DATETIME_FORMAT")


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    quantity: int
    unit_price: str
    discount: str  # "" when the line has none
    amount: str


@dataclass(frozen=True)
class ReceiptPayment:
    method: str
    amount: str
    when: str
    detail: str = ""  # card, reference, cash handed over and change


@dataclass
class Receipt:
    """What a receipt says, every text already in the client's language."""

    language: str
    title: str
    number: str
    business: str
    address: str
    phone: str
    seller_tax_id: str
    footer: str
    logo: bytes | None
    facts: list[tuple[str, str]] = field(default_factory=list)  # bill no., dates, client…
    lines: list[ReceiptLine] = field(default_factory=list)
    totals: list[tuple[str, str]] = field(default_factory=list)
    payments: list[ReceiptPayment] = field(default_factory=list)
    refunds: list[ReceiptPayment] = field(default_factory=list)
    closing: list[tuple[str, str]] = field(default_factory=list)  # paid, refunded, due
    void_note: str = ""

    def all_text(self) -> str:
        parts = [self.title, self.number, self.business, self.address, self.phone]
        parts += [self.seller_tax_id, self.footer, self.void_note]
        for pairs in (self.facts, self.totals, self.closing):
            parts += [text for pair in pairs for text in pair]
        for line in self.lines:
            parts += [line.description, str(line.quantity), line.unit_price, line.discount]
            parts.append(line.amount)
        for row in self.payments + self.refunds:
            parts += [row.method, row.amount, row.when, row.detail]
        parts += list(_headings().values())
        return "".join(parts)


def _headings() -> dict[str, str]:
    return {
        "item": pgettext("receipt", "Item"),
        "quantity": pgettext("receipt", "Qty"),
        "unit_price": pgettext("receipt", "Unit price"),
        "discount": pgettext("receipt", "Discount"),
        "amount": pgettext("receipt", "Amount"),
        "payments": pgettext("receipt", "Payments"),
        "refunds": pgettext("receipt", "Refunds"),
        "seller_tax_id": pgettext("receipt", "Tax ID"),
        "phone": pgettext("receipt", "Phone"),
    }


def headings() -> dict[str, str]:
    """The table and section headings, in the active language (for the printable page)."""
    return _headings()


def bill_for_receipt(pk: int) -> Bill:
    """The bill with what the receipt reads, or ``Bill.DoesNotExist``. Drafts have no
    number and no receipt yet."""
    return (
        Bill.objects.select_related("client")
        .prefetch_related("lines", "payments__card", "refunds__card")
        .exclude(status=BillStatus.DRAFT)
        .get(pk=pk)
    )


def _logo() -> bytes | None:
    path = getattr(getattr(connection, "tenant", None), "logo", "")
    if not path:
        return None
    try:
        with default_storage.open(path, "rb") as handle:
            return handle.read()
    except Exception:  # a logo the storage lost must not stop the receipt
        log.warning("receipt logo %s could not be read", path, exc_info=True)
        return None


def build(bill: Bill, *, language: str | None = None, with_logo: bool = True) -> Receipt:
    """The receipt of ``bill`` (loaded by ``bill_for_receipt``) in ``language`` (default:
    the client's)."""
    language = language or receipt_language(bill)
    with translation.override(language):
        return _build(bill, language, with_logo)


def _build(bill: Bill, language: str, with_logo: bool) -> Receipt:
    tenant = getattr(connection, "tenant", None)
    till = FinanceSettings.load()
    currency = bill.currency

    def m(amount) -> str:
        return money_text(amount, currency)

    # Settled in full: a receipt; still owed (or void): the bill itself.
    settled = bill.status in (BillStatus.PAID, BillStatus.REFUNDED)
    title = pgettext("receipt", "Receipt") if settled else pgettext("receipt", "Bill")
    receipt = Receipt(
        language=language,
        title=title,
        number=_("No. %(number)s") % {"number": bill.number} if bill.number else "",
        business=getattr(tenant, "name", "") or "",
        address=getattr(tenant, "address", "") or "",
        phone=getattr(tenant, "phone", "") or "",
        seller_tax_id=till.seller_tax_id,
        footer=till.receipt_footer,
        logo=_logo() if with_logo else None,
    )
    facts = receipt.facts
    if bill.number:
        facts.append((pgettext("receipt", "Bill number"), str(bill.number)))
    if bill.issued_at:
        facts.append((pgettext("receipt", "Issued on"), _when(bill.issued_at)))
    if bill.paid_at:
        facts.append((pgettext("receipt", "Paid on"), _when(bill.paid_at)))
    if bill.client_id:
        facts.append((pgettext("receipt", "Client"), bill.client.name))
    if bill.invoice_title:
        facts.append((pgettext("receipt", "Invoice title"), bill.invoice_title))
    if bill.tax_id:
        facts.append((pgettext("receipt", "Tax ID"), bill.tax_id))
    if bill.status == BillStatus.VOID:
        receipt.void_note = _("Void: %(reason)s") % {"reason": bill.void_reason or "—"}
        if bill.voided_at:
            facts.append((pgettext("receipt", "Voided on"), _when(bill.voided_at)))

    for line in bill.lines.all():
        off = line.line_discount + line.bill_discount
        receipt.lines.append(
            ReceiptLine(
                description=line.description,
                quantity=line.quantity,
                unit_price=m(line.unit_price),
                discount=m(-off) if off else "",
                amount=m(line.net),
            )
        )

    totals = receipt.totals
    totals.append((pgettext("receipt", "Subtotal"), m(bill.subtotal)))
    if bill.discount_total:
        label = pgettext("receipt", "Discounts")
        if bill.discount_reason:
            label = f"{label} ({bill.discount_reason})"
        totals.append((label, m(-bill.discount_total)))
    if bill.tax_rate or bill.tax_total:
        tax_name = bill.tax_label or pgettext("receipt", "Tax")
        rate = bill.tax_rate
        # 6.00 reads "6", 6.50 "6.5" (normalize() alone would write 10 as "1E+1").
        rate = rate.quantize(Decimal(1)) if rate == rate.to_integral_value() else rate.normalize()
        rate = formats.number_format(rate, use_l10n=True)
        if bill.tax_mode == TaxMode.INCLUSIVE:
            label = _("%(tax)s included (%(rate)s%%)") % {"tax": tax_name, "rate": rate}
        else:
            label = _("%(tax)s (%(rate)s%%)") % {"tax": tax_name, "rate": rate}
        totals.append((label, m(bill.tax_total)))
    totals.append((pgettext("receipt", "Total"), m(bill.total)))

    for payment in bill.payments.all():
        details = []
        if payment.card_id:
            details.append(f"{payment.card.name} {payment.card.code}")
        if payment.method == PaymentMethod.CASH and payment.tendered is not None:
            details.append(_("handed over %(amount)s") % {"amount": m(payment.tendered)})
            details.append(_("change %(amount)s") % {"amount": m(payment.change_given)})
        if payment.reference:
            details.append(payment.reference)
        receipt.payments.append(
            ReceiptPayment(
                method=str(PaymentMethod(payment.method).label),
                amount=m(payment.amount),
                when=_when(payment.created_at),
                detail=" · ".join(details),
            )
        )
    for refund in bill.refunds.all():
        detail = refund.reason
        if refund.card_id:
            detail = f"{refund.card.name} {refund.card.code} · {detail}"
        receipt.refunds.append(
            ReceiptPayment(
                method=str(PaymentMethod(refund.method).label),
                amount=m(-refund.amount),
                when=_when(refund.created_at),
                detail=detail,
            )
        )

    receipt.closing.append((pgettext("receipt", "Paid"), m(bill.paid_total)))
    if bill.refunded_total:
        receipt.closing.append((pgettext("receipt", "Refunded"), m(-bill.refunded_total)))
    if bill.status != BillStatus.VOID:
        receipt.closing.append(
            (pgettext("receipt", "Balance due"), m(max(bill.balance_due, Decimal(0))))
        )
    return receipt


# ---------- the PDF ----------


def receipt_pdf(bill: Bill, *, language: str | None = None) -> bytes:
    receipt = build(bill, language=language)
    with translation.override(receipt.language):
        return _render(receipt)


def _render(receipt: Receipt) -> bytes:
    # fpdf2 and fontTools load only when a PDF is asked for.
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    from privacy.pdf import FONT_DIR, fonts_for

    heads = _headings()
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_title(f"{receipt.title} {receipt.number}".strip())
    pdf.set_creator("clinicdesk")
    pdf.set_lang("zh-CN" if receipt.language.startswith("zh") else receipt.language)
    pdf.set_auto_page_break(auto=True, margin=15)
    families = []
    for index, file_name in enumerate(fonts_for(receipt.all_text())):
        family = f"noto-sc-{index}"
        pdf.add_font(family, "", str(FONT_DIR / "files" / file_name))
        families.append(family)
    pdf.set_fallback_fonts(families[1:], exact_match=False)
    font = families[0]
    pdf.add_page()

    def line(text: str, size: float = 10, height: float = 5.5, align: str = "L") -> None:
        pdf.set_font(font, size=size)
        pdf.multi_cell(0, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    if receipt.logo:
        try:
            pdf.image(io.BytesIO(receipt.logo), h=18, keep_aspect_ratio=True)
            pdf.ln(2)
        except Exception:  # not an image fpdf2 reads: the receipt goes out without it
            log.warning("receipt logo could not be drawn", exc_info=True)
    if receipt.business:
        line(receipt.business, size=14, height=7)
    for text in (receipt.address, receipt.phone and f"{heads['phone']}: {receipt.phone}"):
        if text:
            line(text, size=9, height=4.5)
    if receipt.seller_tax_id:
        line(f"{heads['seller_tax_id']}: {receipt.seller_tax_id}", size=9, height=4.5)
    pdf.ln(4)
    line(f"{receipt.title} {receipt.number}".strip(), size=18, height=9)
    if receipt.void_note:
        line(receipt.void_note, size=12, height=7)
    pdf.ln(1)
    for label, value in receipt.facts:
        line(f"{label}: {value}", size=10, height=5.5)
    pdf.ln(3)

    pdf.set_font(font, size=9)
    with pdf.table(
        col_widths=COLUMNS_MM,
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5.5,
        first_row_as_headings=True,
        headings_style=FontFace(fill_color=(235, 238, 242)),
    ) as table:
        table.row(
            [
                heads["item"],
                heads["quantity"],
                heads["unit_price"],
                heads["discount"],
                heads["amount"],
            ]
        )
        for item in receipt.lines:
            table.row(
                [
                    item.description,
                    str(item.quantity),
                    item.unit_price,
                    item.discount or "—",
                    item.amount,
                ]
            )
    pdf.ln(2)
    for label, value in receipt.totals:
        _pair(pdf, font, label, value, size=11 if label == receipt.totals[-1][0] else 10)

    for heading, rows in (
        (heads["payments"], receipt.payments),
        (heads["refunds"], receipt.refunds),
    ):
        if not rows:
            continue
        pdf.ln(3)
        line(heading, size=12, height=7)
        for row in rows:
            _pair(pdf, font, f"{row.method}  {row.when}", row.amount, size=10)
            if row.detail:
                line(row.detail, size=8.5, height=4.5)
    pdf.ln(3)
    for label, value in receipt.closing:
        _pair(pdf, font, label, value, size=11)
    if receipt.footer:
        pdf.ln(6)
        line(receipt.footer, size=9, height=5, align="C")
    return bytes(pdf.output())


def _pair(pdf, font: str, label: str, value: str, *, size: float) -> None:
    """A label on the left and an amount on the right of one row."""
    from fpdf.enums import XPos, YPos

    pdf.set_font(font, size=size)
    width = pdf.epw
    pdf.cell(width - 45, 6, label, new_x=XPos.RIGHT, new_y=YPos.TOP)
    pdf.cell(45, 6, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
