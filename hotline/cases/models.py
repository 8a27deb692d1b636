"""A case is one canonical URL: the unit analysts assess and actions act on."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from hotline.cases.states import QUEUE_STATUSES, CaseStatus
from hotline.core.classification import CATEGORY_CODE_LENGTH, OutcomeKind

__all__ = ["Case", "CasePortal", "CaseStatus"]


class Case(models.Model):
    canonical_url = models.TextField()
    url_sha256 = models.CharField(max_length=64, unique=True)
    # The host of the URL (punycode, lower case): earlier confirmed cases on it raise priority.
    host = models.CharField(max_length=255, db_index=True, default="")
    # The portal whose report opened the case; later reports from any portal attach to it.
    portal = models.ForeignKey("portals.Portal", on_delete=models.PROTECT, related_name="cases")
    # Changed only through cases.actions.move_case, along cases/states.py's table.
    status = models.CharField(max_length=32, choices=CaseStatus.choices, default=CaseStatus.NEW)
    # The result that stands, once there is one: its kind and the scheme's category code.
    outcome = models.CharField(max_length=16, choices=OutcomeKind.choices, blank=True)
    category = models.CharField(max_length=CATEGORY_CODE_LENGTH, blank=True)
    # For a duplicate: the case that carries the assessment.
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    # Priority points (cases/priority.py) and the queue time they give.
    priority = models.IntegerField(default=0)
    # Every report of the URL, and those since it was last opened (which give its points).
    report_count = models.PositiveIntegerField(default=0)
    open_reports = models.PositiveIntegerField(default=0)
    # Confirmed cases on the same host when the points were last worked out.
    host_confirmed = models.PositiveIntegerField(default=0)
    # Reports of it that arrived while it was on the URL list: resolved without an analyst.
    known_reports = models.PositiveIntegerField(default=0)
    # At least one report of it came with a verified proof of work (or from a partner's key):
    # such cases come first in the queue, so a flood of junk cannot bury real reports.
    has_verified_report = models.BooleanField(default=False)
    opened_at = models.DateTimeField(default=timezone.now)
    queue_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # When the case first got a result since it was (re)opened: the day its figures count on
    # (docs/figures.md). A correction or an appeal changes the result, not this; a reopen
    # clears it with the result.
    assessed_at = models.DateTimeField(null=True, blank=True)
    # Where the result that stands came from (outcomes.decide.Source's value: assessment,
    # qa_decision, appeal, correction, automatic_match), as settle_case gave it.
    result_source = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [
            # The queue: one index range scan for "the next case", however many cases there are.
            models.Index(
                fields=["-has_verified_report", "queue_at", "id"],
                condition=Q(status__in=sorted(QUEUE_STATUSES)),
                name="case_queue_idx",
            ),
            models.Index(fields=["status"], name="case_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk}"


class CasePortal(models.Model):
    """A portal a case was reported on: its analysts see the case, in that portal's queue.

    A case opened on Tunisia's portal and reported again on Morocco's has two rows, so both
    portals' analysts see it and nobody else does. The queue fields are copies of the case's,
    kept equal by cases/actions.py in the transaction of every change to them (the only place
    they change), so that each portal's queue is one range of `caseportal_queue_idx`, in queue
    order, however many cases the other portals have: a filter through the report items, or
    on the case's portal with a join, has to read past other portals' cases to find them.
    """

    # No index of its own: the unique constraint's index starts with the case.
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="portal_links", db_index=False
    )
    portal = models.ForeignKey("portals.Portal", on_delete=models.PROTECT, related_name="+")
    # Copies of the case's fields of the same names.
    status = models.CharField(max_length=32, choices=CaseStatus.choices, default=CaseStatus.NEW)
    has_verified_report = models.BooleanField(default=False)
    queue_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index that answers "may this analyst see this case?".
            models.UniqueConstraint(fields=["case", "portal"], name="one_link_per_case_portal")
        ]
        indexes = [
            # One portal's waiting cases: the verified ones, and the rest, each in queue order.
            models.Index(
                fields=["portal", "has_verified_report", "queue_at", "case"],
                condition=Q(status__in=sorted(QUEUE_STATUSES)),
                name="caseportal_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.case_id} on portal {self.portal_id}"
