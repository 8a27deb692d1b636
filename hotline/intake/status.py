"""What a reporter may learn of their report: one of four words, and nothing else."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hotline.cases.states import RESOLVED_STATUSES, CaseStatus
from hotline.intake.models import Report


class ReportStatus(models.TextChoices):
    RECEIVED = "received", _("Received: it is waiting to be assessed.")
    BEING_ASSESSED = "being_assessed", _("Being assessed by the analysts.")
    ACTION_TAKEN = (
        "action_taken",
        _("Assessed, and action has been taken: what you reported is being blocked and removed."),
    )
    NO_ACTION = (
        "no_action",
        _(
            "Assessed: no action was needed. What you reported was not found to be criminal "
            "content. Thank you for reporting it all the same."
        ),
    )


# The final answers: a report in one of these is assessed, and its reporter may be told so.
ASSESSED = frozenset({ReportStatus.ACTION_TAKEN, ReportStatus.NO_ACTION})


def report_status(report: Report) -> ReportStatus:
    """The status of the whole report, from its cases (one place decides it).

    Assessed only when every address is; then "action taken" if any was confirmed. Which
    address was confirmed, and how, is not said: the reporter learns only what they need.
    """
    statuses = []
    for item in report.items.select_related("case", "case__duplicate_of"):
        case = item.case
        if case is None:
            # An item waits for its case only in the seconds after the report commits.
            return ReportStatus.RECEIVED
        # A duplicate shares the fate of the case that carries the assessment.
        statuses.append(case.duplicate_of.status if case.duplicate_of else case.status)
    if not statuses:
        return ReportStatus.RECEIVED
    if any(status not in RESOLVED_STATUSES for status in statuses):
        return ReportStatus.BEING_ASSESSED
    if any(status == CaseStatus.CONFIRMED for status in statuses):
        return ReportStatus.ACTION_TAKEN
    return ReportStatus.NO_ACTION
