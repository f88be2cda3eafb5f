"""Consent forms per procedure (seed 000's 知情同意书): a form is required for the
scheduling services it names; its text is versioned in English and Simplified Chinese.
A published version is never changed: editing its text makes the next version, and a
signed consent points at the exact version the client read.

Which version must be signed: the form's current one (its latest published version). A
client who signed an older version signs again when the text changes."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField


class ConsentForm(models.Model):
    name = models.CharField(_("form name"), max_length=120, unique=True)
    services = models.ManyToManyField(
        "scheduling.Service",
        blank=True,
        related_name="aesthetic_consent_forms",
        verbose_name=_("required for"),
        help_text=_("The services a client must have signed this form for."),
    )
    active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consent form")
        verbose_name_plural = _("consent forms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> ConsentFormVersion | None:
        """The latest published version (prefetched as ``published_versions`` if given)."""
        cached = getattr(self, "published_versions", None)
        if cached is not None:
            return cached[0] if cached else None
        return self.versions.filter(published_at__isnull=False).order_by("-number").first()


class ConsentFormVersion(models.Model):
    form = models.ForeignKey(
        ConsentForm, on_delete=models.PROTECT, related_name="versions", verbose_name=_("form")
    )
    number = models.PositiveIntegerField(_("version"))
    text_en = models.TextField(_("text in English"))
    text_zh = models.TextField(_("text in Simplified Chinese"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consent form version")
        verbose_name_plural = _("consent form versions")
        ordering = ["form", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "number"], name="aesthetic_consent_version")
        ]

    def __str__(self) -> str:
        return f"{self.form_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = (
                type(self)
                .objects.filter(pk=self.pk)
                .values("published_at", "text_en", "text_zh", "number", "form_id")
            )
            old = stored.first()
            if old and old["published_at"] is not None:
                changed = any(
                    old[f] != getattr(self, f)
                    for f in ("published_at", "text_en", "text_zh", "number", "form_id")
                )
                if changed:
                    raise ValidationError(
                        _("A published version cannot be changed; edit it to make a new one.")
                    )
        super().save(*args, **kwargs)

    def text_for(self, language: str) -> str:
        return self.text_zh if (language or "").lower().startswith("zh") else self.text_en


class SignerRole(models.TextChoices):
    CLIENT = "client", _("The client in person")
    GUARDIAN = "guardian", _("Parent or guardian")


class SignedConsent(models.Model):
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        related_name="aesthetic_consents",
        verbose_name=_("client"),
    )
    version = models.ForeignKey(
        ConsentFormVersion,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("version"),
    )
    signer_name = EncryptedTextField(_("signed by"), blank=True)
    signer_role = models.CharField(
        _("signer"), max_length=10, choices=SignerRole.choices, default=SignerRole.CLIENT
    )
    language = models.CharField(_("language"), max_length=10)
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    document = models.ForeignKey(
        "filestore.StoredFile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signed PDF"),
    )
    signature = models.ForeignKey(
        "filestore.StoredFile",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signature image"),
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("appointment"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("witnessed by"),
    )

    class Meta:
        verbose_name = _("signed consent")
        verbose_name_plural = _("signed consents")
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["client", "-signed_at"], name="aesthetic_consent_client")]

    def __str__(self) -> str:
        return f"consent {self.version_id} of client {self.client_id}"
