"""The hash list: hashes of confirmed images, the change log that numbers its versions, and
the published snapshots members download.

Built like the URL list (hotline/urllist/models.py), which it does not import (same layer):
every change to an entry (added, removed, recategorised, re-activated) is one `HashListChange`
row carrying its version, so the list at any version can be rebuilt from the log
(`hotline.hashlist.history.entries_at`) and members, and the match index, follow it through
`?since=`. One action is one version: a bulk addition of 10,000 hashes is one version with
10,000 change rows. The full feeds are served only from `HashListSnapshot`s, which
`publish_hash_list()` renders, stores and signs with the shared publication machinery
(hotline/core/publication/).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from hotline.core.classification import CATEGORY_CODE_LENGTH
from hotline.core.publication.models import SnapshotBase, SnapshotChunkBase
from hotline.hashlist.signals import SIGNAL_TYPES

# The longest hex form of any signal type (PDQ and SHA-256: 64).
VALUE_LENGTH = max(signal.hex_length for signal in SIGNAL_TYPES.values())


class HashListVersion(models.Model):
    """Each action on the list takes the next version; members ask for what changed since."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField(auto_now_add=True)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    recategorised = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"hash list v{self.number}"


class EntryState(models.TextChoices):
    ACTIVE = "active", "Active"
    REMOVED = "removed", "Removed"


class HashSource(models.TextChoices):
    """How an entry came on the list."""

    CONFIRMED_CASE = "confirmed_case", "Confirmed case (captured image)"
    SENIOR_UPLOAD = "senior_upload", "Senior analyst: uploaded image"
    SENIOR_PASTE = "senior_paste", "Senior analyst: pasted hash"
    IMPORT = "import", "Import (hotline hashlist import)"


class HashListEntry(models.Model):
    # A name of the signal-type registry (hotline/hashlist/signals.py): pdq, md5, sha1, sha256.
    signal_type = models.CharField(max_length=16, choices=[(name, name) for name in SIGNAL_TYPES])
    # The hash in its canonical text form: lower-case hex of the type's length.
    value = models.CharField(max_length=VALUE_LENGTH)
    category = models.CharField(max_length=CATEGORY_CODE_LENGTH)
    # The case and the captured image the hash came from, by id: cases and takedown sit above
    # the hash list (docs/architecture.md), so the list keeps the numbers, never the relations.
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    captured_image_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=HashSource.choices)
    # Who added it: the actor of the action ("staff:12", "system").
    added_by = models.CharField(max_length=100)
    # Where an import came from (file name and SHA-256, the exchange's collaboration name).
    source_note = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=8, choices=EntryState.choices, default=EntryState.ACTIVE)
    added_at = models.DateTimeField(auto_now_add=True)
    added_in = models.ForeignKey(
        HashListVersion, on_delete=models.PROTECT, related_name="entries_added"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_in = models.ForeignKey(
        HashListVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries_removed",
    )
    removal_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["added_in__number", "pk"]
        verbose_name_plural = "hash list entries"
        constraints = [
            # A hash is on the list at most once at a time; a removed one that comes back is
            # re-activated rather than duplicated.
            models.UniqueConstraint(
                fields=["signal_type", "value"],
                condition=Q(state="active"),
                name="one_active_entry_per_hash",
            ),
            # The state and the removal time say the same thing; an action that changed one
            # without the other would be refused here.
            models.CheckConstraint(
                condition=Q(state="active", removed_at__isnull=True)
                | Q(state="removed", removed_at__isnull=False),
                name="hash_state_matches_removal",
            ),
        ]
        indexes = [
            # Finds a removed entry to re-activate (the unique index holds active ones only).
            models.Index(fields=["signal_type", "value"], name="hashlist_entry_hash"),
            # The match index reads every active PDQ hash; publication every active entry.
            models.Index(
                fields=["signal_type", "id"],
                condition=Q(state="active"),
                name="hashlist_active_by_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signal_type}:{self.value} ({self.category})"


class ChangeKind(models.TextChoices):
    ADDED = "added", "Added"
    REMOVED = "removed", "Removed"
    RECATEGORISED = "recategorised", "Recategorised"
    REACTIVATED = "reactivated", "Re-activated"


class HashListChange(models.Model):
    """One change to one entry: the log every version of the list can be rebuilt from, and
    what the match index follows. Append-only."""

    id = models.BigAutoField(primary_key=True)
    version = models.PositiveIntegerField(db_index=True)
    entry = models.ForeignKey(HashListEntry, on_delete=models.PROTECT, related_name="changes")
    change = models.CharField(max_length=16, choices=ChangeKind.choices)
    # The entry's category after the change (for a removal, the one it left with).
    category = models.CharField(max_length=CATEGORY_CODE_LENGTH)
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["version", "id"]
        indexes = [models.Index(fields=["entry", "version"], name="hashlist_change_entry_ver")]

    def __str__(self) -> str:
        return f"v{self.version} {self.change} entry {self.entry_id}"


class HashListSnapshot(SnapshotBase):
    """A published full feed of the hash list: one version in one format, stored in chunks,
    with its signed manifest (the fields: hotline/core/publication/models.py)."""

    class Meta:
        ordering = ["-version", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "format"], name="one_hashlist_snapshot_per_format"
            )
        ]

    def __str__(self) -> str:
        return f"hash list v{self.version} ({self.format}, {self.size} bytes)"


class HashListSnapshotChunk(SnapshotChunkBase):
    snapshot = models.ForeignKey(HashListSnapshot, on_delete=models.CASCADE, related_name="chunks")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "index"], name="one_hashlist_chunk_per_index"
            )
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of snapshot {self.snapshot_id}"
