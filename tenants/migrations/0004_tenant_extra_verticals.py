import django.contrib.postgres.fields
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0003_drop_tenant_business_hours"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenant",
            name="extra_verticals",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=32),
                blank=True,
                default=list,
                size=None,
                verbose_name="more trades",
            ),
        ),
    ]
