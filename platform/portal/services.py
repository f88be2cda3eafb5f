from __future__ import annotations

import secrets as _secrets

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from core.storage import tenant_file_path
from tenants.models import Tenant
from tenants.services import tenant_settings_update


def business_settings_save(*, tenant: Tenant, values: dict, logo: UploadedFile | None) -> Tenant:
    fields = {
        key: values[key]
        for key in (
            "name",
            "phone",
            "address",
            "time_zone",
            "currency",
            "language",
            "require_two_factor",
        )
    }
    old_logo = tenant.logo
    new_logo = ""
    if logo is not None:
        suffix = ".png" if logo.image.format == "PNG" else ".jpg"
        new_logo = default_storage.save(
            tenant_file_path(tenant, "branding", f"logo-{_secrets.token_hex(4)}{suffix}"), logo
        )
        fields["logo"] = new_logo
    try:
        with transaction.atomic():
            tenant = tenant_settings_update(tenant=tenant, **fields)
    except Exception:
        if new_logo:
            default_storage.delete(new_logo)
        raise
    if new_logo and old_logo:
        default_storage.delete(old_logo)
    return tenant
