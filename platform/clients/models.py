"""The client file shared by every business type (seeds 000–003)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "", _("Not stated")


class Source(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    REFERRAL = "referral", _("Referred by a client")
    ONLINE = "online", _("Online booking or website")
    SOCIAL = "social", _("Social media (WeChat, Xiaohongshu, Douyin…)")
    ADVERTISING = "advertising", _("Advertising")
    PARTNER = "partner", _("Partner or group purchase")
    OTHER = "other", _("Other")


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")


class Flag(models.TextChoices):
    """Flags staff must notice at a glance (seeds 001, 004); shown colour-coded on the list
    and in the profile header."""

    IMPORTANT = "important", _("Important")
    SPECIAL_ATTENTION = "special_attention", _("Special attention")
    COMPLAINT_RISK = "complaint_risk", _("Complaint risk")
    DO_NOT_CONTACT = "do_not_contact", _("Do not contact")


# Badge style of each flag (classes in portal/app.css).
FLAG_STYLES = {
    Flag.IMPORTANT: "danger",
    Flag.SPECIAL_ATTENTION: "warn",
    Flag.COMPLAINT_RISK: "violet",
    Flag.DO_NOT_CONTACT: "slate",
}


class Category(models.TextChoices):
    """Lifecycle category, derived from visits and spend (clients.lifecycle)."""

    NEW = "new", _("New")
    RETURNING = "returning", _("Returning")
    VIP = "vip", _("VIP")
    DORMANT = "dormant", _("Dormant")


class TagColour(models.TextChoices):
    TEAL = "teal", _("Teal")
    BLUE = "blue", _("Blue")
    VIOLET = "violet", _("Violet")
    PINK = "pink", _("Pink")
    ORANGE = "orange", _("Orange")
    GREEN = "green", _("Green")
    SLATE = "slate", _("Grey")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40)
    colour = models.CharField(
        _("colour"), max_length=10, choices=TagColour.choices, default=TagColour.TEAL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(models.functions.Lower("name"), name="tag_name_unique_ci")
        ]

    def __str__(self) -> str:
        return self.name


DEFAULT_PHONE_REGION = "CN"


class ClientSettings(models.Model):
    """One row per tenant: how file numbers are made."""

    file_prefix = models.CharField(_("file number prefix"), max_length=10, default="C")
    next_file_number = models.PositiveIntegerField(default=1)
    phone_region = models.CharField(
        _("default phone region"),
        max_length=2,
        default="CN",
        help_text=_("Country of numbers typed without +code."),
    )
    # Lifecycle category thresholds (seed 001/004): see clients.lifecycle.
    returning_min_visits = models.PositiveIntegerField(_("visits to count as returning"), default=2)
    vip_min_visits = models.PositiveIntegerField(_("visits to count as VIP"), default=10)
    vip_min_spend = models.DecimalField(
        _("spend to count as VIP"), max_digits=12, decimal_places=2, default=10000
    )
    dormant_after_months = models.PositiveIntegerField(
        _("months without a visit before dormant"), default=6
    )

    class Meta:
        verbose_name = _("client settings")

    def __str__(self) -> str:
        return f"{self.file_prefix}{self.next_file_number:06d}"

    @property
    def region(self) -> str:
        """The region phone numbers without a country code belong to."""
        return self.phone_region or DEFAULT_PHONE_REGION


def client_photo_path(client, filename: str) -> str:
    """Photos sit under the tenant's own prefix with an unguessable name; they are served
    only through the profile's photo view, never from a public URL."""
    import secrets

    from django.db import connection

    from core.storage import tenant_file_path

    return tenant_file_path(connection.tenant, "clients", "photos", f"{secrets.token_hex(12)}.jpg")


class Household(models.Model):
    """Clients who share one household (family members): stored-value balances may move
    between their cards where the owner allows it (finance.transfers)."""

    name = models.CharField(_("household name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class Client(models.Model):
    file_number = models.CharField(_("file number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=20, blank=True, db_index=True)
    other_phones = ArrayField(
        models.CharField(max_length=20), default=list, blank=True, verbose_name=_("other phones")
    )
    email = models.EmailField(_("email"), blank=True)
    national_id = EncryptedTextField(_("national ID number"), blank=True, default="")
    # Keyed hash for exact-match search and duplicate checks; the number itself is encrypted.
    national_id_index = models.CharField(max_length=64, blank=True, db_index=True)
    national_id_last4 = models.CharField(max_length=4, blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=100, blank=True)
    emergency_contact_relation = models.CharField(_("relation"), max_length=50, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=20, blank=True
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
    )
    preferred_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("preferred staff"),
    )
    preferred_channel = models.CharField(
        _("preferred contact channel"), max_length=10, choices=ContactChannel.choices, blank=True
    )
    # The language messages and receipts reach the client in ("" = the business's own).
    language = models.CharField(
        _("language for messages and receipts"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("household"),
    )
    service_preferences = models.TextField(_("service preferences"), blank=True)
    special_notes = models.TextField(_("special notes"), blank=True)
    photo = models.ImageField(_("photo"), upload_to=client_photo_path, blank=True)
    flags = ArrayField(
        models.CharField(max_length=30, choices=Flag.choices),
        default=list,
        blank=True,
        verbose_name=_("flags"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="clients", verbose_name=_("tags"))
    # Values of the tenant's custom fields (clients.CustomField), keyed by field key.
    custom = models.JSONField(_("custom fields"), default=dict, blank=True)

    # Derived, never edited directly: the visit figures from visits
    # (visits.services.refresh_client_visit_stats); total_spend from the till plus the
    # spend brought over from a previous system (finance.summary.refresh).
    visit_count = models.PositiveIntegerField(_("visits"), default=0)
    first_visit_on = models.DateField(_("first visit"), null=True, blank=True)
    last_visit_on = models.DateField(_("last visit"), null=True, blank=True)
    opening_spend = models.DecimalField(
        _("spend brought forward"), max_digits=12, decimal_places=2, default=0
    )
    total_spend = models.DecimalField(_("total spend"), max_digits=12, decimal_places=2, default=0)
    # Optimistic lock: every save of the record increments it; a form posts the version it
    # was opened with and a mismatch is a conflict (clients.services.client_update).
    version = models.PositiveIntegerField(default=1)

    # Search: one normalised column (name, pinyin, initials, phone digits, file number,
    # email) under a trigram index, plus the name's characters and bigrams for the one-
    # and two-character Chinese queries a trigram cannot serve.
    name_pinyin = models.CharField(max_length=300, blank=True)
    name_initials = models.CharField(max_length=50, blank=True, db_index=True)
    name_grams = ArrayField(models.CharField(max_length=4), default=list, blank=True)
    search_text = models.TextField(blank=True)
    # Sort key for Chinese names (the embedded cluster has no ICU collation).
    sort_key = models.CharField(max_length=300, blank=True, db_index=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set when the client's personal data was erased on request (privacy.services).
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["sort_key", "id"]
        indexes = [
            GinIndex(fields=["search_text"], name="client_search_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["name_grams"], name="client_name_grams"),
            models.Index(fields=["-created_at"], name="client_created"),
            models.Index(fields=["last_visit_on"], name="client_last_visit"),
            GinIndex(fields=["flags"], name="client_flags"),
            GinIndex(fields=["custom"], name="client_custom"),
            # Duplicate checks (clients.duplicates): another file's phones, name + birth date.
            GinIndex(fields=["other_phones"], name="client_other_phones"),
            models.Index(fields=["name", "date_of_birth"], name="client_name_dob"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.file_number})"

    @property
    def age(self) -> int | None:
        if not self.date_of_birth:
            return None
        today = timezone.localdate()
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def flag_badges(self) -> list[tuple[str, str]]:
        """(label, style) of each flag, in the order of ``Flag``."""
        return [(f.label, FLAG_STYLES[f]) for f in Flag if f.value in self.flags]

    @property
    def masked_national_id(self) -> str:
        return f"**************{self.national_id_last4}" if self.national_id_last4 else ""


class Pregnancy(models.TextChoices):
    NO = "no", _("No")
    PREGNANT = "pregnant", _("Pregnant")
    BREASTFEEDING = "breastfeeding", _("Breastfeeding")
    PLANNING = "planning", _("Planning a pregnancy")
    UNKNOWN = "", _("Not asked")


class ClientHealth(models.Model):
    """Medical history and allergies (seed 000 病史及过敏情况). Every free-text field is
    encrypted at rest; only roles with clinical permission read it."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="health")
    has_surgery_history = models.BooleanField(_("has had surgery"), default=False)
    surgery_history = EncryptedTextField(_("surgery history"), blank=True, default="")
    has_drug_allergy = models.BooleanField(_("has drug allergies"), default=False)
    drug_allergies = EncryptedTextField(_("drug allergies"), blank=True, default="")
    other_allergies = EncryptedTextField(
        _("other allergies (products, ingredients)"), blank=True, default=""
    )
    has_chronic_condition = models.BooleanField(_("has other illnesses"), default=False)
    chronic_conditions = EncryptedTextField(_("chronic conditions"), blank=True, default="")
    current_medications = EncryptedTextField(_("current medications"), blank=True, default="")
    pregnancy = models.CharField(
        _("pregnancy or breastfeeding"), max_length=20, choices=Pregnancy.choices, blank=True
    )
    notes = EncryptedTextField(_("other health notes"), blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("health record")

    def __str__(self) -> str:
        return f"health record of client {self.client_id}"

    @property
    def has_allergy_alert(self) -> bool:
        return bool(self.has_drug_allergy or self.drug_allergies or self.other_allergies)


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    BOOLEAN = "boolean", _("Yes/no")


class CustomFieldSection(models.Model):
    """A named, ordered group of custom fields (seed 002: each clinic's own questions)."""

    name = models.CharField(_("section name"), max_length=80)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("custom field section")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    section = models.ForeignKey(
        CustomFieldSection,
        on_delete=models.CASCADE,
        related_name="fields",
        verbose_name=_("section"),
    )
    # Stable key of the value in Client.custom; never changes once the field exists.
    key = models.SlugField(max_length=40, unique=True)
    label = models.CharField(_("label"), max_length=80)
    kind = models.CharField(_("type"), max_length=20, choices=CustomFieldKind.choices)
    choices = ArrayField(
        models.CharField(max_length=80), default=list, blank=True, verbose_name=_("choices")
    )
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("custom field")
        ordering = ["section__order", "section_id", "order", "id"]

    def __str__(self) -> str:
        return self.label


class SavedList(models.Model):
    """A named client-list filter a user keeps (and may share with colleagues)."""

    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_client_lists"
    )
    # The list page's query string (filters and sort), without page and search box.
    params = models.JSONField(default=dict)
    shared = models.BooleanField(_("share with colleagues"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("saved list")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
