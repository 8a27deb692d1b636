"""The "decide what" step: what a case's result sets in motion. One place, no side effects.

Every result a case can get, from an analyst's assessment, a QA decision, an appeal, a senior's
correction or an automatic match, comes here as a `Result` with its `Source`, and leaves as a
`Decision`: the status the case moves to and what happens to its URL on the lists. Callers
(outcomes/actions.py) carry the decision out; nothing else in the system turns a result into
consequences. Notice and takedown's effect and the hash list's are decided here too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hotline.cases.states import CaseStatus
from hotline.core.classification import OutcomeKind


class Source(enum.StrEnum):
    ASSESSMENT = "assessment"  # an analyst's assessment
    QA_DECISION = "qa_decision"  # a second assessment that agreed, or a senior's decision
    APPEAL = "appeal"  # a senior's re-assessment of an appealed case
    CORRECTION = "correction"  # a senior corrects a result that stands
    AUTOMATIC_MATCH = "automatic_match"  # known content, resolved without an analyst


class ListEffect(enum.StrEnum):
    """What happens to a case on a list: its URL on the URL list, its captured images' hashes
    on the hash list."""

    PUT = "put"  # on the list with the result's category (added, or its category changed)
    REMOVE = "remove"  # off the list
    NONE = "none"  # the list is not touched


class TakedownEffect(enum.StrEnum):
    START = "start"  # notice and takedown begins (or goes on, if it is under way)
    WITHDRAW = "withdraw"  # a takedown under way stops: the confirmation was withdrawn
    NONE = "none"


@dataclass(frozen=True)
class Result:
    kind: OutcomeKind
    # The classification scheme's category code; only for criminal content.
    category: str = ""
    # For a duplicate: the id of the case that carries the assessment.
    duplicate_of: int | None = None

    def __post_init__(self) -> None:
        if (self.kind == OutcomeKind.CRIMINAL) != bool(self.category):
            raise ValueError("A category is given for criminal content, and only for it.")
        if (self.kind == OutcomeKind.DUPLICATE) != (self.duplicate_of is not None):
            raise ValueError("A duplicate names its case, and only a duplicate does.")


@dataclass(frozen=True)
class Decision:
    status: CaseStatus
    url_list: ListEffect
    takedown: TakedownEffect = TakedownEffect.NONE
    hash_list: ListEffect = ListEffect.NONE


# The status each kind of result gives a case.
STATUS_OF = {
    OutcomeKind.CRIMINAL: CaseStatus.CONFIRMED,
    OutcomeKind.NOT_CRIMINAL: CaseStatus.NOT_CONFIRMED,
    OutcomeKind.UNAVAILABLE: CaseStatus.CLOSED,
    OutcomeKind.DUPLICATE: CaseStatus.CLOSED,
}


def decide(*, result: Result, source: Source, needs_qa: bool = False) -> Decision:
    """What `result`, from `source`, does to its case and the URL list.

    - An assessment chosen for a second assessment (`needs_qa`) waits in QA and changes
      nothing yet: a new analyst's or a sampled result is checked before it is acted on.
    - Criminal content goes on the URL list (or has its category changed there), its captured
      images go on the hash list (unless it was confirmed by an automatic match: then nobody
      saw its other images), and its removal is asked for (notice and takedown).
    - Any other result takes the URL off the list and the case's images off the hash list, if
      they are there, and withdraws any takedown: an appeal upheld or a correction removes
      them at once; for a first assessment there is nothing to remove.
    A duplicate leaves the lists alone: the case it duplicates carries the assessment, and its
    URL is a different one.
    """
    if needs_qa:
        if source != Source.ASSESSMENT:
            raise ValueError("Only an analyst's assessment waits for QA.")
        return Decision(CaseStatus.AWAITING_QA, ListEffect.NONE)
    status = STATUS_OF[result.kind]
    if result.kind == OutcomeKind.CRIMINAL:
        # A page confirmed by an automatic match has its known image on the hash list already;
        # its other images were seen by nobody, and only what a person saw is listed.
        hashes = ListEffect.NONE if source == Source.AUTOMATIC_MATCH else ListEffect.PUT
        return Decision(status, ListEffect.PUT, TakedownEffect.START, hashes)
    if result.kind == OutcomeKind.DUPLICATE:
        return Decision(status, ListEffect.NONE)
    return Decision(status, ListEffect.REMOVE, TakedownEffect.WITHDRAW, ListEffect.REMOVE)
