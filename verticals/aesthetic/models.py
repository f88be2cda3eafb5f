"""Aesthetic records (seeds 000, 002, 004): the client's skin profile, a treatment record
per visit with its products and the injection points of the face map, and before-and-after
photos per area.

Every row belongs to one client; clinical free text is encrypted at rest. The skin profile
is versioned: a change appends a new version (the newest is the profile), so what was known
on any date stays readable, and a merge moves both files' versions to the kept client."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from verticals.records import client_field, staff_field, visit_field


class SkinType(models.TextChoices):
    NORMAL = "normal", _("Normal")
    DRY = "dry", _("Dry")
    OILY = "oily", _("Oily")
    COMBINATION = "combination", _("Combination")
    SENSITIVE = "sensitive", _("Sensitive")


class Concern(models.TextChoices):
    ACNE = "acne", _("Acne")
    PIGMENTATION = "pigmentation", _("Pigmentation / spots")
    WRINKLES = "wrinkles", _("Fine lines and wrinkles")
    LAXITY = "laxity", _("Loss of firmness")
    REDNESS = "redness", _("Redness / rosacea")
    PORES = "pores", _("Enlarged pores")
    DEHYDRATION = "dehydration", _("Dehydration")
    SCARS = "scars", _("Scars")
    DARK_CIRCLES = "dark_circles", _("Dark circles")
    DULLNESS = "dullness", _("Dull complexion")


FITZPATRICK_MIN, FITZPATRICK_MAX = 1, 6
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}


class SkinProfile(models.Model):
    """One version of the client's skin profile (the newest is the current one)."""

    client = client_field("aesthetic")
    skin_type = models.CharField(
        _("skin type"), max_length=12, choices=SkinType.choices, blank=True
    )
    fitzpatrick = models.PositiveSmallIntegerField(
        _("Fitzpatrick type"),
        null=True,
        blank=True,
        validators=[MinValueValidator(FITZPATRICK_MIN), MaxValueValidator(FITZPATRICK_MAX)],
    )
    concerns = ArrayField(
        models.CharField(max_length=20, choices=Concern.choices),
        default=list,
        blank=True,
        verbose_name=_("concerns"),
    )
    sensitivities = EncryptedTextField(_("sensitivities"), blank=True)
    product_allergies = EncryptedTextField(_("product allergies"), blank=True)
    ingredient_allergies = EncryptedTextField(_("ingredient allergies"), blank=True)
    preferences = EncryptedTextField(_("salon preferences"), blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    recorded_by = staff_field()
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("skin profile")
        verbose_name_plural = _("skin profiles")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "-created_at"], name="aesthetic_skin_client")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fitzpatrick__isnull=True)
                | models.Q(fitzpatrick__gte=FITZPATRICK_MIN, fitzpatrick__lte=FITZPATRICK_MAX),
                name="aesthetic_fitzpatrick_1_6",
            ),
        ]

    def __str__(self) -> str:
        return f"skin profile {self.created_at:%Y-%m-%d} of client {self.client_id}"

    @property
    def fitzpatrick_roman(self) -> str:
        return ROMAN.get(self.fitzpatrick or 0, "")

    def concern_labels(self) -> list[str]:
        return [str(Concern(c).label) for c in self.concerns if c in Concern.values]

    def allergy_texts(self) -> list[str]:
        return [t for t in (self.product_allergies, self.ingredient_allergies) if t]


class Area(models.TextChoices):
    FULL_FACE = "full_face", _("Full face")
    FOREHEAD = "forehead", _("Forehead")
    GLABELLA = "glabella", _("Glabella (frown lines)")
    CROWS_FEET = "crows_feet", _("Crow's feet")
    UNDER_EYE = "under_eye", _("Under the eyes")
    CHEEKS = "cheeks", _("Cheeks")
    NOSE = "nose", _("Nose")
    NASOLABIAL = "nasolabial", _("Nasolabial folds")
    LIPS = "lips", _("Lips")
    CHIN = "chin", _("Chin")
    JAWLINE = "jawline", _("Jawline")
    NECK = "neck", _("Neck")


class RecordStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DONE = "done", _("Done")


class TreatmentRecord(models.Model):
    """What was done at one visit (seed 000 治疗历史及反馈)."""

    client = client_field("aesthetic")
    visit = visit_field()
    performed_on = models.DateField(_("date"))
    procedure = models.CharField(_("procedure"), max_length=120)
    areas = ArrayField(
        models.CharField(max_length=20, choices=Area.choices),
        default=list,
        blank=True,
        verbose_name=_("areas"),
    )
    device = models.CharField(_("device"), max_length=120, blank=True)
    device_settings = EncryptedTextField(_("device settings"), blank=True)
    practitioner = staff_field(_("practitioner"))
    aftercare = EncryptedTextField(_("aftercare given"), blank=True)
    efficacy = EncryptedTextField(_("efficacy evaluation"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    notes = EncryptedTextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=RecordStatus.choices, default=RecordStatus.DRAFT
    )
    recorded_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("treatment record")
        verbose_name_plural = _("treatment records")
        ordering = ["-performed_on", "-id"]
        indexes = [
            models.Index(fields=["client", "-performed_on"], name="aesthetic_record_client"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__isnull=True)
                | models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="aesthetic_satisfaction_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure} {self.performed_on}"

    def area_labels(self) -> list[str]:
        return [str(Area(a).label) for a in self.areas if a in Area.values]


class Unit(models.TextChoices):
    UNITS = "U", _("units (U)")
    ML = "ml", _("ml")
    MG = "mg", _("mg")
    SHOTS = "shots", _("shots")


class ProductUse(models.Model):
    """A product used in a treatment, with its batch and expiry (traceability)."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(_("product"), max_length=120)
    batch_number = models.CharField(_("batch / lot number"), max_length=60)
    expires_on = models.DateField(_("expiry date"))
    dose = models.DecimalField(_("dose"), max_digits=8, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, blank=True)

    class Meta:
        verbose_name = _("product used")
        verbose_name_plural = _("products used")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.batch_number})"


class MapView(models.TextChoices):
    FRONT = "front", _("Front view")
    PROFILE = "profile", _("Side view")


class InjectionPoint(models.Model):
    """A point placed on the face map: its drawing, its position as fractions (0..1) of
    the drawing's width and height, and what was injected there."""

    record = models.ForeignKey(TreatmentRecord, on_delete=models.CASCADE, related_name="points")
    view = models.CharField(_("drawing"), max_length=8, choices=MapView.choices)
    x = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    y = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(1)])
    amount = models.DecimalField(_("amount"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    label = models.CharField(_("label"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("injection point")
        verbose_name_plural = _("injection points")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(x__gte=0, x__lte=1, y__gte=0, y__lte=1),
                name="aesthetic_point_inside_map",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="aesthetic_point_amount"),
        ]

    def __str__(self) -> str:
        return f"{self.view} ({self.x:.3f}, {self.y:.3f}) {self.amount} {self.unit}"


class PhotoStage(models.TextChoices):
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")
    FOLLOW_UP = "follow_up", _("Follow-up")


class TreatmentPhoto(models.Model):
    client = client_field("aesthetic")
    visit = visit_field()
    record = models.ForeignKey(
        TreatmentRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="photos",
        verbose_name=_("treatment record"),
    )
    image = models.ForeignKey(
        "filestore.StoredFile", on_delete=models.PROTECT, related_name="+", verbose_name=_("image")
    )
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    stage = models.CharField(
        _("stage"), max_length=10, choices=PhotoStage.choices, default=PhotoStage.BEFORE
    )
    taken_on = models.DateField(_("date taken"))
    note = EncryptedTextField(_("note"), blank=True)
    recorded_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("treatment photo")
        verbose_name_plural = _("treatment photos")
        ordering = ["-taken_on", "-id"]
        indexes = [
            models.Index(fields=["client", "area", "-taken_on"], name="aesthetic_photo_area"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.stage} {self.taken_on}"
