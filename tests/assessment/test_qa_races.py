"""Two people acting on one QA case at the same moment (PostgreSQL): exactly one succeeds, the
other is told why, and the case is settled once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from hotline.assessment import actions
from hotline.assessment.models import Appeal, Appellant, QaReview
from hotline.audit.models import AuditEvent
from hotline.cases.models import CaseStatus
from hotline.portals.models import Portal
from tests.assessment.qa_world import (
    assess,
    check_every_assessment,
    outcome,
    refreshed,
    report,
    senior,
    staff,
)
from tests.conftest import Analyst


def at_once(*works: Callable[[], object]) -> list[str]:
    """Run `works` in threads released together; each one's result: "done" or the refusal."""
    results: list[str] = []
    start = threading.Barrier(len(works))

    def run(work: Callable[[], object]) -> None:
        try:
            start.wait()
            work()
            results.append("done")
        except actions.AssessmentRefused as exc:
            results.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(results)


@pytest.fixture
def postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises whole write transactions; row locks matter on PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_two_second_assessments_at_once_record_one(
    postgresql: None, tn: Portal, alice: Analyst
) -> None:
    check_every_assessment(tn)
    case = report(tn, "http://race.example/")
    assess(case, alice, "B")
    carol, erin = staff("carol", ["tn"]), staff("erin", ["tn"])
    results = at_once(
        *(
            lambda who=who: actions.record_second_assessment(
                case=case, analyst=who.user, outcome=outcome("B")
            )
            for who in (carol, erin)
        )
    )
    assert results == ["This case is not waiting for a second assessment.", "done"]
    assert QaReview.objects.get().second is not None
    assert refreshed(case).status == CaseStatus.CONFIRMED
    assert AuditEvent.objects.filter(action="outcomes.case_settled").count() == 2  # QA, then agreed


@pytest.mark.django_db(transaction=True)
def test_two_seniors_deciding_one_appeal_at_once_decide_it_once(
    postgresql: None, tn: Portal, alice: Analyst
) -> None:
    case = report(tn, "http://appeal-race.example/")
    assess(case, alice, "B")
    dora, gina = senior("dora", ["tn"]), senior("gina", ["tn"])
    actions.record_appeal(case=case, senior=dora.user, appellant=Appellant.HOST)
    results = at_once(
        lambda: actions.decide_appeal(case=case, senior=dora.user, outcome=outcome("B")),
        lambda: actions.decide_appeal(case=case, senior=gina.user, outcome=outcome("not_criminal")),
    )
    assert results == ["This case has no appeal waiting for a decision.", "done"]
    assert Appeal.objects.get().decided_at is not None
    assert refreshed(case).status in (CaseStatus.CONFIRMED, CaseStatus.NOT_CONFIRMED)
