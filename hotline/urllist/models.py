"""The URL list members block: entries, the change log that numbers its versions, and the
published snapshots members download.

Every change to an entry (added, removed, recategorised, reactivated) is one `UrlListChange`
row with its own version number (`UrlListVersion`), so the list at any version can be rebuilt
from the log (`hotline.urllist.history.entries_at`) and members see a change at once through
`?since=`. A full feed is served only from a `UrlListSnapshot`, which `publish_url_list()`
renders, stores and signs on a schedule (docs/urllist.md).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from hotline.core.classification import CATEGORY_CODE_LENGTH
from hotline.core.publication.models import SnapshotBase, SnapshotChunkBase


class UrlListVersion(models.Model):
    """Every change to the list takes the next version; members ask for what changed since."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField(auto_now_add=True)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    # Entries whose category changed: their bytes in every feed changed, so a new version.
    recategorised = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"URL list v{self.number}"


class EntryKind(models.TextChoices):
    URL = "url", "URL"
    # A whole domain and its subdomains: a site dedicated to abuse, by an analyst's decision.
    DOMAIN = "domain", "Domain"


class UrlListEntry(models.Model):
    kind = models.CharField(max_length=8, choices=EntryKind.choices, default=EntryKind.URL)
    # For a domain entry, `http://<domain>/`; `domain` holds the domain itself.
    url = models.TextField()
    url_sha256 = models.CharField(max_length=64)
    # Domain entries only: the host in punycode, lower case, no trailing dot.
    domain = models.CharField(max_length=253, blank=True)
    # The category code of the portal's classification scheme ("A", "NPI" ...), as assessed.
    category = models.CharField(max_length=CATEGORY_CODE_LENGTH)
    # Why an entry left the list (content removed, assessment overturned on appeal ...).
    removal_reason = models.CharField(max_length=64, blank=True)
    # The case this entry came from, by id: cases sit above the URL list (docs/architecture.md),
    # so the list keeps the number and never the relation.
    case_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    added_at = models.DateTimeField(auto_now_add=True)
    added_in = models.ForeignKey(
        UrlListVersion, on_delete=models.PROTECT, related_name="entries_added"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_in = models.ForeignKey(
        UrlListVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries_removed",
    )

    class Meta:
        ordering = ["added_in__number", "pk"]
        verbose_name_plural = "URL list entries"
        constraints = [
            # A URL (or a domain) is on the list at most once at a time; a removed entry whose
            # content returns is re-activated rather than duplicated.
            models.UniqueConstraint(
                fields=["url_sha256", "kind"],
                condition=Q(removed_at__isnull=True),
                name="one_active_entry_per_url",
            )
        ]
        indexes = [
            # Finds a removed entry to re-activate: the unique index above holds active ones only.
            models.Index(fields=["url_sha256"], name="urllist_entry_url_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.domain or self.url} ({self.category})"


class ChangeKind(models.TextChoices):
    ADDED = "added", "Added"
    REMOVED = "removed", "Removed"
    RECATEGORISED = "recategorised", "Recategorised"
    REACTIVATED = "reactivated", "Re-activated"


class UrlListChange(models.Model):
    """One change to one entry: the log every version of the list can be rebuilt from.

    Append-only. Since this log began, every change has its own version; the versions the
    migration rebuilt from older rows may hold several.
    """

    id = models.BigAutoField(primary_key=True)
    version = models.PositiveIntegerField(db_index=True)
    entry = models.ForeignKey(UrlListEntry, on_delete=models.PROTECT, related_name="changes")
    change = models.CharField(max_length=16, choices=ChangeKind.choices)
    # The entry's category after the change (for a removal, the one it left with).
    category = models.CharField(max_length=CATEGORY_CODE_LENGTH)
    reason = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["version", "id"]
        indexes = [models.Index(fields=["entry", "version"], name="urllist_change_entry_version")]

    def __str__(self) -> str:
        return f"v{self.version} {self.change} entry {self.entry_id}"


class UrlListSnapshot(SnapshotBase):
    """A published full feed of the URL list: one version in one format, stored in chunks,
    with its signed manifest (the fields: hotline/core/publication/models.py)."""

    class Meta:
        ordering = ["-version", "format"]
        constraints = [
            models.UniqueConstraint(fields=["version", "format"], name="one_snapshot_per_format")
        ]

    def __str__(self) -> str:
        return f"URL list v{self.version} ({self.format}, {self.size} bytes)"


class UrlListSnapshotChunk(SnapshotChunkBase):
    """At most CHUNK_SIZE bytes of a snapshot, so serving one never holds it whole."""

    snapshot = models.ForeignKey(UrlListSnapshot, on_delete=models.CASCADE, related_name="chunks")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "index"], name="one_chunk_per_index")
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of snapshot {self.snapshot_id}"
