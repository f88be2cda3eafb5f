"""Dental records (seed 001 口腔健康记录 and 服务记录): oral-health exams, X-ray images,
the tooth chart's history, periodontal exams, cleaning records and treatment plans.

Every row belongs to one client; clinical free text is encrypted at rest. The tooth chart
is never edited in place: ``ToothEntry`` is append-only and the chart on screen is derived
from it (``verticals.dental.chart``), so its history is the table itself."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from verticals.records import client_field, staff_field, visit_field

MAX_MM = 15


class OralHealthRecord(models.Model):
    """One dated oral examination: history, findings and periodontal status."""

    client = client_field("dental")
    visit = visit_field()
    examined_on = models.DateField(_("examined on"))
    medical_history = EncryptedTextField(_("relevant medical history"), blank=True)
    findings = EncryptedTextField(_("examination findings"), blank=True)
    periodontal_status = EncryptedTextField(_("periodontal status"), blank=True)
    recorded_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("oral health record")
        verbose_name_plural = _("oral health records")
        ordering = ["-examined_on", "-id"]
        indexes = [models.Index(fields=["client", "-examined_on"], name="dental_oral_client")]

    def __str__(self) -> str:
        return f"oral health record {self.examined_on} of client {self.client_id}"


class XRayType(models.TextChoices):
    PERIAPICAL = "periapical", _("Periapical")
    BITEWING = "bitewing", _("Bitewing")
    PANORAMIC = "panoramic", _("Panoramic")
    CBCT = "cbct", _("CBCT")
    CEPHALOMETRIC = "cephalometric", _("Cephalometric")
    OCCLUSAL = "occlusal", _("Occlusal")
    OTHER = "other", _("Other")


class XRay(models.Model):
    client = client_field("dental")
    visit = visit_field()
    image = models.ForeignKey(
        "filestore.StoredFile", on_delete=models.PROTECT, related_name="+", verbose_name=_("image")
    )
    taken_on = models.DateField(_("date taken"))
    kind = models.CharField(_("type"), max_length=20, choices=XRayType.choices)
    teeth = ArrayField(
        models.PositiveSmallIntegerField(), default=list, blank=True, verbose_name=_("teeth")
    )
    note = EncryptedTextField(_("findings"), blank=True)
    recorded_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("X-ray")
        verbose_name_plural = _("X-rays")
        ordering = ["-taken_on", "-id"]
        indexes = [models.Index(fields=["client", "-taken_on"], name="dental_xray_client")]

    def __str__(self) -> str:
        return f"{self.kind} X-ray {self.taken_on} of client {self.client_id}"


class Condition(models.TextChoices):
    CARIES = "caries", _("Caries")
    FILLING = "filling", _("Filling")
    SEALANT = "sealant", _("Sealant")
    FRACTURED = "fractured", _("Fractured")
    VENEER = "veneer", _("Veneer")
    CROWN = "crown", _("Crown")
    BRIDGE = "bridge", _("Bridge")
    ROOT_CANAL = "root_canal", _("Root canal")
    IMPLANT = "implant", _("Implant")
    MISSING = "missing", _("Missing")
    EXTRACTION_PLANNED = "extraction", _("Extraction planned")
    WEAR = "wear", _("Wear / erosion")


# Conditions of the whole tooth: recorded without surfaces.
WHOLE_TOOTH = frozenset(
    {
        Condition.CROWN,
        Condition.BRIDGE,
        Condition.ROOT_CANAL,
        Condition.IMPLANT,
        Condition.MISSING,
        Condition.EXTRACTION_PLANNED,
    }
)


class EntryStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    EXISTING = "existing", _("Existing")
    DONE = "done", _("Done")
    # Clears the condition from the chart (the caries was filled elsewhere, the record
    # was a mistake); kept in the history like any other entry.
    RESOLVED = "resolved", _("Resolved")


class Surface(models.TextChoices):
    MESIAL = "M", _("mesial")
    OCCLUSAL = "O", _("occlusal / incisal")
    DISTAL = "D", _("distal")
    BUCCAL = "B", _("buccal / labial")
    LINGUAL = "L", _("lingual / palatal")


class ToothEntry(models.Model):
    """One line of the tooth chart's history (append-only)."""

    client = client_field("dental")
    visit = visit_field()
    tooth = models.PositiveSmallIntegerField(_("tooth"))
    surfaces = ArrayField(
        models.CharField(max_length=1, choices=Surface.choices),
        default=list,
        blank=True,
        verbose_name=_("surfaces"),
    )
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=EntryStatus.choices, default=EntryStatus.EXISTING
    )
    note = EncryptedTextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = staff_field()

    class Meta:
        verbose_name = _("tooth chart entry")
        verbose_name_plural = _("tooth chart entries")
        ordering = ["-recorded_at", "-id"]
        indexes = [models.Index(fields=["client", "tooth", "recorded_at"], name="dental_tooth")]

    def __str__(self) -> str:
        return f"tooth {self.tooth} {self.condition} ({self.status})"


class PerioExam(models.Model):
    client = client_field("dental")
    visit = visit_field()
    examined_on = models.DateField(_("examined on"))
    note = EncryptedTextField(_("note"), blank=True)
    recorded_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("periodontal exam")
        verbose_name_plural = _("periodontal exams")
        ordering = ["-examined_on", "-id"]
        indexes = [models.Index(fields=["client", "-examined_on"], name="dental_perio_client")]

    def __str__(self) -> str:
        return f"perio exam {self.examined_on} of client {self.client_id}"


def _mm(label):
    return models.PositiveSmallIntegerField(
        label, null=True, blank=True, validators=[MaxValueValidator(MAX_MM)]
    )


class PerioSite(models.Model):
    """One probed site: depth, bleeding and recession."""

    exam = models.ForeignKey(PerioExam, on_delete=models.CASCADE, related_name="sites")
    tooth = models.PositiveSmallIntegerField(_("tooth"))
    site = models.CharField(_("site"), max_length=2)
    depth = _mm(_("probing depth (mm)"))
    bleeding = models.BooleanField(_("bleeding on probing"), default=False)
    recession = _mm(_("recession (mm)"))

    class Meta:
        ordering = ["tooth", "site"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "tooth", "site"], name="dental_perio_site"),
            models.CheckConstraint(
                condition=models.Q(depth__isnull=True) | models.Q(depth__lte=MAX_MM),
                name="dental_perio_depth_range",
            ),
            models.CheckConstraint(
                condition=models.Q(recession__isnull=True) | models.Q(recession__lte=MAX_MM),
                name="dental_perio_recession_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tooth} {self.site}: {self.depth}"


class PerioTooth(models.Model):
    """Per-tooth findings of a periodontal exam (mobility grade 0–3, furcation 0–3)."""

    exam = models.ForeignKey(PerioExam, on_delete=models.CASCADE, related_name="teeth")
    tooth = models.PositiveSmallIntegerField(_("tooth"))
    mobility = models.PositiveSmallIntegerField(
        _("mobility"), null=True, blank=True, validators=[MaxValueValidator(3)]
    )
    furcation = models.PositiveSmallIntegerField(
        _("furcation"), null=True, blank=True, validators=[MaxValueValidator(3)]
    )

    class Meta:
        ordering = ["tooth"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "tooth"], name="dental_perio_tooth"),
        ]

    def __str__(self) -> str:
        return f"{self.tooth}: mobility {self.mobility}"


class CleaningTool(models.TextChoices):
    ULTRASONIC = "ultrasonic", _("Ultrasonic scaler")
    HAND = "hand", _("Hand scaling")
    AIR_POLISHING = "air_polishing", _("Air polishing")
    POLISHING = "polishing", _("Rubber cup polishing")
    FLOSSING = "flossing", _("Professional flossing")


class CleaningRecord(models.Model):
    """A scale-and-polish as seed 001's 服务记录与备注 lists it."""

    client = client_field("dental")
    visit = visit_field()
    performed_on = models.DateField(_("date"))
    steriliser_batch = models.CharField(_("steriliser batch"), max_length=60, blank=True)
    steriliser_cycle = models.CharField(_("steriliser cycle"), max_length=60, blank=True)
    preparation = EncryptedTextField(_("preparation"), blank=True)
    tools = ArrayField(
        models.CharField(max_length=20, choices=CleaningTool.choices),
        default=list,
        blank=True,
        verbose_name=_("tools used"),
    )
    procedure_steps = EncryptedTextField(_("procedure steps"), blank=True)
    effect_evaluation = EncryptedTextField(_("effect evaluation"), blank=True)
    client_feedback = EncryptedTextField(_("client feedback"), blank=True)
    special_situations = EncryptedTextField(_("special situations"), blank=True)
    other_notes = EncryptedTextField(_("other notes"), blank=True)
    recorded_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cleaning record")
        verbose_name_plural = _("cleaning records")
        ordering = ["-performed_on", "-id"]
        indexes = [models.Index(fields=["client", "-performed_on"], name="dental_clean_client")]

    def __str__(self) -> str:
        return f"cleaning {self.performed_on} of client {self.client_id}"

    def tool_labels(self) -> list[str]:
        return [str(CleaningTool(t).label) for t in self.tools if t in CleaningTool.values]


class TreatmentPlan(models.Model):
    client = client_field("dental")
    title = models.CharField(_("title"), max_length=120)
    note = EncryptedTextField(_("note"), blank=True)
    created_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("treatment plan")
        verbose_name_plural = _("treatment plans")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class ItemStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")


class PlanItem(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="items")
    tooth = models.PositiveSmallIntegerField(_("tooth"), null=True, blank=True)
    procedure = models.CharField(_("procedure"), max_length=120)
    phase = models.PositiveSmallIntegerField(
        _("phase"), default=1, validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ItemStatus.choices, default=ItemStatus.PROPOSED
    )
    estimated_cost = models.DecimalField(
        _("estimated cost"), max_digits=12, decimal_places=2, default=0
    )
    note = EncryptedTextField(_("note"), blank=True)
    # Set by finance when the item has been put on a bill (``services.plan_item_billed``).
    billed_at = models.DateTimeField(_("billed at"), null=True, blank=True)
    bill_reference = models.CharField(_("bill"), max_length=60, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("treatment plan item")
        verbose_name_plural = _("treatment plan items")
        ordering = ["phase", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(phase__gte=1, phase__lte=9), name="dental_plan_phase_1_9"
            ),
            models.CheckConstraint(
                condition=models.Q(estimated_cost__gte=0), name="dental_plan_cost_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure} ({self.tooth or '-'})"
