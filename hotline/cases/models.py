"""A case is one canonical URL: the unit analysts assess and actions act on."""

from __future__ import annotations

from django.db import models

from hotline.core.classification import Category


class CaseStatus(models.TextChoices):
    AWAITING_ASSESSMENT = "awaiting_assessment", "Awaiting assessment"
    CONFIRMED = "confirmed", "Confirmed"
    NOT_CONFIRMED = "not_confirmed", "Not confirmed"


class Case(models.Model):
    canonical_url = models.TextField()
    url_sha256 = models.CharField(max_length=64, unique=True)
    # The portal whose report opened the case; later reports from any portal attach to it.
    portal = models.ForeignKey("portals.Portal", on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(
        max_length=32, choices=CaseStatus.choices, default=CaseStatus.AWAITING_ASSESSMENT
    )
    category = models.CharField(max_length=1, choices=Category.choices, blank=True)
    # Higher first in the queue. More reports of the same URL raise it.
    priority = models.IntegerField(default=0)
    report_count = models.PositiveIntegerField(default=0)
    # At least one report of it came with a verified proof of work (or from a partner's key):
    # such cases come first in the queue, so a flood of junk cannot bury real reports.
    has_verified_report = models.BooleanField(default=False)
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["status", "-has_verified_report", "-priority", "opened_at"],
                name="case_queue_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"
