"""The till: bills, payments, refunds, stored-value cards, packages and memberships, and
the expenses and budgets the owner's reports set against takings (seeds 000, 001, 004).

Money is ``Decimal`` in the business's currency; each bill carries the currency it was
written in, so a later change of the business's currency relabels nothing. Amounts are
rounded to the currency's minor unit (``finance.money``): each line first, then the bill
(see ``finance.money`` for the exact order). Totals are always computed by the services
from the lines, never typed.

Cards are append-only ledgers (``CardEntry``). The balances on ``Card`` are derived from
the ledger by the database itself: a trigger adds each new entry's amounts to its card
(one ``UPDATE``, so two payments on one card queue behind its row lock), CHECK
constraints refuse any balance below zero, and the balances cannot be written any other
way; entries can be neither changed nor deleted (migration 0002)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK_CARD = "bank_card", _("Bank card")
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    TRANSFER = "transfer", _("Bank transfer")
    STORED_VALUE = "stored_value", _("Stored-value card")
    PACKAGE = "package", _("Package session")
    OTHER = "other", _("Other")


class TaxMode(models.TextChoices):
    INCLUSIVE = "inclusive", _("Prices include tax")
    EXCLUSIVE = "exclusive", _("Tax is added to prices")


class DiscountKind(models.TextChoices):
    NONE = "", _("No discount")
    AMOUNT = "amount", _("Amount off")
    PERCENT = "percent", _("Percentage off")


class FinanceSettings(models.Model):
    """One row per business: tax, which payment methods the till takes, how far staff
    without the approval capability may discount, and the seller's details on receipts."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        **PERCENT,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    tax_mode = models.CharField(
        _("tax"), max_length=10, choices=TaxMode.choices, default=TaxMode.INCLUSIVE
    )
    tax_label = models.CharField(_("name of the tax"), max_length=30, blank=True, default="")
    methods = ArrayField(
        models.CharField(max_length=20, choices=PaymentMethod.choices),
        default=list,
        blank=True,
        verbose_name=_("payment methods taken"),
        help_text=_("Empty: every method."),
    )
    discount_limit_percent = models.DecimalField(
        _("largest discount without approval (%)"),
        **PERCENT,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    allow_card_transfers = models.BooleanField(
        _("balances can be moved between family members' cards"), default=False
    )
    seller_tax_id = models.CharField(_("business tax ID"), max_length=40, blank=True)
    receipt_footer = models.CharField(_("receipt footer"), max_length=300, blank=True)
    # The next bill number; taken under this row's lock when a bill is issued, in the
    # same transaction, so numbers have no gaps and no repeats.
    next_bill_number = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("till settings")

    def __str__(self) -> str:
        return "till settings"

    @classmethod
    def load(cls) -> FinanceSettings:
        return cls.objects.get_or_create(singleton=True)[0]

    def takes(self, method: str) -> bool:
        return not self.methods or method in self.methods


class BillingProfile(models.Model):
    """What the client wants on an invoice (发票抬头, 税号); copied onto each bill issued."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="billing_profile"
    )
    invoice_title = models.CharField(_("invoice title"), max_length=120, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("invoice details")

    def __str__(self) -> str:
        return f"invoice details of client {self.client_id}"


class BillStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PARTIALLY_PAID = "partially_paid", _("Partially paid")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")
    VOID = "void", _("Void")


class BillOrigin(models.TextChoices):
    COUNTER = "counter", _("At the counter")
    APPOINTMENT = "appointment", _("From an appointment")
    MIGRATED = "migrated", _("Visit amount from before the till")


class Bill(models.Model):
    number = models.PositiveIntegerField(_("number"), null=True, blank=True, unique=True)
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bills",
        verbose_name=_("client"),
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bills",
    )
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.SET_NULL, null=True, blank=True, related_name="bills"
    )
    origin = models.CharField(max_length=12, choices=BillOrigin.choices, default=BillOrigin.COUNTER)
    status = models.CharField(
        _("status"), max_length=16, choices=BillStatus.choices, default=BillStatus.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3)
    tax_mode = models.CharField(max_length=10, choices=TaxMode.choices)
    tax_rate = models.DecimalField(**PERCENT, default=0)
    tax_label = models.CharField(max_length=30, blank=True, default="")
    discount_kind = models.CharField(
        _("discount"), max_length=8, choices=DiscountKind.choices, blank=True, default=""
    )
    discount_value = models.DecimalField(_("discount"), **MONEY, default=0)
    discount_reason = models.CharField(_("reason for the discount"), max_length=200, blank=True)
    # Computed by finance.services from the lines (finance.money); never typed.
    subtotal = models.DecimalField(**MONEY, default=0)
    discount_total = models.DecimalField(**MONEY, default=0)
    tax_total = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    paid_total = models.DecimalField(**MONEY, default=0)
    refunded_total = models.DecimalField(**MONEY, default=0)
    invoice_title = models.CharField(_("invoice title"), max_length=120, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True, db_index=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="bill_client_created"),
            models.Index(fields=["status"], name="bill_status"),
            # The daily closing: bills paid that day (card sales, top-ups) and voided.
            models.Index(fields=["paid_at"], name="bill_paid_at"),
            models.Index(
                fields=["voided_at"], condition=Q(voided_at__isnull=False), name="bill_voided_at"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="bill_total_not_negative"),
            models.CheckConstraint(condition=Q(paid_total__gte=0), name="bill_paid_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0, refunded_total__lte=models.F("paid_total")),
                name="bill_refund_within_paid",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="void") | Q(number__isnull=False),
                name="bill_issued_has_number",
            ),
            # One live bill per appointment: a void one can be written again.
            models.UniqueConstraint(
                fields=["appointment"],
                condition=Q(appointment__isnull=False) & ~Q(status="void"),
                name="bill_one_live_per_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"bill {self.number or 'draft'}"

    @property
    def balance_due(self):
        return self.total - (self.paid_total - self.refunded_total)


class LineKind(models.TextChoices):
    SERVICE = "service", _("Service")
    PRODUCT = "product", _("Product")
    CARD = "card", _("Card, package or membership")
    TOP_UP = "top_up", _("Card top-up")
    OTHER = "other", _("Other")


class BillLine(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=LineKind.choices)
    description = models.CharField(_("item"), max_length=200)
    service = models.ForeignKey(
        "scheduling.Service", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Snapshots for the reports: the service's category and who performed it, as billed.
    category = models.CharField(_("category"), max_length=80, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    unit_price = models.DecimalField(_("unit price"), **MONEY, validators=[MinValueValidator(0)])
    discount_kind = models.CharField(
        _("discount"), max_length=8, choices=DiscountKind.choices, blank=True, default=""
    )
    discount_value = models.DecimalField(_("discount"), **MONEY, default=0)
    discount_reason = models.CharField(_("reason for the discount"), max_length=200, blank=True)
    # Computed (finance.money): quantity × unit price; the line's own discount; its share
    # of the bill's discount; what it is sold for after both; the tax in that amount.
    gross = models.DecimalField(**MONEY, default=0)
    line_discount = models.DecimalField(**MONEY, default=0)
    bill_discount = models.DecimalField(**MONEY, default=0)
    net = models.DecimalField(**MONEY, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    # A card, package or membership sold on this line (made when the bill is paid), or the
    # stored-value card this line tops up.
    card_product = models.ForeignKey(
        "finance.CardProduct", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    card = models.ForeignKey(
        "finance.Card", on_delete=models.PROTECT, null=True, blank=True, related_name="bill_lines"
    )
    # A vertical's item this line bills ("dental.plan_item:12"), so it is billed once.
    source_ref = models.CharField(max_length=60, blank=True, db_index=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(net__gte=0), name="bill_line_net_not_negative"),
        ]

    def __str__(self) -> str:
        return self.description


class Payment(models.Model):
    """Money in against a bill; a bill may take several (split tender). Never changed:
    money going back is a ``Refund``."""

    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    # Cash handed over and the change given back (cash only).
    tendered = models.DecimalField(_("cash handed over"), **MONEY, null=True, blank=True)
    change_given = models.DecimalField(_("change"), **MONEY, default=0)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    card = models.ForeignKey(
        "finance.Card", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(change_given__gte=0), name="payment_change_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.amount}"


class Refund(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), **MONEY)
    # Back the way it was paid, or onto a stored-value card.
    method = models.CharField(_("refunded as"), max_length=20, choices=PaymentMethod.choices)
    card = models.ForeignKey(
        "finance.Card", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("refund")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount}"


class CardKind(models.TextChoices):
    STORED_VALUE = "stored_value", _("Stored-value card")
    PACKAGE = "package", _("Package (count card)")
    MEMBERSHIP = "membership", _("Membership")


class CardProduct(models.Model):
    """A card, package or membership the business sells: a stored-value card's price and
    bonus (top up 1,000, get 100), a package's sessions of given services, a
    membership's member discount; each with how long it is valid."""

    kind = models.CharField(_("kind"), max_length=14, choices=CardKind.choices)
    name = models.CharField(_("name"), max_length=100)
    price = models.DecimalField(_("price"), **MONEY, validators=[MinValueValidator(0)])
    bonus = models.DecimalField(
        _("bonus value"), **MONEY, default=0, validators=[MinValueValidator(0)]
    )
    sessions = models.PositiveSmallIntegerField(_("sessions"), null=True, blank=True)
    services = models.ManyToManyField(
        "scheduling.Service", blank=True, related_name="+", verbose_name=_("services covered")
    )
    member_discount_percent = models.DecimalField(
        _("member discount (%)"),
        **PERCENT,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    valid_days = models.PositiveSmallIntegerField(
        _("valid for (days)"), null=True, blank=True, help_text=_("Empty: never expires.")
    )
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("card or package on sale")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class CardStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("card", "Active")
    CLOSED = "closed", pgettext_lazy("card", "Closed")


class Card(models.Model):
    code = models.CharField(_("card number"), max_length=20, unique=True)
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="cards", verbose_name=_("client")
    )
    product = models.ForeignKey(CardProduct, on_delete=models.PROTECT, related_name="cards")
    kind = models.CharField(_("kind"), max_length=14, choices=CardKind.choices)
    name = models.CharField(_("name"), max_length=100)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=8, choices=CardStatus.choices, default=CardStatus.ACTIVE
    )
    # Derived from the ledger by the database (see the module's docstring): money the client
    # paid in, bonus value given on top, sessions left. Not writable from Django.
    paid_balance = models.DecimalField(**MONEY, default=0, editable=False)
    bonus_balance = models.DecimalField(**MONEY, default=0, editable=False)
    sessions_left = models.IntegerField(default=0, editable=False)
    member_discount_percent = models.DecimalField(**PERCENT, default=0)
    services = models.ManyToManyField("scheduling.Service", blank=True, related_name="+")
    starts_on = models.DateField(_("valid from"))
    expires_on = models.DateField(_("valid until"), null=True, blank=True)
    sold_on = models.ForeignKey(
        BillLine, on_delete=models.PROTECT, null=True, blank=True, related_name="cards_sold"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("card")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(paid_balance__gte=0), name="card_paid_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(bonus_balance__gte=0), name="card_bonus_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(sessions_left__gte=0), name="card_sessions_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.code}"

    @property
    def balance(self):
        return self.paid_balance + self.bonus_balance


class EntryKind(models.TextChoices):
    ISSUE = "issue", _("Sold")
    TOP_UP = "top_up", _("Topped up")
    SPEND = "spend", _("Spent")
    REFUND = "refund", _("Refunded")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Correction")


class CardEntry(models.Model):
    """One movement on a card. Append-only; the card's balances are the sums of these."""

    card = models.ForeignKey(Card, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=14, choices=EntryKind.choices)
    paid_delta = models.DecimalField(**MONEY, default=0)
    bonus_delta = models.DecimalField(**MONEY, default=0)
    sessions_delta = models.IntegerField(default=0)
    bill = models.ForeignKey(
        Bill, on_delete=models.PROTECT, null=True, blank=True, related_name="card_entries"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="card_entries"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="card_entries"
    )
    # The other side of a transfer.
    counterpart = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("card movement")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["card", "created_at"], name="card_entry_card_created")]

    def __str__(self) -> str:
        return f"{self.kind} on card {self.card_id}"


class Expense(models.Model):
    """Money out (rent, stock, wages…), for the expense statistics and budgets (seed 004)."""

    spent_on = models.DateField(_("date"))
    category = models.CharField(_("category"), max_length=80)
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(
        _("paid by"), max_length=20, choices=PaymentMethod.choices, blank=True
    )
    payee = models.CharField(_("paid to"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("expense")
        ordering = ["-spent_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="expense_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.amount}"


class BudgetKind(models.TextChoices):
    REVENUE = "revenue", _("Revenue target")
    EXPENSE = "expense", _("Spending limit")


class Budget(models.Model):
    """A month's target: revenue to reach (in all, or for one service category) or
    spending to stay under (in all, or for one expense category)."""

    month = models.DateField(_("month"))  # the first day of the month
    kind = models.CharField(_("kind"), max_length=8, choices=BudgetKind.choices)
    category = models.CharField(
        _("category"), max_length=80, blank=True, help_text=_("Empty: the whole business.")
    )
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("budget")
        ordering = ["month", "kind", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kind", "category"], name="budget_one_per_month_kind_category"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="budget_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.category or 'all'} {self.month:%Y-%m}"


class CashCount(models.Model):
    """The cash counted in the drawer at the evening closing, against what the till
    expected; a later count of the same day replaces the shown one, all are kept."""

    day = models.DateField(_("day"), db_index=True)
    currency = models.CharField(_("currency"), max_length=3)
    expected = models.DecimalField(_("cash expected"), **MONEY)
    counted = models.DecimalField(_("cash counted"), **MONEY, validators=[MinValueValidator(0)])
    note = models.CharField(_("note"), max_length=300, blank=True)
    counted_at = models.DateTimeField(default=timezone.now)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("cash count")
        ordering = ["-day", "-counted_at"]

    def __str__(self) -> str:
        return f"cash count {self.day}"

    @property
    def difference(self):
        return self.counted - self.expected
