from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("aesthetic_consents", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="consentform",
            name="name",
            field=models.CharField(max_length=120, unique=True, verbose_name="form name"),
        ),
        migrations.AlterField(
            model_name="signedconsent",
            name="signer_role",
            field=models.CharField(
                choices=[("client", "The client in person"), ("guardian", "Parent or guardian")],
                default="client",
                max_length=10,
                verbose_name="signer",
            ),
        ),
    ]
