"""``manage.py rotate_field_keys``: re-encrypt every encrypted column with the newest key
in FIELD_ENCRYPTION_KEYS, in the public schema and every tenant schema. Rotate by putting
the new key first (keeping the old one after it), running this, then dropping the old key.
Rows are rewritten in SQL, so no timestamp moves and no model code runs."""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from core.crypto import EncryptedTextField, rotate_text

BATCH = 1000


def _encrypted_columns() -> list[tuple[str, str, str]]:
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model._meta.db_table, model._meta.pk.column, field.column))
    return found


def _table_exists(table: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        return cursor.fetchone()[0]


def rotate_schema() -> int:
    """Re-encrypt the current schema's encrypted values; returns how many."""
    quote = connection.ops.quote_name
    done = 0
    for table, pk, column in _encrypted_columns():
        if not _table_exists(table):
            continue
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote(pk)}, {quote(column)} FROM {quote(table)} "  # noqa: S608
                f"WHERE {quote(column)} <> '' FOR UPDATE"
            )
            rows = [(key, rotate_text(token)) for key, token in cursor.fetchall()]
            for start in range(0, len(rows), BATCH):
                cursor.executemany(
                    f"UPDATE {quote(table)} SET {quote(column)} = %s "  # noqa: S608
                    f"WHERE {quote(pk)} = %s",
                    [(token, key) for key, token in rows[start : start + BATCH]],
                )
            done += len(rows)
    return done


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the newest FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        schemas = [get_public_schema_name()] + list(
            get_tenant_model()
            .objects.exclude(schema_name=get_public_schema_name())
            .values_list("schema_name", flat=True)
        )
        total = 0
        for schema in schemas:
            with schema_context(schema):
                count = rotate_schema()
            total += count
            self.stdout.write(f"{schema}: {count} values re-encrypted")
        self.stdout.write(f"done: {total} values")
