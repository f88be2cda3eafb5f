"""Serving a stored file: only to a signed-in user of the business that owns it who holds
the file's capability, each look recorded in the audit trail. On the filesystem the bytes
are streamed; on S3 the answer is a redirect to a signed link that expires within
FILESTORE_URL_SECONDS (the bucket itself stays private)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.utils.http import content_disposition_header
from django.views import View

from accounts.roles import capability_from_code
from audit.models import Action
from audit.services import record_view
from filestore.models import StoredFile
from filestore.services import OBJECT_TYPE
from portal.mixins import role_forbidden
from verticals import registry


def _is_s3(storage) -> bool:
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover - django-storages is a dependency
        return False
    return isinstance(storage, S3Storage)  # a LazyObject answers for what it wraps


class FileView(LoginRequiredMixin, View):
    thumb = False

    def get(self, request, pk):
        # The row is read in the current tenant's schema: another business's file is 404.
        stored = (
            StoredFile.objects.filter(pk=pk, erased_at__isnull=True)
            .only(
                "id",
                "client_id",
                "capability",
                "content_type",
                "path",
                "thumb_path",
                "original_name",
                "kind",
                "purpose",
            )
            .first()
        )
        # A file of a trade the business has turned off is hidden like its pages (kept).
        if stored is None or not registry.file_shown(stored.purpose):
            raise Http404
        name = stored.thumb_path if self.thumb else stored.path
        if not name:
            raise Http404
        try:
            capability = capability_from_code(stored.capability)
        except ValueError:
            return role_forbidden(request)
        if not request.user.can(capability):
            return role_forbidden(request)
        # One entry per file looked at (a page of thumbnails reloaded is one look each).
        record_view(
            action=Action.VIEW_HEALTH,
            actor=request.user,
            client_id=stored.client_id,
            object_type=OBJECT_TYPE,
            object_id=stored.pk,
        )
        disposition = content_disposition_header(False, stored.original_name or name)
        if _is_s3(default_storage):
            response = HttpResponseRedirect(
                default_storage.url(
                    name,
                    parameters={
                        "ResponseContentType": stored.content_type,
                        "ResponseContentDisposition": disposition,
                        "ResponseCacheControl": "no-store",
                    },
                    expire=settings.FILESTORE_URL_SECONDS,
                )
            )
        else:
            try:
                handle = default_storage.open(name, "rb")
            except FileNotFoundError as exc:
                raise Http404 from exc
            response = FileResponse(handle, content_type=stored.content_type)
            response["Content-Disposition"] = disposition
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
