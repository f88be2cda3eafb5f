"""The data keys (field encryption, blind index, audit chain) are their own secrets:
required in production, never derived from SECRET_KEY, so rotating SECRET_KEY breaks
nothing that was stored."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from audit.services import changes_of, seal, verify_chain
from clients.duplicates import likely_duplicates
from clients.models import Client, ClientHealth
from clients.services import ClientData, client_create, client_health_update

ROOT = Path(__file__).resolve().parents[1]
VALID_ID = "11010519491231002X"
KEYS = ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "AUDIT_CHAIN_KEY")
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": "k" * 20 + "-production-secret-with-plenty-of-entropy-9f8e7d6c5b4a",
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/db",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "FIELD_ENCRYPTION_KEYS": "field-key-2027-0123456789abcdefghijklmnopqrstuvwxyz",
    "BLIND_INDEX_KEY": "blind-index-key-0123456789abcdefghijklmnopqrstuvwxyz",
    "AUDIT_CHAIN_KEY": "audit-chain-key-0123456789abcdefghijklmnopqrstuvwxyz",
}
SHOW_KEYS = (
    "from django.conf import settings; "
    "print(settings.FIELD_ENCRYPTION_KEYS, settings.BLIND_INDEX_KEY, settings.AUDIT_CHAIN_KEY)"
)


def _manage(environment: dict, *args: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {*KEYS, "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not any(k == f"{name}_FILE" for name in KEYS)
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **environment},
        capture_output=True,
        text=True,
    )


def test_rotating_the_secret_key_leaves_encrypted_data_search_and_the_audit_chain_intact(cast, db):
    with tenant_context(cast.tenant_a):
        # given a populated schema: an encrypted ID and health history, a sealed trail
        client = client_create(
            data=ClientData(
                {"name": "轮换客户", "mobile": "+8613812345678", "national_id": VALID_ID}
            ),
            created_by=None,
        )
        client_health_update(client=client, values={"drug_allergies": "青霉素"}, updated_by=None)
        seal()
        created = AuditEntry.objects.get(client_id=client.pk, action="create")
        # when SECRET_KEY is rotated
        with override_settings(SECRET_KEY="a-brand-new-secret-key-for-2027-9876543210zyxwvuts"):
            # then the encrypted fields still decrypt
            assert Client.objects.get(pk=client.pk).national_id == VALID_ID
            assert ClientHealth.objects.get(client=client).drug_allergies == "青霉素"
            # the blind index still finds the file by its ID number
            found = likely_duplicates({"national_id": VALID_ID})
            assert [d.client.pk for d in found] == [client.pk]
            # and the audit chain and its sealed values still hold
            checked, broken, _reason = verify_chain()
            assert broken is None and checked >= 2
            assert changes_of(AuditEntry.objects.get(pk=created.pk))["name"] == [None, "轮换客户"]


@pytest.mark.parametrize("missing", KEYS)
def test_production_refuses_to_start_without_each_data_key(missing):
    # given production settings with every secret but one
    environment = {k: v for k, v in PRODUCTION.items() if k != missing}
    # when it starts
    result = _manage(environment, "check")
    # then it refuses, naming the variable
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


def test_production_reads_each_data_key_from_a_file(tmp_path):
    # given each key mounted as a file (a Docker or Kubernetes secret)
    environment = {k: v for k, v in PRODUCTION.items() if k not in KEYS}
    for name in KEYS:
        path = tmp_path / name
        path.write_text(f"{PRODUCTION[name]}\n")
        environment[f"{name}_FILE"] = str(path)
    # when the settings load
    result = _manage(environment, "shell", "-c", SHOW_KEYS)
    # then each key is the file's
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == [
        f"['{PRODUCTION['FIELD_ENCRYPTION_KEYS']}']",
        PRODUCTION["BLIND_INDEX_KEY"],
        PRODUCTION["AUDIT_CHAIN_KEY"],
    ]


def test_development_keys_do_not_change_with_the_secret_key():
    # given development settings without configured data keys
    outputs = []
    for secret in ("one-development-secret-key-0123456789", "another-secret-key-9876543210"):
        environment = {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "SECRET_KEY": secret}
        # when each starts with a different SECRET_KEY
        result = _manage(environment, "shell", "-c", SHOW_KEYS)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout.splitlines()[-1])
    # then the data keys are the same, and none of them is the secret
    assert outputs[0] == outputs[1]
    assert "secret-key" not in outputs[0]
