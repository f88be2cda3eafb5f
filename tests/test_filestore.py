"""The file store: type by content, size limit, metadata stripped, thumbnails, erasure."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context
from PIL import Image

from accounts.roles import Capability
from tests.conftest import staff_member
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def png_bytes(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps(size=(1200, 800), orientation=None) -> bytes:
    img = Image.new("RGB", size, (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0131] = "SecretSoftware"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (31.0, 14.0, 3.5)
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 12.25)
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, comment=b"private comment")
    return out.getvalue()


def pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Consent")
    return bytes(pdf.output())


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def store(cast, data, *, name="photo.jpg", kinds=("image",), tenant=None, client=None, **kw):
    from filestore.services import store_upload

    tenant = tenant or cast.tenant_a
    with tenant_context(tenant):
        client = client or ClientFactory()
        actor = staff_member(tenant, cast.owner_a if tenant == cast.tenant_a else cast.owner_b)
        return store_upload(
            upload=upload(data, name),
            client=client,
            actor=actor,
            purpose=kw.pop("purpose", "aesthetic.photo"),
            capability=kw.pop("capability", Capability.VIEW_HEALTH),
            kinds=kinds,
            **kw,
        )


def test_a_renamed_text_file_is_refused_with_a_message_on_the_file_field(cast, storage):
    with pytest.raises(ValidationError) as caught:
        store(cast, b"just some text, not a picture\n" * 10, name="face.jpg")
    assert list(caught.value.message_dict) == ["file"]
    assert "JPEG, PNG or WebP" in caught.value.message_dict["file"][0]
    assert not any(storage.rglob("*.*"))


def test_the_refusal_is_translated(cast, storage):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        store(cast, b"GIF89a not really", name="x.png")
    assert "图片" in caught.value.message_dict["file"][0]


def test_a_gif_or_a_pdf_is_not_an_image(cast, storage):
    gif = io.BytesIO()
    Image.new("RGB", (5, 5)).save(gif, "GIF")
    for data in (gif.getvalue(), pdf_bytes()):
        with pytest.raises(ValidationError):
            store(cast, data, name="x.jpg")


def test_a_real_png_and_jpeg_are_stored_under_the_tenant_prefix(cast, storage):
    stored = store(cast, png_bytes(), name="C:\\Users\\me\\Desktop\\face front.jpg")
    assert stored.kind == "image" and stored.content_type == "image/png"
    assert (stored.width, stored.height) == (40, 30)
    assert stored.original_name == "face front.jpg"
    prefix = f"tenants/{cast.tenant_a.schema_name}/files/aesthetic.photo/"
    assert stored.path.startswith(prefix) and stored.path.endswith(".png")
    assert stored.thumb_path.startswith(prefix)
    assert (storage / stored.path).exists()
    assert stored.url == f"/files/{stored.pk}/"
    assert stored.thumb_url == f"/files/{stored.pk}/thumb/"
    jpeg = store(cast, jpeg_with_gps(size=(64, 48)), name="../../etc/passwd.png")
    assert jpeg.content_type == "image/jpeg" and jpeg.path.endswith(".jpg")
    assert jpeg.original_name == "passwd.png"
    assert len(jpeg.sha256) == 64 and jpeg.size == len((storage / jpeg.path).read_bytes())


def test_exif_gps_and_other_metadata_are_gone_from_the_stored_bytes(cast, storage):
    original = jpeg_with_gps()
    assert b"CameraMaker" in original and b"private comment" in original
    stored = store(cast, original)
    for name in (stored.path, stored.thumb_path):
        data = (storage / name).read_bytes()
        assert b"Exif" not in data
        assert b"CameraMaker" not in data and b"SecretSoftware" not in data
        assert b"private comment" not in data
        with Image.open(io.BytesIO(data)) as img:
            exif = img.getexif()
            assert not exif.get_ifd(0x8825) and 0x8825 not in exif
            assert not exif


def test_exif_orientation_is_applied_before_the_metadata_goes(cast, storage):
    stored = store(cast, jpeg_with_gps(size=(300, 100), orientation=6))  # rotate 90°
    assert (stored.width, stored.height) == (100, 300)
    with Image.open(storage / stored.path) as img:
        assert img.size == (100, 300)


def test_a_thumbnail_of_at_most_400_pixels_is_made(cast, storage):
    stored = store(cast, jpeg_with_gps(size=(1200, 800)))
    with Image.open(storage / stored.thumb_path) as thumb:
        assert thumb.size == (400, 267)
        assert thumb.format == "JPEG"


def test_a_file_over_the_size_limit_is_refused(cast, storage, settings):
    settings.FILESTORE_MAX_BYTES = 1000
    data = jpeg_with_gps()
    assert len(data) > 1000
    with pytest.raises(ValidationError) as caught:
        store(cast, data)
    assert "larger than" in caught.value.message_dict["file"][0]
    settings.FILESTORE_MAX_BYTES = 10_000_000
    assert store(cast, data).size > 0


def test_an_image_of_too_many_pixels_is_refused_before_decoding(cast, storage, monkeypatch):
    from filestore import services

    monkeypatch.setattr(services, "MAX_PIXELS", 100 * 100)
    with pytest.raises(ValidationError) as caught:
        store(cast, png_bytes(size=(200, 200)))
    assert "too large" in caught.value.message_dict["file"][0]


def test_a_truncated_image_is_refused_as_damaged(cast, storage):
    data = jpeg_with_gps()
    with pytest.raises(ValidationError) as caught:
        store(cast, data[: len(data) // 2])
    assert caught.value.message_dict["file"]


def test_a_pdf_is_taken_only_where_the_caller_allows_it(cast, storage):
    with pytest.raises(ValidationError):
        store(cast, pdf_bytes(), name="consent.pdf")
    stored = store(cast, pdf_bytes(), name="consent.pdf", kinds=("image", "pdf"))
    assert stored.kind == "pdf" and stored.content_type == "application/pdf"
    assert stored.thumb_path == "" and stored.width is None
    with pytest.raises(ValidationError):
        store(cast, b"%PDF-1.7\nnot really a pdf at all", name="x.pdf", kinds=("pdf",))
    with pytest.raises(ValidationError):
        store(cast, png_bytes(), name="x.pdf", kinds=("pdf",))


def test_generated_bytes_are_stored_and_checked(cast, storage):
    from filestore.services import store_generated

    with tenant_context(cast.tenant_a):
        client = ClientFactory()
        actor = staff_member(cast.tenant_a, cast.practitioner_a)
        stored = store_generated(
            data=pdf_bytes(),
            client=client,
            actor=actor,
            purpose="aesthetic.consent",
            capability="clients.health",
            name="consent.pdf",
        )
        assert stored.kind == "pdf" and stored.uploaded_by == actor
        assert stored.capability == "clients.health"
        with pytest.raises(ValidationError):
            store_generated(
                data=b"not a pdf",
                client=client,
                actor=actor,
                purpose="x",
                capability="clients.health",
            )
        with pytest.raises(ValueError):
            store_generated(
                data=pdf_bytes(), client=client, actor=actor, purpose="x", capability="no.such"
            )


def test_create_and_delete_are_audited_and_delete_removes_the_bytes_on_commit(
    cast, storage, django_capture_on_commit_callbacks
):
    from filestore.models import StoredFile
    from filestore.services import file_delete

    from audit.models import AuditEntry

    stored = store(cast, png_bytes())
    pk = str(stored.pk)
    with tenant_context(cast.tenant_a):
        created = AuditEntry.objects.get(object_type="stored_file", object_id=pk)
        assert created.action == "create" and created.client_id == stored.client_id
        assert "original_name" in created.fields
        with django_capture_on_commit_callbacks(execute=True):
            file_delete(stored=stored, actor=staff_member(cast.tenant_a, cast.owner_a))
        assert not StoredFile.objects.filter(pk=pk).exists()
        assert AuditEntry.objects.filter(
            object_type="stored_file", object_id=pk, action="delete"
        ).exists()
    assert not (storage / stored.path).exists() and not (storage / stored.thumb_path).exists()


def test_erasing_a_clients_files_keeps_the_rows_and_removes_the_bytes(
    cast, storage, django_capture_on_commit_callbacks
):
    from filestore.selectors import files_for
    from filestore.services import erase_client_files

    photo = store(cast, png_bytes())
    with tenant_context(cast.tenant_a):
        client = photo.client
    xray = store(cast, png_bytes(), client=client, purpose="dental.xray")
    with tenant_context(cast.tenant_a):
        assert [f.pk for f in files_for(client, "aesthetic.photo")] == [photo.pk]
        with django_capture_on_commit_callbacks(execute=True):
            assert erase_client_files(client, purposes=["aesthetic.photo"]) == 1
        photo.refresh_from_db()
        assert photo.erased_at is not None and photo.path == ""
        assert list(files_for(client, "aesthetic.photo")) == []
        assert [f.pk for f in files_for(client, "dental.xray")] == [xray.pk]
        with django_capture_on_commit_callbacks(execute=True):
            assert erase_client_files(client) == 1
    assert not any(p.is_file() for p in storage.rglob("*"))


def test_the_privacy_erasure_reaches_the_files(cast, storage, django_capture_on_commit_callbacks):
    from privacy.services import client_erase

    photo = store(cast, png_bytes())
    with tenant_context(cast.tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            client_erase(client=photo.client, actor=staff_member(cast.tenant_a, cast.owner_a))
        photo.refresh_from_db()
        assert photo.erased_at is not None
    assert not default_storage.exists(photo.path or "missing")
    assert not any(p.is_file() for p in storage.rglob("*"))
