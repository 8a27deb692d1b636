"""Appends without a lock: events carry an entry MAC and are linked later by the sequencer.

A chain written before this change is converted in place, but only after it verifies under the
formula it was written with (kept below as it was), so the conversion never launders an edit.
"""

import hashlib
import hmac
import json
from typing import Any

from django.db import migrations, models


def _old_event_hash(event: Any) -> str:
    canonical = json.dumps(
        {
            "seq": event.seq,
            "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
            "actor": event.actor,
            "action": event.action,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "portal": event.portal,
            "data": event.data,
            "prev_hash": event.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    from hotline.audit.chain import audit_key

    return hmac.new(audit_key(), canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def convert_the_chain(apps: Any, schema_editor: Any) -> None:
    from hotline.audit.chain import GENESIS_HASH, entry_mac_of, head_seal, link_hash

    alias = schema_editor.connection.alias
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    prev_hash = old_prev = GENESIS_HASH
    seq = 0
    for event in AuditEvent.objects.using(alias).order_by("seq").iterator(2000):
        seq += 1
        if (
            event.seq != seq
            or event.prev_hash != old_prev
            or not hmac.compare_digest(_old_event_hash(event), event.hash)
        ):
            raise RuntimeError(
                f"The audit chain does not verify at event #{seq}; it was not converted. "
                "Run `hotline audit verify` on the previous release to see why."
            )
        old_prev = event.hash
        event.entry_mac = entry_mac_of(event)
        event.prev_hash = prev_hash
        event.hash = link_hash(seq=seq, prev_hash=prev_hash, entry_mac=event.entry_mac)
        event.save(update_fields=["entry_mac", "prev_hash", "hash"])
        prev_hash = event.hash
    if seq:
        ChainHead.objects.using(alias).filter(pk=1).update(
            last_seq=seq, last_hash=prev_hash, seal=head_seal(seq, prev_hash)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0004_chain_head_seal'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='auditevent',
            options={'ordering': ['id']},
        ),
        migrations.AddField(
            model_name='auditevent',
            name='entry_mac',
            field=models.CharField(default='', max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='prev_hash',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='seq',
            field=models.PositiveBigIntegerField(blank=True, null=True, unique=True),
        ),
        migrations.AddIndex(
            model_name='auditevent',
            index=models.Index(condition=models.Q(('seq__isnull', True)), fields=['id'], name='audit_unsealed'),
        ),
        migrations.RunPython(convert_the_chain, migrations.RunPython.noop),
    ]
