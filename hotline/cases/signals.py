"""What the cases app announces to the layers above it (DESIGN.md: a lower layer never calls
up; it records the fact or emits an event that the higher layer subscribes to)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

# Sent inside the transaction that opened (or reopened) cases, with `case_ids`: the cases now
# waiting for a first look. Receivers must leave only through hotline.core.effects (a task
# enqueued with the transaction), never do slow work here: intake attaches reports with it.
cases_opened = Signal()


@dataclass(frozen=True)
class Standing:
    """The result that stands on a case, as far as the figures are concerned: what it is, how
    it came, and its times. A case in the queue, in assessment or awaiting QA has none."""

    case_id: int
    portal_id: int
    outcome: str  # core.classification.OutcomeKind's value
    category: str  # the scheme's category code, for criminal content
    source: str  # Case.result_source
    opened_at: datetime
    assessed_at: datetime
    resolved_at: datetime


@dataclass(frozen=True)
class ResultChange:
    """One case's standing result before and after a move (None: it had, or has, none)."""

    before: Standing | None
    after: Standing | None


# Sent inside the transaction of every move that changes a case's standing result (a first
# result, a QA decision, an appeal, a correction, a reopen), with `changes`: a list of
# ResultChange, one per case moved (a batch of reports may reopen several). Receivers apply
# what changed in the same transaction (hotline.stats keeps its figures so) and must be cheap.
case_results_changed = Signal()
