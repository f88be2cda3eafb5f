"""Import cells encrypted at rest. The plain-text samples and row values of earlier jobs
are dropped rather than converted: a job is a short-lived staging area, and leaving the
old plain copies behind is what this change removes."""

import imports.models
from django.db import migrations, models


def forget_plain_rows(apps, schema_editor):
    apps.get_model("imports", "ImportRow").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_import_jobs")]

    operations = [
        migrations.RunPython(forget_plain_rows, migrations.RunPython.noop),
        migrations.RemoveField(model_name="importjob", name="samples"),
        migrations.AddField(
            model_name="importjob",
            name="samples",
            field=imports.models.EncryptedJSONField(default=list),
        ),
        migrations.RemoveField(model_name="importrow", name="values"),
        migrations.AddField(
            model_name="importrow",
            name="values",
            field=imports.models.EncryptedJSONField(default=dict),
        ),
        migrations.AddField(
            model_name="importrow",
            name="causes",
            field=models.JSONField(default=list),
        ),
        migrations.AddField(
            model_name="importrow",
            name="rejected",
            field=imports.models.EncryptedJSONField(default=dict),
        ),
        migrations.AddField(
            model_name="importrow",
            name="settled",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="importjob",
            name="settled",
            field=models.JSONField(default=dict),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="status",
            field=models.CharField(
                choices=[
                    ("uploaded", "Uploaded"),
                    ("checking", "Checking rows"),
                    ("checked", "Ready to import"),
                    ("committing", "Importing"),
                    ("done", "Imported"),
                    ("failed", "Failed"),
                    ("discarded", "Discarded"),
                ],
                default="uploaded",
                max_length=20,
            ),
        ),
    ]
