"""What outcomes keeps of its own: why a case was confirmed without an analyst."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class KnownImageryMatch(models.Model):
    """A captured image of a case that matched a hash list entry, so the case was confirmed
    without an analyst: the reason seniors see on the case, and what the figures count."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="known_imagery_matches"
    )
    # The captured image, while its capture is kept.
    image = models.ForeignKey(
        "takedown.CapturedImage", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Entries are never deleted, only removed (the hash list's change log keeps them).
    entry = models.ForeignKey(
        "hashlist.HashListEntry", on_delete=models.PROTECT, related_name="known_imagery_matches"
    )
    signal_type = models.CharField(max_length=16)
    distance = models.PositiveSmallIntegerField()
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["distance", "pk"]

    def __str__(self) -> str:
        return f"case {self.case_id}: entry {self.entry_id} ({self.signal_type}, {self.distance})"
