"""PostgreSQL extensions, always in the public schema: every tenant's search_path ends in
public, so one installation serves all schemas (an extension installed from a tenant's
migration would land in that tenant's schema and be invisible to the others)."""

from django.db import migrations

EXTENSIONS = ("pg_trgm", "btree_gist")


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.RunSQL(
            [f"CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA public" for name in EXTENSIONS],
            reverse_sql=migrations.RunSQL.noop,
        )
    ]
