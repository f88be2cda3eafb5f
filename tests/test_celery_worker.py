"""A real Celery worker, over the real (embedded) Redis, against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.celery_worker


def _database_url() -> str:
    """The URL the suite was given, pointed at the test database pytest-django made."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture(scope="module")
def worker(cast, django_db_blocker):
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _database_url(),
            "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
        }
    )
    log_path = ROOT / "test-artifacts" / "celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-l",
            "info",
            "-n",
            f"test-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    from config.celery_app import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.inspect(timeout=1).ping():
            break
        assert process.poll() is None, "the Celery worker exited during start-up"
    else:
        process.kill()
        pytest.fail("the Celery worker did not answer a ping within 60 s")
    yield process
    process.terminate()
    process.wait(timeout=20)
    log.close()


def _expired_session(tenant) -> str:
    with tenant_context(tenant):
        store = SessionStore()
        store["marker"] = tenant.schema_name
        store.create()
        Session.objects.filter(session_key=store.session_key).update(
            expire_date=timezone.now() - timedelta(days=1)
        )
        return store.session_key


def _exists(tenant, key: str) -> bool:
    with tenant_context(tenant):
        return Session.objects.filter(session_key=key).exists()


def test_a_task_queued_from_tenant_a_runs_in_tenant_as_schema(cast, worker, django_db_blocker):
    from accounts.tasks import clear_expired_sessions

    with django_db_blocker.unblock():
        # given: committed expired sessions in both schemas
        key_a, key_b = _expired_session(cast.tenant_a), _expired_session(cast.tenant_b)
        try:
            # when: queued while tenant A is active
            with tenant_context(cast.tenant_a):
                result = clear_expired_sessions.delay()
            outcome = result.get(timeout=60)
            # then
            assert outcome == {"schema": cast.tenant_a.schema_name, "deleted": 1}
            assert not _exists(cast.tenant_a, key_a)
            assert _exists(cast.tenant_b, key_b)
        finally:
            for tenant, key in ((cast.tenant_a, key_a), (cast.tenant_b, key_b)):
                with tenant_context(tenant):
                    Session.objects.filter(session_key=key).delete()


def test_a_periodic_job_fans_out_once_per_active_tenant_and_skips_suspended_ones(
    cast, worker, django_db_blocker
):
    from celery.result import AsyncResult

    from tenants.models import Tenant, TenantStatus
    from tenants.services import tenant_reactivate, tenant_suspend
    from tenants.tasks import fan_out

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        active = set(
            Tenant.objects.filter(status=TenantStatus.ACTIVE).values_list("schema_name", flat=True)
        )
        key_a, key_b = _expired_session(cast.tenant_a), _expired_session(cast.tenant_b)
        operator = SimpleNamespace(email="ops@platform.test")
        tenant_suspend(tenant=cast.tenant_b, operator=operator, reason="test")
        try:
            # when: beat's dispatcher runs once, in the public schema
            with schema_context(settings.PUBLIC_SCHEMA_NAME):
                child_ids = fan_out.delay("accounts.clear_expired_sessions", 0).get(timeout=60)
            outcomes = [AsyncResult(i).get(timeout=60) for i in child_ids]
            # then: one run in each active schema, none in the suspended one
            schemas = [o["schema"] for o in outcomes]
            assert sorted(schemas) == sorted(active - {cast.tenant_b.schema_name})
            assert len(schemas) == len(set(schemas))
            assert cast.tenant_b.schema_name not in schemas
            assert not _exists(cast.tenant_a, key_a)
        finally:
            tenant_reactivate(tenant=cast.tenant_b, operator=operator, reason="test over")
            with tenant_context(cast.tenant_b):
                Session.objects.filter(session_key=key_b).delete()
