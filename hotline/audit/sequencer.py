"""The sequencer: seals committed audit events into the chain, in order, in batches.

Writers append events without any lock (hotline.audit.actions.record_event); this is the only
code that writes `seq`, `prev_hash` and `hash`, and it holds the chain head's row lock while it
does, so two sequencers (two `hotline worker`s) take turns rather than fork the chain.
"""

from __future__ import annotations

from django.db import transaction

from hotline.audit.chain import head_seal, key_fingerprint, link_hash
from hotline.audit.models import AuditEvent, ChainHead
from hotline.core.bulk import queue_read, update_rows

BATCH = 1000


def seal_pending_events(*, batch: int = BATCH) -> int:
    """Seal every committed, unsealed event: the next `seq`, linked to the event before.

    Returns how many were sealed. Events are taken in the order they were inserted; one that
    commits late (a long transaction) is sealed in a later batch, after events inserted after
    it: the chain's order is the order of sealing, and that order is what verify checks.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
            # Read after taking the lock, so events another sequencer just sealed are not here.
            with queue_read():
                pending = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:batch])
            if not pending:
                return sealed
            seq, prev_hash = head.last_seq, head.last_hash
            for event in pending:
                seq += 1
                event.seq = seq
                event.prev_hash = prev_hash
                event.hash = link_hash(seq=seq, prev_hash=prev_hash, entry_mac=event.entry_mac)
                prev_hash = event.hash
            update_rows(pending, ["seq", "prev_hash", "hash"])
            head.last_seq, head.last_hash = seq, prev_hash
            head.key_fingerprint = head.key_fingerprint or key_fingerprint()
            head.seal = head_seal(seq, prev_hash)
            head.save(update_fields=["last_seq", "last_hash", "key_fingerprint", "seal"])
            sealed += len(pending)
