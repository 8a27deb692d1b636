"""The append-only audit log: events appended freely, sealed in order by one sequencer.

An action appends its event in its own transaction without waiting for anyone: the event
carries `entry_mac`, an HMAC-SHA256 (under HOTLINE_AUDIT_KEY, kept outside the database) of its
contents, so an edit is detectable from the moment it commits. The sequencer
(`hotline.audit.sequencer.seal_pending_events`, run by `hotline worker` about once a second)
then takes the committed, unsealed events, gives each the next gap-free `seq` and links it to
the event before it (`hash` = HMAC of seq, the previous hash and the entry MAC): a hash chain in
the manner of Certificate Transparency's sequencer, where writers never serialise on one lock
and only the sealing is in order. The single ChainHead row remembers, under a seal of its own,
where the chain ends, so deleting the newest sealed events or winding the head back shows up.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    # Given by the sequencer when it seals the event; empty until then.
    seq = models.PositiveBigIntegerField(unique=True, null=True, blank=True)
    occurred_at = models.DateTimeField()
    # Who did it: "staff:<id>", "member:<id>", "public" (an anonymous reporter) or "system".
    actor = models.CharField(max_length=64)
    # What happened, as "<app>.<verb>", e.g. "intake.report_filed".
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    portal = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict)
    # HMAC of the contents above, written with the event (see hotline.audit.chain.entry_mac).
    entry_mac = models.CharField(max_length=64, default="")
    # The chain link, written by the sequencer: the previous event's hash, and this one's.
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["action", "occurred_at"]),
            # The sequencer's work list: small, because it seals about once a second.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="audit_unsealed"),
        ]

    def __str__(self) -> str:
        if self.seq is None:
            return f"(unsealed) {self.action} by {self.actor}"
        return f"#{self.seq} {self.action} by {self.actor}"


class ChainHead(models.Model):
    """The single row the sequencer locks while it seals, and where the chain ends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # Which audit key sealed the chain (a fingerprint, not the key), set by the first seal.
    key_fingerprint = models.CharField(max_length=16, blank=True, default="")
    # HMAC of (last_seq, last_hash) under the audit key: see `hotline.audit.chain.head_seal`.
    seal = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"chain head at #{self.last_seq}"
