from typing import Any

from django.db import migrations, models


def seal_the_head(apps: Any, schema_editor: Any) -> None:
    # A chain written before the head was sealed gets its seal now, under the current key.
    from hotline.audit.chain import head_seal

    ChainHead = apps.get_model("audit", "ChainHead")
    for head in ChainHead.objects.using(schema_editor.connection.alias).filter(last_seq__gt=0):
        head.seal = head_seal(head.last_seq, head.last_hash)
        head.save(update_fields=["seal"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_chain_key_fingerprint"),
    ]

    operations = [
        migrations.AddField(
            model_name="chainhead",
            name="seal",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(seal_the_head, migrations.RunPython.noop),
    ]
