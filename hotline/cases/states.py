"""The life of a case: its states and the only moves between them, in one table.

Every change of a case's status goes through `cases.actions.move_case`, which refuses a move
this table does not allow, so no caller can put a case somewhere the rest of the system does
not expect (a confirmed case back in the queue without a reason, an appeal of a case nobody
assessed).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    # Waiting in the queue for an analyst.
    NEW = "new", _("New")
    # Claimed by an analyst, under a lease that returns it to the queue when it runs out.
    IN_ASSESSMENT = "in_assessment", _("In assessment")
    # Assessed, and chosen for a second assessment before anything is acted on.
    AWAITING_QA = "awaiting_qa", _("Awaiting QA")
    CONFIRMED = "confirmed", _("Confirmed")
    NOT_CONFIRMED = "not_confirmed", _("Not confirmed")
    # A host or site owner contests the confirmation; a senior analyst re-assesses.
    APPEALED = "appealed", _("Appealed")
    # Nothing of its own to act on: a duplicate of another case, or the content was gone.
    CLOSED = "closed", _("Closed")


S = CaseStatus

# from -> the statuses it may move to. Why each move exists:
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.NEW: frozenset(
        {
            S.IN_ASSESSMENT,  # an analyst claims it
            S.CONFIRMED,  # resolved without an analyst (an automatic match)
            S.CLOSED,  # closed without an analyst (a duplicate found automatically)
        }
    ),
    S.IN_ASSESSMENT: frozenset(
        {
            S.NEW,  # released, or its lease ran out
            S.AWAITING_QA,  # assessed, and a second assessment is due
            S.CONFIRMED,
            S.NOT_CONFIRMED,
            S.CLOSED,
        }
    ),
    S.AWAITING_QA: frozenset(
        {
            S.CONFIRMED,  # the second assessment agrees, or a senior decides
            S.NOT_CONFIRMED,
            S.CLOSED,
        }
    ),
    S.CONFIRMED: frozenset(
        {
            S.APPEALED,  # a host or site owner appeals
            S.NOT_CONFIRMED,  # a senior corrects the assessment
            S.NEW,  # reported again after its entry left the list: the content may be back
            S.CLOSED,  # the content is gone for good (takedown)
        }
    ),
    S.NOT_CONFIRMED: frozenset(
        {
            S.NEW,  # reported again: a page can change the hour after it was seen
            S.CONFIRMED,  # a senior corrects the assessment
        }
    ),
    S.APPEALED: frozenset(
        {
            S.CONFIRMED,  # the appeal is refused
            S.NOT_CONFIRMED,  # the appeal is upheld: the case leaves the lists at once
        }
    ),
    S.CLOSED: frozenset(
        {
            S.NEW,  # reported again
            S.CONFIRMED,  # a senior corrects the assessment
        }
    ),
}

# Where a case waits for someone to assess it.
QUEUE_STATUSES = frozenset({S.NEW})
# Where a case has a result that stands.
RESOLVED_STATUSES = frozenset({S.CONFIRMED, S.NOT_CONFIRMED, S.CLOSED})


def can_move(from_status: str, to_status: str) -> bool:
    """Whether the table allows a case in `from_status` to move to `to_status`."""
    return CaseStatus(to_status) in TRANSITIONS[CaseStatus(from_status)]
