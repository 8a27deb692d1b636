"""Who is assessing which case, and what they decided."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from hotline.core.classification import Category

# A claim left open this long (analyst went home, browser closed) lets others take the case.
CLAIM_TIMEOUT = timedelta(minutes=30)


class Claim(models.Model):
    """One analyst at a time works on a case; others do not see it in their queue."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="claim")
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims"
    )
    claimed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.case} claimed by {self.analyst}"

    def is_stale(self) -> bool:
        return self.claimed_at + CLAIM_TIMEOUT <= timezone.now()


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", "Criminal imagery confirmed"
    NOT_CONFIRMED = "not_confirmed", "Not child sexual abuse material"


class Assessment(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="assessments")
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    category = models.CharField(max_length=1, choices=Category.choices, blank=True)
    notes = models.TextField(blank=True)
    assessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(outcome="confirmed") & ~models.Q(category=""))
                | (models.Q(outcome="not_confirmed") & models.Q(category="")),
                name="category_iff_confirmed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_outcome_display()}"
