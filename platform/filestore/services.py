"""Storing, deleting and erasing a client's files.

A file's type is decided by its content, never by its name: an image must open and
verify with Pillow as JPEG, PNG or WebP, a PDF must start with ``%PDF-`` and parse with
pypdf. Images are turned upright from their EXIF orientation and re-encoded without any
metadata (no EXIF, so no GPS location, no XMP, no comments), and get a thumbnail.

The bytes are written to the default storage under
``tenants/<schema>/files/<purpose>/<uuid>.<ext>`` (``core.storage.tenant_file_path``); the
row keeps that name. Callers that store a file for a record call these inside the same
``transaction.atomic()`` as the record's own service, so a refused record leaves no row."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from audit.services import record, record_change
from core.storage import tenant_file_path
from filestore.models import THUMB_PX, Kind, StoredFile

OBJECT_TYPE = "stored_file"
# Larger images are refused before their pixels are decoded (a small file can unpack to
# gigabytes): 50 megapixels is more than any clinic camera or X-ray sensor makes.
MAX_PIXELS = 50_000_000
# Pillow format -> (content type, file extension).
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
}
PDF_MAGIC = b"%PDF-"
KINDS = {Kind.IMAGE.value, Kind.PDF.value}


@dataclass(frozen=True)
class _Checked:
    kind: str
    content_type: str
    extension: str
    data: bytes
    thumb: bytes | None = None
    width: int | None = None
    height: int | None = None


def _refuse(message: str) -> ValidationError:
    return ValidationError({"file": [message]})


def _kinds_text(kinds: Iterable[str]) -> str:
    kinds = set(kinds)
    if kinds == {Kind.IMAGE}:
        return _("Upload a JPEG, PNG or WebP image.")
    if kinds == {Kind.PDF}:
        return _("Upload a PDF document.")
    return _("Upload a JPEG, PNG or WebP image or a PDF document.")


def _read(upload, limit: int) -> bytes:
    """The upload's bytes, refused as soon as they pass ``limit``."""
    too_big = _refuse(_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)})
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_big
    if hasattr(upload, "seek"):
        upload.seek(0)
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > limit:
            raise too_big
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise _refuse(_("The file is empty."))
    return data


def _clean_name(name: str) -> str:
    """The file's own name, without any folder a browser or tool sent along."""
    base = PurePath((name or "").replace("\\", "/")).name.strip()
    base = re.sub(r"[\x00-\x1f\x7f]", "", base)
    return base[-200:]


def _folder(purpose: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", purpose.lower()).strip(".-") or "file"


def _encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    icc = img.info.get("icc_profile")
    # Nothing of the source's metadata goes along: no EXIF (location, camera serial,
    # time), no XMP, no comment. The colour profile stays so colours stay true.
    img.info = {}
    options: dict = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        img.save(out, "JPEG", quality=90, optimize=True, **options)
    elif fmt == "WEBP":
        img.save(out, "WEBP", quality=90, **options)
    else:
        img.save(out, "PNG", optimize=True, **options)
    return out.getvalue()


def _normal_mode(img: Image.Image, fmt: str) -> Image.Image:
    if fmt == "JPEG":
        return img if img.mode in ("RGB", "L") else img.convert("RGB")
    if img.mode in ("RGB", "RGBA", "L", "LA"):
        return img
    has_alpha = img.mode in ("PA", "RGBa", "La") or "transparency" in img.info
    return img.convert("RGBA" if has_alpha else "RGB")


def _check_image(data: bytes) -> _Checked | None:
    """The re-encoded image and its thumbnail, or None when ``data`` is no image Pillow
    knows. Raises for an image of a format we do not take, a broken or too large one."""
    unreadable = _refuse(_("The image could not be read; it may be damaged."))
    with warnings.catch_warnings():
        # Pillow's own bomb check warns first and raises only at twice its limit; both
        # are refusals here, and our own, lower, limit is checked before decoding.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format
                width, height = probe.size
                if fmt not in IMAGE_FORMATS:
                    return None
                if width * height > MAX_PIXELS:
                    raise _refuse(
                        _("The image is too large (%(width)s × %(height)s pixels).")
                        % {"width": width, "height": height}
                    )
                probe.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
                upright = ImageOps.exif_transpose(img)
                upright = _normal_mode(upright, fmt)
                cleaned = _encode(upright.copy(), fmt)
                thumb = upright.copy()
                thumb.thumbnail((THUMB_PX, THUMB_PX))
                thumb_bytes = _encode(thumb, fmt)
                width, height = upright.size
        except UnidentifiedImageError:
            return None
        except ValidationError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _refuse(_("The image is too large to be opened safely.")) from exc
        except Exception as exc:  # noqa: BLE001 - any decoder failure is an unreadable file
            raise unreadable from exc
    content_type, extension = IMAGE_FORMATS[fmt]
    return _Checked(
        kind=Kind.IMAGE,
        content_type=content_type,
        extension=extension,
        data=cleaned,
        thumb=thumb_bytes,
        width=width,
        height=height,
    )


def _check_pdf(data: bytes) -> _Checked:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _refuse(_("Password-protected PDF documents cannot be stored."))
        if len(reader.pages) < 1:
            raise _refuse(_("The PDF document has no pages."))
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is an unreadable file
        raise _refuse(_("The PDF document could not be read; it may be damaged.")) from exc
    return _Checked(kind=Kind.PDF, content_type="application/pdf", extension=".pdf", data=data)


def _check(data: bytes, kinds: Iterable[str]) -> _Checked:
    kinds = set(kinds)
    if not kinds or not kinds <= KINDS:
        raise ValueError(f"kinds must be among {sorted(KINDS)}, not {sorted(kinds)}")
    wrong_type = _refuse(_kinds_text(kinds))
    if data.startswith(PDF_MAGIC):
        if Kind.PDF not in kinds:
            raise wrong_type
        return _check_pdf(data)
    if Kind.IMAGE in kinds:
        checked = _check_image(data)
        if checked is not None:
            return checked
    raise wrong_type


def _snapshot(stored: StoredFile) -> dict:
    return {
        "purpose": stored.purpose,
        "capability": stored.capability,
        "kind": stored.kind,
        "content_type": stored.content_type,
        "size": stored.size,
        "sha256": stored.sha256,
        "width": stored.width,
        "height": stored.height,
        "taken_on": stored.taken_on,
        "original_name": stored.original_name,
    }


def _save(
    checked: _Checked, *, client, actor, purpose: str, capability, name: str, taken_on
) -> StoredFile:
    from accounts.roles import capability_from_code

    code = str(capability_from_code(capability))  # ValueError for a capability nobody has
    if not purpose or len(purpose) > 60:
        raise ValueError("purpose must be a short key like 'dental.xray'")
    pk = uuid.uuid4()
    folder = tenant_file_path(connection.tenant, "files", _folder(purpose))
    written: list[str] = []
    try:
        path = default_storage.save(f"{folder}/{pk}{checked.extension}", ContentFile(checked.data))
        written.append(path)
        thumb_path = ""
        if checked.thumb is not None:
            thumb_path = default_storage.save(
                f"{folder}/{pk}-thumb{checked.extension}", ContentFile(checked.thumb)
            )
            written.append(thumb_path)
        with transaction.atomic():
            stored = StoredFile.objects.create(
                id=pk,
                client=client,
                purpose=purpose,
                capability=code,
                kind=checked.kind,
                content_type=checked.content_type,
                size=len(checked.data),
                sha256=hashlib.sha256(checked.data).hexdigest(),
                width=checked.width,
                height=checked.height,
                taken_on=taken_on,
                original_name=_clean_name(name),
                path=path,
                thumb_path=thumb_path,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            record_change(
                action="create",
                actor=actor,
                object_type=OBJECT_TYPE,
                object_id=stored.pk,
                client_id=client.pk,
                before={},
                after=_snapshot(stored),
                sensitive=("original_name",),
            )
    except BaseException:
        for name_written in written:
            default_storage.delete(name_written)
        raise
    return stored


def _check_storage(size: int) -> None:
    """Refuse an upload that would take the business past its plan's storage
    (billing.limits); files the product generates itself (a signed consent) are kept."""
    from billing import limits

    tenant = getattr(connection, "tenant", None)
    if tenant is not None and getattr(tenant, "pk", None):
        limits.check(tenant, limits.STORAGE, size, field="file")


def store_upload(
    *,
    upload,
    client,
    actor,
    purpose: str,
    capability,
    kinds: Iterable[str] = (Kind.IMAGE,),
    taken_on=None,
) -> StoredFile:
    """Store an uploaded file (a Django ``UploadedFile``) of ``client``. ``kinds`` is what
    the caller takes ("image", "pdf"); the type is read from the content. Refusals are
    ``ValidationError({"file": [...]})``: a wrong type, too big, unreadable or damaged."""
    data = _read(upload, settings.FILESTORE_MAX_BYTES)
    checked = _check(data, kinds)
    _check_storage(len(data))
    return _save(
        checked,
        client=client,
        actor=actor,
        purpose=purpose,
        capability=capability,
        name=getattr(upload, "name", "") or "",
        taken_on=taken_on,
    )


def store_generated(
    *,
    data: bytes,
    client,
    actor,
    purpose: str,
    capability,
    content_type: str = "application/pdf",
    name: str = "document.pdf",
) -> StoredFile:
    """Store bytes the product made itself (a signed consent's PDF, a chart image). They
    are checked like an upload, so what is stored is what ``content_type`` says."""
    kind = Kind.PDF if content_type == "application/pdf" else Kind.IMAGE
    checked = _check(data, (kind,))
    if checked.content_type != content_type:
        raise ValueError(f"the data is {checked.content_type}, not {content_type}")
    return _save(
        checked,
        client=client,
        actor=actor,
        purpose=purpose,
        capability=capability,
        name=name,
        taken_on=None,
    )


def _delete_later(names: Iterable[str]) -> None:
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: [default_storage.delete(n) for n in names])


def file_delete(*, stored: StoredFile, actor) -> None:
    """Delete a file and its row; the bytes go once the transaction commits. A file a
    record still points at is refused (the record is deleted, or its file replaced, first)."""
    with transaction.atomic():
        before = _snapshot(stored)
        pk, names = stored.pk, [stored.path, stored.thumb_path]
        try:
            with transaction.atomic():
                stored.delete()
        except ProtectedError as exc:
            raise _refuse(_("This file belongs to a record and cannot be deleted alone.")) from exc
        record_change(
            action="delete",
            actor=actor,
            object_type=OBJECT_TYPE,
            object_id=pk,
            client_id=stored.client_id,
            before=before,
            after={},
            sensitive=("original_name",),
        )
        _delete_later(names)


def erase_client_files(client, purposes: Iterable[str] | None = None) -> int:
    """Erase ``client``'s files (all, or those of ``purposes``) inside the caller's
    transaction: the bytes are deleted once it commits; the rows stay, emptied and marked
    erased, so the records pointing at them keep their shape. Returns how many."""
    files = StoredFile.objects.filter(client=client, erased_at__isnull=True)
    if purposes is not None:
        files = files.filter(purpose__in=list(purposes))
    rows = list(files.only("id", "path", "thumb_path", "client_id"))
    if not rows:
        return 0
    names = [n for row in rows for n in (row.path, row.thumb_path)]
    StoredFile.objects.filter(pk__in=[row.pk for row in rows]).update(
        erased_at=timezone.now(), path="", thumb_path="", original_name="", sha256=""
    )
    for row in rows:
        record(action="erase", object_type=OBJECT_TYPE, object_id=row.pk, client_id=client.pk)
    _delete_later(names)
    return len(rows)
