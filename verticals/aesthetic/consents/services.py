"""Every rule of consent forms and signatures; views and the demo write through these.

Each write validates (``ValidationError`` keyed by the form field it is about), runs in
one transaction and leaves an audit entry. A published version is never changed: saving
new text for a form whose latest version is published makes the next version (a draft
until it is published); a draft is edited in place."""

from __future__ import annotations

import base64
import binascii
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from audit import services as audit
from clients.services import refuse_erased
from verticals.aesthetic.consents.models import (
    ConsentForm,
    ConsentFormVersion,
    SignedConsent,
    SignerRole,
)

PURPOSE = "aesthetic_consent"
SIGNATURE_PURPOSE = "aesthetic_consent_signature"
PURPOSES = (PURPOSE, SIGNATURE_PURPOSE)
MAX_SIGNATURE_BYTES = 1_000_000
MAX_SIGNATURE_PIXELS = 4_000_000
FORM_FIELDS = ("name", "active")
VERSION_FIELDS = ("number", "published_at")
SIGNED_FIELDS = ("version_id", "signer_role", "language", "signed_at", "appointment_id")


def _snap(obj, fields) -> dict:
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _version_snap(version) -> dict:
    # Texts are named, not copied (they can be long); the version keeps them itself.
    return {
        **_snap(version, VERSION_FIELDS),
        "text_en": version.text_en,
        "text_zh": version.text_zh,
    }


@transaction.atomic
def consent_form_save(*, actor, values: dict, form: ConsentForm | None = None) -> ConsentForm:
    """Create or change a form's name, services and whether it is in use."""
    creating = form is None
    form = form or ConsentForm()
    before = {} if creating else {**_snap(form, FORM_FIELDS), "services": _service_ids(form)}
    form.name = (values.get("name") or "").strip()
    form.active = bool(values.get("active", True))
    form.full_clean()
    form.save()
    form.services.set(values.get("services") or [])
    after = {**_snap(form, FORM_FIELDS), "services": _service_ids(form)}
    audit.record_change(
        action="create" if creating else "update",
        actor=actor,
        object_type="aesthetic_consent_form",
        object_id=form.pk,
        client_id=None,
        before=before,
        after=after,
    )
    return form


def _service_ids(form) -> list[int]:
    return sorted(form.services.values_list("pk", flat=True))


@transaction.atomic
def consent_version_save(
    *, form: ConsentForm, actor, text_en: str, text_zh: str, publish: bool
) -> ConsentFormVersion:
    """Save the form's text: into its draft if the latest version is one, else as the
    next version. ``publish`` publishes it (from then on it never changes)."""
    form = ConsentForm.objects.select_for_update().get(pk=form.pk)
    latest = form.versions.order_by("-number").first()
    text_en, text_zh = (text_en or "").strip(), (text_zh or "").strip()
    unchanged = latest is not None and (latest.text_en, latest.text_zh) == (text_en, text_zh)
    if unchanged and latest.published_at is not None:
        return latest  # nothing new to publish: the current version stays
    if latest is not None and latest.published_at is None:
        version, before = latest, _version_snap(latest)
    else:
        number = (form.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version, before = ConsentFormVersion(form=form, number=number, created_by=actor), {}
    version.text_en, version.text_zh = text_en, text_zh
    if publish:
        version.published_at = timezone.now()
    version.full_clean()
    version.save()
    audit.record_change(
        action="create" if not before else "update",
        actor=actor,
        object_type="aesthetic_consent_version",
        object_id=version.pk,
        client_id=None,
        before=before,
        after=_version_snap(version),
        sensitive=("text_en", "text_zh"),
    )
    return version


def decode_signature(data_url: str) -> bytes:
    """The PNG bytes of the pad's ``data:image/png;base64,…`` value, refused when it is
    missing, not a PNG, too large or blank (nothing drawn)."""
    missing = ValidationError({"signature": [_("Draw the signature in the box.")]})
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise missing
    encoded = data_url[len(prefix) :]
    if len(encoded) > MAX_SIGNATURE_BYTES * 4 // 3 + 4:
        raise ValidationError({"signature": [_("The signature image is too large.")]})
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise missing from exc
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG" or img.width * img.height > MAX_SIGNATURE_PIXELS:
                raise missing
            img.load()
            alpha = img.convert("RGBA").getchannel("A")
            if alpha.getbbox() is None:
                raise missing
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise missing from exc
    return data


@transaction.atomic
def consent_sign(
    *,
    client,
    version: ConsentFormVersion,
    actor,
    signer_name: str,
    signer_role: str,
    language: str,
    signature_png: bytes,
    appointment=None,
) -> SignedConsent:
    """Record that ``client`` (or their guardian) signed ``version``: the signature
    image and the PDF of the text with it go to the filestore (``clients.health`` to
    open), and the signed consent points at both."""
    from filestore.services import store_generated

    from accounts.roles import Capability
    from verticals.aesthetic.consents.pdf import consent_pdf

    refuse_erased(client)
    signer_name = (signer_name or "").strip()
    if not signer_name:
        raise ValidationError({"signer_name": [_("Enter the name of the person signing.")]})
    if len(signer_name) > 120:
        raise ValidationError({"signer_name": [_("The name is too long.")]})
    if signer_role not in SignerRole.values:
        raise ValidationError({"signer_role": [_("Choose who signs.")]})
    if version.published_at is None or version.form.current_version() != version:
        raise ValidationError(
            {"version": [_("The form has changed since this page was opened; read it again.")]}
        )
    if appointment is not None and appointment.client_id != client.pk:
        raise ValidationError({"appointment": [_("This appointment is another client's.")]})
    language = "zh-hans" if (language or "").lower().startswith("zh") else "en"
    signed_at = timezone.now()
    try:
        signature = store_generated(
            data=signature_png,
            client=client,
            actor=actor,
            purpose=SIGNATURE_PURPOSE,
            capability=Capability.VIEW_HEALTH,
            content_type="image/png",
            name="signature.png",
        )
    except ValidationError as exc:
        raise ValidationError({"signature": exc.messages}) from exc
    document = store_generated(
        data=consent_pdf(
            version=version,
            client=client,
            signer_name=signer_name,
            signer_role_label=SignerRole(signer_role).label,
            signed_at=signed_at,
            language=language,
            signature_png=signature_png,
        ),
        client=client,
        actor=actor,
        purpose=PURPOSE,
        capability=Capability.VIEW_HEALTH,
        name=f"consent-{version.form_id}-v{version.number}.pdf",
    )
    signed = SignedConsent(
        client=client,
        version=version,
        signer_name=signer_name,
        signer_role=signer_role,
        language=language,
        signed_at=signed_at,
        document=document,
        signature=signature,
        appointment=appointment,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    signed.full_clean()
    signed.save()
    audit.record_change(
        action="create",
        actor=actor,
        object_type="aesthetic_consent",
        object_id=signed.pk,
        client_id=client.pk,
        before={},
        after={**_snap(signed, SIGNED_FIELDS), "signer_name": signer_name},
        sensitive=("signer_name",),
    )
    return signed
