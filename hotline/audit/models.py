"""The append-only, hash-chained audit log.

Each event stores an HMAC-SHA256 (under HOTLINE_AUDIT_KEY, kept outside the database) of its
own canonical contents and of the event before it, so changing or deleting any row breaks the
chain at that row. `seq` is assigned under a lock on the
single ChainHead row: it is gap-free (unlike a database sequence, which skips on rollback), so a
deleted event shows up as a missing number, and the head remembers the last hash, so deleting
the newest events shows up too.
"""

from __future__ import annotations

from django.db import models

GENESIS_HASH = "0" * 64


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField()
    # Who did it: "staff:<id>", "member:<id>", "public" (an anonymous reporter) or "system".
    actor = models.CharField(max_length=64)
    # What happened, as "<app>.<verb>", e.g. "intake.report_filed".
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    portal = models.CharField(max_length=16, blank=True)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["action", "occurred_at"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor}"


class ChainHead(models.Model):
    """The single row that serialises appends and remembers where the chain ends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    # Which audit key sealed the chain (a fingerprint, not the key), set by the first append.
    key_fingerprint = models.CharField(max_length=16, blank=True, default="")
    # HMAC of (last_seq, last_hash) under the audit key: see `hotline.audit.chain.head_seal`.
    seal = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"chain head at #{self.last_seq}"
