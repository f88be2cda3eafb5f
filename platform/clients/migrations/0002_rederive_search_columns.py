"""Recompute the search columns after name_grams gained the initials prefixes."""

from django.db import migrations


def rederive(apps, schema_editor):
    from clients.search import name_grams

    Client = apps.get_model("clients", "Client")
    for client in Client.objects.only("id", "name").iterator(chunk_size=2000):
        Client.objects.filter(pk=client.pk).update(name_grams=name_grams(client.name))


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]
    operations = [migrations.RunPython(rederive, migrations.RunPython.noop)]
