"""Where tenants' files are stored."""

from __future__ import annotations

from pathlib import PurePosixPath


def tenant_file_path(tenant, *parts: str) -> str:
    """Every stored file sits under its tenant's schema name, and the path is kept in the
    row, so a file is only ever reached through the tenant that owns it."""
    return str(PurePosixPath("tenants", tenant.schema_name, *parts))
