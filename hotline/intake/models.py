"""What the public sends: a report of one or more URLs. Nothing identifies the reporter."""

from __future__ import annotations

from django.db import models


class Report(models.Model):
    # Shown to the reporter as their receipt, e.g. "TN-7K3F-9QXD"; random, so it reveals neither
    # how many reports a portal gets nor when this one came.
    reference = models.CharField(max_length=32, unique=True)
    portal = models.ForeignKey("portals.Portal", on_delete=models.PROTECT, related_name="reports")
    language = models.CharField(max_length=8)
    description = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.reference


class ReportItem(models.Model):
    """One URL of a report, linked to the case for its canonical form."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    reported_url = models.TextField()
    canonical_url = models.TextField()
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="report_items")

    class Meta:
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="unique_item_position")
        ]

    def __str__(self) -> str:
        return f"{self.report.reference} #{self.position}"
