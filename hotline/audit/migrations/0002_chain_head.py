from django.db import migrations


def create_head(apps, schema_editor):  # type: ignore[no-untyped-def]
    # The head row exists before the first event, so concurrent first writers only ever lock it
    # and never race to create it.
    apps.get_model("audit", "ChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
