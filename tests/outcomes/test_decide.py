"""Outcomes: every result of a case, from wherever it comes, is turned into its consequences
in one place. The decision is a pure table; settle_case carries it out."""

from __future__ import annotations

import pytest

from hotline.audit.models import AuditEvent
from hotline.cases.actions import IllegalTransition, move_case, open_or_attach_case
from hotline.cases.models import Case, CaseStatus
from hotline.core.classification import OutcomeKind
from hotline.outcomes.actions import settle_case
from hotline.outcomes.decide import Decision, ListEffect, Result, Source, TakedownEffect, decide
from hotline.portals.models import Portal
from hotline.urllist.models import UrlListEntry, UrlListVersion

K = OutcomeKind
S = CaseStatus
T = TakedownEffect
PUT, REMOVE = ListEffect.PUT, ListEffect.REMOVE
CRIMINAL_B = Result(kind=K.CRIMINAL, category="B")
NOT_CRIMINAL = Result(kind=K.NOT_CRIMINAL)
UNAVAILABLE = Result(kind=K.UNAVAILABLE)
DUPLICATE = Result(kind=K.DUPLICATE, duplicate_of=1)

TABLE = [
    # (result, source, needs_qa) -> decision
    (CRIMINAL_B, Source.ASSESSMENT, False, Decision(S.CONFIRMED, PUT, T.START, PUT)),
    (CRIMINAL_B, Source.ASSESSMENT, True, Decision(S.AWAITING_QA, ListEffect.NONE)),
    (NOT_CRIMINAL, Source.ASSESSMENT, True, Decision(S.AWAITING_QA, ListEffect.NONE)),
    (
        NOT_CRIMINAL,
        Source.ASSESSMENT,
        False,
        Decision(S.NOT_CONFIRMED, REMOVE, T.WITHDRAW, REMOVE),
    ),
    (UNAVAILABLE, Source.ASSESSMENT, False, Decision(S.CLOSED, REMOVE, T.WITHDRAW, REMOVE)),
    (DUPLICATE, Source.ASSESSMENT, False, Decision(S.CLOSED, ListEffect.NONE)),
    (CRIMINAL_B, Source.QA_DECISION, False, Decision(S.CONFIRMED, PUT, T.START, PUT)),
    (
        NOT_CRIMINAL,
        Source.QA_DECISION,
        False,
        Decision(S.NOT_CONFIRMED, REMOVE, T.WITHDRAW, REMOVE),
    ),
    (CRIMINAL_B, Source.APPEAL, False, Decision(S.CONFIRMED, PUT, T.START, PUT)),
    (NOT_CRIMINAL, Source.APPEAL, False, Decision(S.NOT_CONFIRMED, REMOVE, T.WITHDRAW, REMOVE)),
    (CRIMINAL_B, Source.CORRECTION, False, Decision(S.CONFIRMED, PUT, T.START, PUT)),
    (
        NOT_CRIMINAL,
        Source.CORRECTION,
        False,
        Decision(S.NOT_CONFIRMED, REMOVE, T.WITHDRAW, REMOVE),
    ),
    (CRIMINAL_B, Source.AUTOMATIC_MATCH, False, Decision(S.CONFIRMED, ListEffect.PUT, T.START)),
]


@pytest.mark.parametrize(("result", "source", "needs_qa", "expected"), TABLE)
def test_decide(result: Result, source: Source, needs_qa: bool, expected: Decision) -> None:
    assert decide(result=result, source=source, needs_qa=needs_qa) == expected


def test_only_an_analysts_assessment_waits_for_qa() -> None:
    with pytest.raises(ValueError, match="Only an analyst's assessment"):
        decide(result=CRIMINAL_B, source=Source.APPEAL, needs_qa=True)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Result(kind=K.CRIMINAL),
        lambda: Result(kind=K.NOT_CRIMINAL, category="A"),
        lambda: Result(kind=K.DUPLICATE),
        lambda: Result(kind=K.CRIMINAL, category="A", duplicate_of=3),
    ],
)
def test_a_result_that_does_not_hold_together_is_refused(make: object) -> None:
    with pytest.raises(ValueError, match="only"):
        make()  # type: ignore[operator]


URL = "http://example.test/page"


def claimed(tn: Portal, url: str = URL) -> Case:
    case, _ = open_or_attach_case(canonical_url=url, portal=tn, actor="public")
    return move_case(case=case, to=S.IN_ASSESSMENT, actor="staff:1", reason="claimed")


def active_entries() -> list[tuple[str, str]]:
    return list(UrlListEntry.objects.filter(removed_at__isnull=True).values_list("url", "category"))


def test_confirmed_content_goes_on_the_list_and_is_audited(tn: Portal) -> None:
    case = claimed(tn)
    settle_case(case=case, result=CRIMINAL_B, source=Source.ASSESSMENT, actor="staff:1")
    case.refresh_from_db()
    assert (case.status, case.outcome, case.category) == (S.CONFIRMED, "criminal", "B")
    assert active_entries() == [(URL, "B")]
    event = AuditEvent.objects.get(action="outcomes.case_settled")
    assert event.data == {
        "source": "assessment",
        "kind": "criminal",
        "category": "B",
        "duplicate_of": None,
        "status": "confirmed",
        "url_list": "put",
        "takedown": "start",
        "hash_list": "put",
    }


def test_an_appeal_upheld_takes_the_url_off_the_list_at_once(tn: Portal) -> None:
    case = claimed(tn)
    settle_case(case=case, result=CRIMINAL_B, source=Source.ASSESSMENT, actor="staff:1")
    case = move_case(case=case, to=S.APPEALED, actor="staff:2", reason="appeal received")
    assert active_entries() == [(URL, "B")], "an appealed case stays blocked until decided"
    versions = UrlListVersion.objects.count()
    settle_case(case=case, result=NOT_CRIMINAL, source=Source.APPEAL, actor="staff:2")
    case.refresh_from_db()
    assert case.status == S.NOT_CONFIRMED and case.category == ""
    assert active_entries() == []
    assert UrlListVersion.objects.count() == versions + 1
    removed = UrlListEntry.objects.get()
    assert removed.removal_reason == "appeal"


def test_a_correction_changes_the_category_on_the_list(tn: Portal) -> None:
    case = claimed(tn)
    settle_case(case=case, result=CRIMINAL_B, source=Source.ASSESSMENT, actor="staff:1")
    settle_case(
        case=case,
        result=Result(kind=K.CRIMINAL, category="A"),
        source=Source.CORRECTION,
        actor="staff:2",
    )
    case.refresh_from_db()
    assert (case.status, case.category) == (S.CONFIRMED, "A")
    assert active_entries() == [(URL, "A")]


def test_an_assessment_held_for_qa_changes_nothing_yet(tn: Portal) -> None:
    case = claimed(tn)
    settle_case(
        case=case, result=CRIMINAL_B, source=Source.ASSESSMENT, actor="staff:1", needs_qa=True
    )
    case.refresh_from_db()
    assert case.status == S.AWAITING_QA and case.outcome == "" and case.category == ""
    assert active_entries() == []
    settle_case(case=case, result=CRIMINAL_B, source=Source.QA_DECISION, actor="staff:2")
    assert active_entries() == [(URL, "B")]


def test_a_result_the_case_cannot_take_changes_nothing(tn: Portal) -> None:
    case, _ = open_or_attach_case(canonical_url=URL, portal=tn, actor="public")
    with pytest.raises(IllegalTransition):
        settle_case(case=case, result=NOT_CRIMINAL, source=Source.APPEAL, actor="staff:2")
    case.refresh_from_db()
    assert case.status == S.NEW
    assert not AuditEvent.objects.filter(action="outcomes.case_settled").exists()
    assert not UrlListVersion.objects.exists()
