"""What the public sends: a report of one or more URLs. Nothing identifies the reporter."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ContentSeen(models.TextChoices):
    """What the reporter says they saw (they may tick several)."""

    IMAGES = "images", _("Images")
    VIDEOS = "videos", _("Videos")
    TEXT = "text", _("Text or chat")
    OTHER = "other", _("Something else")


class FoundOn(models.TextChoices):
    """Where the reporter came across it."""

    WEBSITE = "website", _("A website")
    SOCIAL = "social", _("Social media")
    MESSAGING = "messaging", _("A messaging app")
    FILE_SHARING = "file_sharing", _("A file-sharing service")
    SEARCH = "search", _("Search results")
    OTHER = "other", _("Somewhere else")


class Report(models.Model):
    # Shown to the reporter as their receipt, e.g. "TN-7K3F-9QXD"; random, so it reveals neither
    # how many reports a portal gets nor when this one came.
    reference = models.CharField(max_length=32, unique=True)
    portal = models.ForeignKey("portals.Portal", on_delete=models.PROTECT, related_name="reports")
    language = models.CharField(max_length=8)
    content_seen = models.JSONField(default=list, blank=True)  # ContentSeen values
    found_on = models.CharField(max_length=16, choices=FoundOn.choices, blank=True)
    description = models.TextField(blank=True)
    # A slow hash (Argon2) of the receipt code the reporter chose to get, to check the status
    # later; empty when they did not. The code itself is shown once and never stored.
    receipt_hash = models.CharField(max_length=200, blank=True)
    # Reports from a trusted partner's API key: the member (by id; members is a lower layer
    # but a report outlives a member's key) and the partner's own reference for it.
    member_id = models.BigIntegerField(null=True, blank=True)
    external_reference = models.CharField(max_length=100, blank=True)
    # Sent with a valid proof of work (intake.pow), or by a trusted partner's key: ahead of
    # unverified reports in the queue. False says only that no browser did the work (JavaScript
    # off, or a script): such reports are filed and assessed all the same.
    verified = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return self.reference

    def content_seen_labels(self) -> list[str]:
        """What the reporter said they saw, in the reader's language."""
        labels = dict(ContentSeen.choices)
        return [str(labels.get(value, value)) for value in self.content_seen]


class ReportItem(models.Model):
    """One URL of a report, linked to the case for its canonical form."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    reported_url = models.TextField()
    canonical_url = models.TextField()
    # A Tor hidden service: it can only be fetched through Tor, so analysts are told.
    is_onion = models.BooleanField(default=False)
    # Empty from the moment the report commits until its attachment task runs (seconds).
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="report_items",
        null=True,
        blank=True,
    )
    # Its URL was on the URL list when the item reached its case: known content, resolved
    # without an analyst (the case counted it in `known_reports`; the figures count it here).
    known_content = models.BooleanField(default=False)

    class Meta:
        ordering = ["report", "position"]
        constraints = [
            models.UniqueConstraint(fields=["report", "position"], name="unique_item_position")
        ]
        indexes = [
            # The safety net's work list (intake.tasks.attach_lost_reports): nearly always empty.
            models.Index(fields=["report"], condition=Q(case__isnull=True), name="item_unattached")
        ]

    def __str__(self) -> str:
        return f"{self.report.reference} #{self.position}"


class IdempotentRequest(models.Model):
    """A report API call made with an `Idempotency-Key`: a retry gets the first answer again.

    Kept per member and key, with a digest of the request body, so that the same key with a
    different body is refused rather than silently answered with another report.
    """

    member_id = models.BigIntegerField()
    key = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member_id", "key"], name="one_request_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.key}"


class StatusEmail(models.Model):
    """An e-mail address a reporter gave, with explicit consent, for one status message.

    Kept apart from the report, so the report itself never holds contact details; deleted as
    soon as that message is sent, or unsent after HOTLINE_STATUS_EMAIL_DAYS. Not in the admin,
    not in the audit log, not in any log line.
    """

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="status_email")
    address = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set while a worker sends the message, so two overlapping runs never send it twice; a
    # claim older than a few minutes is from a worker that died, and is taken over.
    sending_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"status e-mail for {self.report_id}"  # never the address
