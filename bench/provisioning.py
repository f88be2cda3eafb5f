"""Seconds per signup with 0, 100 and 500 businesses already present: the real signup
path (claiming a ready, migrated spare schema) beside the path that creates the schema
and runs every tenant migration in the request. Goal: under 1 s per signup and at least
5x faster than running the migrations.

Each path is measured twice: with Argon2 hashing of the owner's password, as in
production, and with a fast hasher, which isolates the provisioning work. Argon2 is slow
on purpose (about 0.15-0.2 s here) and costs the same on both paths."""

from __future__ import annotations

import itertools
import sys
import time

from _common import django_stack, emit, summary

LEVELS = (0, 100, 500)
POOL_SAMPLES = 5
MIGRATE_SAMPLES = 3
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


def _fill_to(count: int) -> None:
    from tenants.models import Tenant, TenantStatus
    from tenants.services import spare_pool_refill

    while (present := Tenant.objects.filter(status=TenantStatus.ACTIVE).count()) < count:
        batch = min(25, count - present)
        spare_pool_refill(target=batch)
        for _ in range(batch):
            _signup()
        print(f"  … {present + batch} businesses present", file=sys.stderr, flush=True)


def main() -> dict:
    from django.test import override_settings

    from tenants.models import Tenant, TenantStatus
    from tenants.services import spare_pool_refill

    figures: dict[str, dict[str, float]] = {}
    hashers = {
        "argon2": "django.contrib.auth.hashers.Argon2PasswordHasher",
        "fast_hash": "django.contrib.auth.hashers.MD5PasswordHasher",
    }
    with override_settings(TENANT_SPARE_POOL_SIZE=0):
        for level in LEVELS:
            _fill_to(level)
            row: dict[str, float] = {}
            for label, hasher in hashers.items():
                with override_settings(PASSWORD_HASHERS=[hasher]):
                    assert Tenant.objects.filter(status=TenantStatus.SPARE).count() == 0
                    migrate = summary([_signup() for _ in range(MIGRATE_SAMPLES)])
                    spare_pool_refill(target=POOL_SAMPLES)
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
