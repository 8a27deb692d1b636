"""The URL list members block: entries, and the numbered versions they were published in."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from hotline.core.classification import Category


class UrlListVersion(models.Model):
    """Every change to the list publishes a new version; members ask for what changed since."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField(auto_now_add=True)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"URL list v{self.number}"


class UrlListEntry(models.Model):
    url = models.TextField()
    url_sha256 = models.CharField(max_length=64)
    category = models.CharField(max_length=1, choices=Category.choices)
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
        constraints = [
            # A URL is on the list at most once at a time; it may come back after removal.
            models.UniqueConstraint(
                fields=["url_sha256"],
                condition=Q(removed_at__isnull=True),
                name="one_active_entry_per_url",
            )
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.category})"
