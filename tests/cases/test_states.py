"""The case state machine: every move is in one table, and move_case follows it exactly."""

from __future__ import annotations

import itertools

import pytest

from hotline.cases.actions import IllegalTransition, move_case
from hotline.cases.models import Case
from hotline.cases.states import RESOLVED_STATUSES, TRANSITIONS, CaseStatus, can_move
from hotline.core.classification import OutcomeKind
from hotline.portals.models import Portal

S = CaseStatus

# The table as the issue describes the life of a case, written out again here on purpose: a
# change to cases/states.py must be a deliberate change to this specification too.
EXPECTED = {
    (S.NEW, S.IN_ASSESSMENT),
    (S.NEW, S.CONFIRMED),
    (S.NEW, S.CLOSED),
    (S.IN_ASSESSMENT, S.NEW),
    (S.IN_ASSESSMENT, S.AWAITING_QA),
    (S.IN_ASSESSMENT, S.CONFIRMED),
    (S.IN_ASSESSMENT, S.NOT_CONFIRMED),
    (S.IN_ASSESSMENT, S.CLOSED),
    (S.AWAITING_QA, S.CONFIRMED),
    (S.AWAITING_QA, S.NOT_CONFIRMED),
    (S.AWAITING_QA, S.CLOSED),
    (S.CONFIRMED, S.APPEALED),
    (S.CONFIRMED, S.NOT_CONFIRMED),
    (S.CONFIRMED, S.NEW),
    (S.CONFIRMED, S.CLOSED),
    (S.NOT_CONFIRMED, S.NEW),
    (S.NOT_CONFIRMED, S.CONFIRMED),
    (S.APPEALED, S.CONFIRMED),
    (S.APPEALED, S.NOT_CONFIRMED),
    (S.CLOSED, S.NEW),
    (S.CLOSED, S.CONFIRMED),
}
ALL_PAIRS = list(itertools.product(CaseStatus, CaseStatus))


def test_every_status_has_a_row() -> None:
    assert set(TRANSITIONS) == set(CaseStatus)


@pytest.mark.parametrize(("was", "to"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_the_table_allows_exactly_the_specified_moves(was: CaseStatus, to: CaseStatus) -> None:
    assert can_move(was, to) == ((was, to) in EXPECTED)


def test_an_appeal_can_be_decided_either_way_and_only_a_confirmed_case_is_appealed() -> None:
    assert {was for was, to in EXPECTED if to == S.APPEALED} == {S.CONFIRMED}
    assert {to for was, to in EXPECTED if was == S.APPEALED} == {S.CONFIRMED, S.NOT_CONFIRMED}


@pytest.mark.parametrize(("was", "to"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_move_case_follows_the_table(tn: Portal, was: CaseStatus, to: CaseStatus) -> None:
    case = Case.objects.create(
        canonical_url="http://example.test/", url_sha256="0" * 64, portal=tn, status=was
    )
    outcome = OutcomeKind.CRIMINAL if to == S.CONFIRMED else OutcomeKind.NOT_CRIMINAL
    allowed = (was, to) in EXPECTED or (was == to and was in RESOLVED_STATUSES)
    if allowed:
        moved = move_case(
            case=case, to=to, actor="system", reason="test", outcome=outcome, category="A"
        )
        assert moved.status == to
        if to in RESOLVED_STATUSES:
            assert moved.resolved_at is not None and moved.outcome == outcome
    else:
        with pytest.raises(IllegalTransition):
            move_case(case=case, to=to, actor="system", reason="test")
        case.refresh_from_db()
        assert case.status == was
