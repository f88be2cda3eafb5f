"""The chain moves out of the entries into seals written after commit (audit.services).
Existing entries keep their chain: each gets a seal at its id's place holding the hash it
already had, which is the same keyed hash of its content and the previous one's. Seals are
append-only like the entries."""

from django.db import migrations, models

COPY = """
INSERT INTO audit_auditseal (position, entry_id, chain_hash)
SELECT row_number() OVER (ORDER BY id), id, chain_hash FROM audit_auditentry ORDER BY id;
"""

# The same trigger function as the entries' (0003), on the seals.
_TRIGGERS = (
    ("audit_seal_no_change", "UPDATE OR DELETE", "ROW"),
    ("audit_seal_no_truncate", "TRUNCATE", "STATEMENT"),
)
APPEND_ONLY = "".join(
    f"CREATE TRIGGER {name} BEFORE {events} ON audit_auditseal FOR EACH {level}"
    " EXECUTE FUNCTION audit_entry_append_only();\n"
    for name, events, level in _TRIGGERS
)
DROP_APPEND_ONLY = "".join(
    f"DROP TRIGGER IF EXISTS {name} ON audit_auditseal;\n" for name, _e, _l in _TRIGGERS
)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only")]

    operations = [
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("position", models.BigIntegerField(primary_key=True, serialize=False)),
                ("entry_id", models.BigIntegerField(unique=True)),
                ("chain_hash", models.CharField(max_length=64)),
            ],
            options={"ordering": ["position"]},
        ),
        migrations.RunSQL(COPY, migrations.RunSQL.noop),
        migrations.RemoveField(model_name="auditentry", name="chain_hash"),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                fields=["client_id", "actor_id", "action", "-at"], name="audit_view"
            ),
        ),
        migrations.RunSQL(APPEND_ONLY, DROP_APPEND_ONLY),
    ]
