from datetime import timedelta

from django.db import migrations, models

# CLAIM_TIMEOUT when the lease was introduced: claims open then keep what they had left.
TIMEOUT = timedelta(minutes=30)


def lease_from_claim_time(apps, schema_editor):
    Claim = apps.get_model("assessment", "Claim")
    for claim in Claim.objects.all():
        claim.lease_until = claim.claimed_at + TIMEOUT
        claim.save(update_fields=["lease_until"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0003_outcome_key_rule"),
    ]

    operations = [
        migrations.AddField(
            model_name="claim",
            name="lease_until",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(lease_from_claim_time, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="claim",
            name="lease_until",
            field=models.DateTimeField(),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["lease_until"], name="claim_lease_idx"),
        ),
    ]
