"""Optical records (seed 003 视力档案): vision exams with acuity, refraction, IOP,
keratometry and axial length; dispensing with its lab order; and the business's own
acuity notation.

Acuity is stored once, as logMAR (Decimal, two places), whatever notation it was typed
in; pages show it in the notation the business chose (``OpticalSettings``, see
``verticals.optical.acuity``). Clinical free text is encrypted at rest."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField
from verticals.records import client_field, staff_field


def _dec(label, digits=5, places=2):
    return models.DecimalField(
        label, max_digits=digits, decimal_places=places, null=True, blank=True
    )


class Notation(models.TextChoices):
    DECIMAL = "decimal", _("Decimal (1.0)")
    FIVE_POINT = "five_point", _("5-point scale (5.0)")
    SNELLEN_METRES = "snellen_m", _("Snellen, metres (6/6)")
    SNELLEN_FEET = "snellen_ft", _("Snellen, feet (20/20)")


class OpticalSettings(models.Model):
    """The business's optical preferences: one row per tenant schema."""

    acuity_notation = models.CharField(
        _("visual acuity notation"),
        max_length=12,
        choices=Notation.choices,
        default=Notation.FIVE_POINT,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("optical settings")
        verbose_name_plural = _("optical settings")

    def __str__(self) -> str:
        return f"optical settings ({self.acuity_notation})"


class IOPMethod(models.TextChoices):
    NON_CONTACT = "non_contact", _("Non-contact (air puff)")
    GOLDMANN = "goldmann", _("Goldmann applanation")
    ICARE = "icare", _("Rebound (iCare)")
    TONOPEN = "tonopen", _("Tono-Pen")
    OTHER = "other", _("Other")


class VisionExam(models.Model):
    client = client_field("optical")
    visit = models.ForeignKey(
        "visits.Visit",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visit"),
    )
    examined_on = models.DateField(_("examined on"))
    # Visual acuity, logMAR: uncorrected (ua) and corrected (ca), right (od) and left (os).
    ua_od = _dec(_("uncorrected acuity, right (logMAR)"), 4)
    ua_os = _dec(_("uncorrected acuity, left (logMAR)"), 4)
    ca_od = _dec(_("corrected acuity, right (logMAR)"), 4)
    ca_os = _dec(_("corrected acuity, left (logMAR)"), 4)
    pd_binocular = _dec(_("binocular PD (mm)"), 4, 1)
    iop_od = _dec(_("IOP right (mmHg)"), 4, 1)
    iop_os = _dec(_("IOP left (mmHg)"), 4, 1)
    iop_method = models.CharField(
        _("IOP method"), max_length=12, choices=IOPMethod.choices, blank=True
    )
    iop_time = models.TimeField(_("IOP time"), null=True, blank=True)
    k1_od = _dec(_("K1 right (D)"))
    k1_axis_od = models.PositiveSmallIntegerField(_("K1 axis right"), null=True, blank=True)
    k2_od = _dec(_("K2 right (D)"))
    k2_axis_od = models.PositiveSmallIntegerField(_("K2 axis right"), null=True, blank=True)
    k1_os = _dec(_("K1 left (D)"))
    k1_axis_os = models.PositiveSmallIntegerField(_("K1 axis left"), null=True, blank=True)
    k2_os = _dec(_("K2 left (D)"))
    k2_axis_os = models.PositiveSmallIntegerField(_("K2 axis left"), null=True, blank=True)
    axial_od = _dec(_("axial length right (mm)"))
    axial_os = _dec(_("axial length left (mm)"))
    diagnosis = EncryptedTextField(_("diagnosis"), blank=True)
    advice = EncryptedTextField(_("advice"), blank=True)
    next_recheck = models.DateField(_("next recheck"), null=True, blank=True)
    recorded_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("vision exam")
        verbose_name_plural = _("vision exams")
        ordering = ["-examined_on", "-id"]
        indexes = [models.Index(fields=["client", "-examined_on"], name="optical_exam_client")]

    def __str__(self) -> str:
        return f"vision exam {self.examined_on} of client {self.client_id}"


class RefractionKind(models.TextChoices):
    OBJECTIVE = "objective", _("Objective")
    SUBJECTIVE = "subjective", _("Subjective")


class Eye(models.TextChoices):
    RIGHT = "od", _("Right (OD)")
    LEFT = "os", _("Left (OS)")


class PrismBase(models.TextChoices):
    IN = "in", _("Base in")
    OUT = "out", _("Base out")
    UP = "up", _("Base up")
    DOWN = "down", _("Base down")


class Refraction(models.Model):
    """One eye's refraction of an exam, objective (autorefractor, retinoscopy) or
    subjective (the prescription)."""

    exam = models.ForeignKey(VisionExam, on_delete=models.CASCADE, related_name="refractions")
    kind = models.CharField(_("kind"), max_length=10, choices=RefractionKind.choices)
    eye = models.CharField(_("eye"), max_length=2, choices=Eye.choices)
    sphere = models.DecimalField(_("sphere"), max_digits=5, decimal_places=2)
    cylinder = models.DecimalField(_("cylinder"), max_digits=5, decimal_places=2, default=0)
    axis = models.PositiveSmallIntegerField(_("axis"), null=True, blank=True)
    add = _dec(_("add"), 4)
    prism = _dec(_("prism (Δ)"), 4)
    prism_base = models.CharField(
        _("prism base"), max_length=4, choices=PrismBase.choices, blank=True
    )
    pd = _dec(_("monocular PD (mm)"), 4, 1)

    class Meta:
        ordering = ["kind", "eye"]
        constraints = [
            models.UniqueConstraint(fields=["exam", "kind", "eye"], name="optical_refraction_one"),
            models.CheckConstraint(
                condition=models.Q(sphere__gte=-30, sphere__lte=30)
                & models.Q(cylinder__gte=-30, cylinder__lte=30),
                name="optical_refraction_range",
            ),
            models.CheckConstraint(
                condition=models.Q(axis__isnull=True) | models.Q(axis__gte=1, axis__lte=180),
                name="optical_refraction_axis",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.eye}: {self.sphere} {self.cylinder} x {self.axis}"

    @property
    def spherical_equivalent(self):
        return self.sphere + self.cylinder / 2


class LensType(models.TextChoices):
    SINGLE_VISION = "single_vision", _("Single vision")
    BIFOCAL = "bifocal", _("Bifocal")
    PROGRESSIVE = "progressive", _("Progressive")
    MYOPIA_CONTROL = "myopia_control", _("Myopia control")
    CONTACT_LENS = "contact_lens", _("Contact lens")


class Coating(models.TextChoices):
    ANTI_REFLECTIVE = "anti_reflective", _("Anti-reflective")
    HARD = "hard", _("Scratch-resistant")
    BLUE_LIGHT = "blue_light", _("Blue-light filter")
    UV = "uv", _("UV protection")
    PHOTOCHROMIC = "photochromic", _("Photochromic")
    POLARISED = "polarised", _("Polarised")
    HYDROPHOBIC = "hydrophobic", _("Water-repellent")


class LabStatus(models.TextChoices):
    ORDERED = "ordered", _("Ordered")
    AT_LAB = "at_lab", _("At the lab")
    READY = "ready", _("Ready for collection")
    COLLECTED = "collected", _("Collected")


LAB_ORDER = [s.value for s in LabStatus]


class Dispensing(models.Model):
    client = client_field("optical")
    exam = models.ForeignKey(
        VisionExam,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispensings",
        verbose_name=_("prescription used"),
    )
    dispensed_on = models.DateField(_("date"))
    frame = models.CharField(_("frame"), max_length=120, blank=True)
    lens_type = models.CharField(_("lens type"), max_length=16, choices=LensType.choices)
    lens_product = models.CharField(_("lens product"), max_length=120, blank=True)
    coatings = ArrayField(
        models.CharField(max_length=20, choices=Coating.choices),
        default=list,
        blank=True,
        verbose_name=_("coatings"),
    )
    cl_base_curve = _dec(_("base curve (mm)"), 3, 1)
    cl_diameter = _dec(_("diameter (mm)"), 3, 1)
    # The lens's own power (vertex-corrected from the spectacle refraction where needed).
    cl_power_od = _dec(_("contact lens power, right (D)"))
    cl_power_os = _dec(_("contact lens power, left (D)"))
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, default=0)
    status = models.CharField(
        _("lab order status"), max_length=10, choices=LabStatus.choices, default=LabStatus.ORDERED
    )
    ordered_at = models.DateTimeField(_("ordered at"), default=timezone.now)
    at_lab_at = models.DateTimeField(_("sent to the lab at"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    note = EncryptedTextField(_("note"), blank=True)
    recorded_by = staff_field()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("dispensing")
        verbose_name_plural = _("dispensings")
        ordering = ["-dispensed_on", "-id"]
        indexes = [models.Index(fields=["client", "-dispensed_on"], name="optical_disp_client")]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="optical_price_positive")
        ]

    def __str__(self) -> str:
        return f"dispensing {self.dispensed_on} of client {self.client_id}"

    def coating_labels(self) -> list[str]:
        return [str(Coating(c).label) for c in self.coatings if c in Coating.values]

    @property
    def is_contact_lens(self) -> bool:
        return self.lens_type == LensType.CONTACT_LENS

    def next_status(self) -> str | None:
        index = LAB_ORDER.index(self.status)
        return LAB_ORDER[index + 1] if index + 1 < len(LAB_ORDER) else None

    def next_status_label(self) -> str:
        nxt = self.next_status()
        return str(LabStatus(nxt).label) if nxt else ""

    def status_times(self) -> list[tuple[str, object]]:
        return [
            (str(LabStatus.ORDERED.label), self.ordered_at),
            (str(LabStatus.AT_LAB.label), self.at_lab_at),
            (str(LabStatus.READY.label), self.ready_at),
            (str(LabStatus.COLLECTED.label), self.collected_at),
        ]
