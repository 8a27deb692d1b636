"""Notice and takedown: what was captured at a case's URL, where it is hosted, who was asked to
remove it, and the re-checks that tell when it is gone.

One `Takedown` per confirmed case follows the content from confirmation to removal (and watches
for its return). Its `Notice` rows are the requests sent, one per party asked, each with the
states of docs/takedown.md. Every change goes through hotline/takedown/actions.py, audited.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Capture(models.Model):
    """One visit of the safe fetcher to a case's URL: what answered there and its images.

    Images are recorded by their hashes; their bytes are kept only when the evidence store is
    on, encrypted, for a limited time (takedown/evidence.py): nothing is stored that need not
    be.
    """

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="captures")
    captured_at = models.DateTimeField(default=timezone.now)
    requested_url = models.TextField()
    final_url = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    redirects = models.JSONField(default=list, blank=True)
    # The hosting server's address (never a reporter's: reporters' addresses are never kept).
    server_ip = models.GenericIPAddressField(null=True, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    title = models.TextField(blank=True)
    # Images found and hashed; those that could not be fetched or read, with why.
    image_count = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=list, blank=True)
    # Why the page itself could not be captured ("" when it was): a machine code and a sentence.
    error_kind = models.CharField(max_length=32, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "-captured_at"], name="capture_case_idx")]

    def __str__(self) -> str:
        return f"Capture {self.pk} of case {self.case_id}"


class CapturedImage(models.Model):
    capture = models.ForeignKey(Capture, on_delete=models.CASCADE, related_name="images")
    url = models.TextField()
    md5 = models.CharField(max_length=32)
    sha1 = models.CharField(max_length=40)
    sha256 = models.CharField(max_length=64, db_index=True)
    pdq = models.CharField(max_length=64)
    pdq_quality = models.PositiveSmallIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # The image itself, only with the evidence store on (HOTLINE_EVIDENCE_KEY): encrypted
    # (takedown/evidence.py), and deleted when it expires (HOTLINE_EVIDENCE_DAYS).
    evidence = models.BinaryField(null=True, blank=True, editable=False)
    evidence_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["evidence_expires_at"],
                condition=Q(evidence_expires_at__isnull=False),
                name="evidence_expiry_idx",
            )
        ]

    def __str__(self) -> str:
        return self.sha256[:12]


class HostingTrace(models.Model):
    """Where a case's URL was hosted when it was traced: DNS, network, country, abuse contact."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="traces")
    traced_at = models.DateTimeField(default=timezone.now)
    host = models.CharField(max_length=255)
    cname_chain = models.JSONField(default=list, blank=True)
    addresses = models.JSONField(default=list, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    as_name = models.CharField(max_length=255, blank=True)
    # A CDN in front of the origin: the origin host is then asked through the CDN's process.
    cdn = models.CharField(max_length=100, blank=True)
    cdn_abuse = models.CharField(max_length=255, blank=True)
    abuse_email = models.CharField(max_length=254, blank=True)
    abuse_source = models.TextField(blank=True)
    network_name = models.CharField(max_length=255, blank=True)
    error = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "-traced_at"], name="trace_case_idx")]

    def __str__(self) -> str:
        return f"{self.host} ({self.country or '?'})"


class TakedownStatus(models.TextChoices):
    # Confirmed content that is, as far as the last re-check knows, still online.
    OPEN = "open", _("Open")
    # The content is gone; re-checks continue for a while, in case it comes back.
    REMOVED = "removed", _("Removed")
    # The case's confirmation was withdrawn (appeal upheld, correction): nothing to remove.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Takedown(models.Model):
    """The removal of one confirmed case's content, from confirmation until it is gone."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="takedown")
    status = models.CharField(
        max_length=16, choices=TakedownStatus.choices, default=TakedownStatus.OPEN
    )
    # The clock of the time to removal starts at the confirmation (again when it comes back).
    confirmed_at = models.DateTimeField(default=timezone.now)
    removed_at = models.DateTimeField(null=True, blank=True)
    time_to_removal = models.DurationField(null=True, blank=True)
    # Re-checks: when the next is due, how many were made since the clock started.
    next_check_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveIntegerField(default=0)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_verdict = models.CharField(max_length=16, blank=True)
    last_reason = models.CharField(max_length=64, blank=True)
    # Re-checks after removal stop then: content gone that long is gone.
    watch_until = models.DateTimeField(null=True, blank=True)
    # Times the content came back after it was gone.
    returns = models.PositiveIntegerField(default=0)
    hosting_country = models.CharField(max_length=2, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_check_at"],
                condition=Q(next_check_at__isnull=False),
                name="takedown_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Takedown of case {self.case_id}"


class RecipientKind(models.TextChoices):
    NATIONAL_AUTHORITY = "national_authority", _("National authority")
    HOTLINE = "hotline", _("Partner hotline")
    HOSTING_PROVIDER = "hosting_provider", _("Hosting provider")
    CDN = "cdn", _("CDN")
    UPSTREAM = "upstream", _("Upstream network")
    # Nobody to send to was found: someone must choose the recipient.
    MANUAL = "manual", _("Manual routing")


class NoticeState(models.TextChoices):
    TO_SEND = "to_send", _("To send")
    SENT = "sent", _("Sent")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    REMOVED = "removed", _("Removed")
    ESCALATED = "escalated", _("Escalated")
    FAILED = "failed", _("Failed")
    # The case's confirmation was withdrawn before the content was removed.
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Notice(models.Model):
    """One request to one party to remove a case's content, in the party's language."""

    takedown = models.ForeignKey(Takedown, on_delete=models.CASCADE, related_name="notices")
    recipient_kind = models.CharField(max_length=24, choices=RecipientKind.choices)
    recipient_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=8, default="en")
    # Why this party: the routing rule that chose it, for the analyst and the audit.
    routed_because = models.CharField(max_length=255, blank=True)
    state = models.CharField(
        max_length=16, choices=NoticeState.choices, default=NoticeState.TO_SEND
    )
    # 0 for the first notice; 1, 2, ... for the parties escalated to.
    level = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Delivery: tries so far, the last failure, and when the next try is due.
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="to_send"),
                name="notice_to_send_idx",
            ),
            models.Index(fields=["state", "created_at"], name="notice_state_idx"),
        ]

    def __str__(self) -> str:
        return f"Notice {self.pk} to {self.recipient_name or self.get_recipient_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_NOTICE_STATES


OPEN_NOTICE_STATES = frozenset({NoticeState.TO_SEND, NoticeState.SENT, NoticeState.ACKNOWLEDGED})
