"""The figures kept up to date by the actions are the figures recomputed from the cases.

Hypothesis draws random histories of reports (several URLs, repeats, on two portals),
assessments of every outcome, second assessments that agree or not and seniors' decisions,
appeals upheld and refused, corrections, reports of content already on the URL list, hash-list
matches and takedown re-checks (removed, back again), all through the real actions; after each
history, the rollups the receivers kept must equal what `rebuild_figures` computes from the
rows. Each history runs in a transaction rolled back at its end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.assessment import actions
from hotline.assessment.actions import Facts
from hotline.assessment.errors import AssessmentRefused
from hotline.assessment.models import (
    AgeGroup,
    Appellant,
    QaPolicy,
    SchemeOutcome,
    SexShown,
    SiteType,
)
from hotline.assessment.qa import has_assessed, open_review
from hotline.cases.actions import IllegalTransition
from hotline.cases.models import Case, CaseStatus
from hotline.core.hashing import url_digest
from hotline.hashlist.actions import NewHash, add_hashes
from hotline.hashlist.live import forget_index
from hotline.hashlist.models import HashSource
from hotline.intake.actions import attach_report_to_cases, file_report
from hotline.outcomes.actions import resolve_known_imagery
from hotline.portals.models import Portal
from hotline.portals.resolver import forget_portals
from hotline.stats.actions import rebuild_figures
from hotline.stats.models import DailyFigure
from hotline.takedown.actions import record_capture, record_recheck
from hotline.takedown.models import Takedown
from hotline.takedown.recheck import Verdict
from hotline.urllist.lookup import reset_index
from tests.assessment.qa_world import senior, staff
from tests.conftest import Analyst
from tests.outcomes.test_known_imagery import captured, page
from tests.world.web import shapes

pytestmark = pytest.mark.django_db(transaction=False)

URLS = [f"http://site{n % 3}.example/page/{n}" for n in range(6)]
CODES = ["A", "B", "C", "NPI", "not_criminal", "unavailable", "duplicate"]
CORRECTIONS = ["A", "B", "C", "not_criminal"]

facts = st.builds(
    Facts,
    youngest_age=st.sampled_from(["", *AgeGroup.values]),
    sex_shown=st.sampled_from(["", *SexShown.values]),
    site_type=st.sampled_from(["", *SiteType.values]),
    hosting_country=st.sampled_from(["", "NL", "US", "TN"]),
)
url = st.integers(0, len(URLS) - 1)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("report"), st.integers(0, 1), st.lists(url, min_size=1, max_size=3)),
        # Whatever the case's status allows next, chosen by the code and the variant (drawn
        # three times as often as the others).
        *[st.tuples(st.just("act"), url, st.sampled_from(CODES), facts, st.integers(0, 3))] * 3,
        st.tuples(st.just("recheck"), url, st.sampled_from([Verdict.GONE, Verdict.PRESENT])),
    ),
    min_size=15,
    max_size=40,
)


@dataclass
class World:
    portals: list[Portal]
    analysts: list[Analyst]
    seniors: list[Analyst]
    known_image: bytes
    done: list[str] = field(default_factory=list)


@pytest.fixture
def world(tn: Portal, ma: Portal) -> World:
    # Tunisia checks every assessment a second time, Morocco none: both paths are walked.
    QaPolicy.objects.create(portal=tn, first_assessments=0, sample_percent=100)
    QaPolicy.objects.create(portal=ma, first_assessments=0, sample_percent=0)
    return World(
        portals=[tn, ma],
        analysts=[staff("ana", ["tn", "ma"]), staff("ben", ["tn", "ma"])],
        seniors=[senior("sam", ["tn", "ma"]), senior("sue", ["tn", "ma"])],
        known_image=shapes(7),
    )


def outcome(code: str) -> SchemeOutcome:
    return SchemeOutcome.objects.get(scheme__is_default=True, code=code)


def case_of(index: int) -> Case | None:
    return Case.objects.filter(url_sha256=url_digest(URLS[index])).first()


def others(case: Case) -> Iterator[Case]:
    yield from Case.objects.exclude(pk=case.pk).order_by("pk")[:1]


def figures() -> dict[tuple[int, str, str, str], int]:
    return {
        (row.portal_id, row.day.isoformat(), row.metric, row.key): row.count
        for row in DailyFigure.objects.all()
        if row.count
    }


def run(world: World, step: tuple[object, ...]) -> None:
    kind = step[0]
    if kind == "report":
        _, portal, indices = step
        assert isinstance(portal, int) and isinstance(indices, list)
        urls = [(URLS[i], URLS[i]) for i in dict.fromkeys(indices)]
        filed = file_report(portal=world.portals[portal], language="fr", urls=urls)
        attach_report_to_cases(report_id=filed.report.pk)
        world.done.append("report")
        return
    assert isinstance(step[1], int)
    case = case_of(step[1])
    if case is None:
        return
    if kind == "recheck":
        _, _, verdict = step
        assert isinstance(verdict, str)
        takedown = Takedown.objects.filter(case=case).first()
        if takedown is not None:
            record_recheck(takedown=takedown, verdict=verdict, reason="re-check", actor="system")
            world.done.append(f"recheck {verdict}")
        return
    _, _, code, given_facts, variant = step
    assert isinstance(code, str) and isinstance(given_facts, Facts) and isinstance(variant, int)
    world.done.append(act(world, case, code, given_facts, variant))


def act(world: World, case: Case, code: str, given_facts: Facts, variant: int) -> str:
    """The next thing that may happen to `case`, as `code` and `variant` choose."""
    duplicate = next(others(case), None) if code == "duplicate" else None
    if code == "duplicate" and duplicate is None:
        code = "unavailable"
    status = CaseStatus(case.status)
    if status == CaseStatus.NEW and variant == 0:
        image = captured(world.known_image, case.canonical_url + "i.png")
        add_hashes(
            entries=[NewHash("sha256", image.sha256, "A")],
            source=HashSource.SENIOR_PASTE,
            actor="senior",
        )
        capture = record_capture(
            case=case, page=page(case.canonical_url, world.known_image), actor="system"
        )
        assert resolve_known_imagery(case_id=case.pk, capture_id=capture.pk, actor="system")
        return "hash-list match"
    if status == CaseStatus.NEW:
        analyst = world.analysts[variant % 2].user
        actions.claim_case(case=case, analyst=analyst)
        actions.record_assessment(
            case=case,
            analyst=analyst,
            outcome=outcome(code),
            facts=given_facts,
            duplicate_of=duplicate,
        )
        return f"assess {code}"
    if status == CaseStatus.AWAITING_QA:
        review = open_review(case)
        assert review is not None
        if review.second_id is None:
            (analyst,) = [a.user for a in world.analysts if a.user.pk != review.first.analyst_id]
            if variant < 2:  # the same outcome as the first: they agree
                code = review.first.outcome_code
                first_duplicate = review.first.duplicate_of_id
                duplicate = Case.objects.get(pk=first_duplicate) if first_duplicate else None
            actions.record_second_assessment(
                case=case,
                analyst=analyst,
                outcome=outcome(code),
                facts=given_facts,
                duplicate_of=duplicate,
            )
            return f"second {code}"
        actions.decide_disagreement(
            case=case,
            senior=world.seniors[0].user,
            outcome=outcome(code),
            facts=given_facts,
            duplicate_of=duplicate,
        )
        return f"senior {code}"
    if status == CaseStatus.CONFIRMED and variant < 2:
        actions.record_appeal(case=case, senior=world.seniors[0].user, appellant=Appellant.HOST)
        return "appeal"
    if status == CaseStatus.APPEALED:
        deciders = [s.user for s in world.seniors if not has_assessed(s.user, case)]
        if not deciders:
            return "no senior left to decide the appeal"
        decision = "not_criminal" if variant % 2 else "C"
        actions.decide_appeal(
            case=case, senior=deciders[0], outcome=outcome(decision), facts=given_facts
        )
        return f"appeal decided {decision}"
    correction = CORRECTIONS[variant]
    actions.correct_result(
        case=case, senior=world.seniors[1].user, outcome=outcome(correction), reason="checked"
    )
    return f"correct {correction}"


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=steps)
def test_the_rollups_equal_the_figures_rebuilt_from_the_cases(
    world: World, history: list[tuple[object, ...]]
) -> None:
    with transaction.atomic():
        # What earlier histories held in memory was rolled back with them.
        reset_index()
        forget_index(delete_file=True)
        forget_portals()
        world.done.clear()
        # Every URL reported once first, so that the steps find cases to act on.
        for step in [("report", 0, list(range(len(URLS)))), *history]:
            # A step the rules refuse (the same result again ...) changes nothing.
            with suppress(AssessmentRefused, IllegalTransition):
                run(world, step)
        kept = figures()
        rebuild_figures(actor="system")
        rebuilt = figures()
        differ = {
            key: (kept.get(key), rebuilt.get(key))
            for key in kept.keys() | rebuilt.keys()
            if kept.get(key) != rebuilt.get(key)
        }
        assert not differ, (differ, world.done)
        transaction.set_rollback(True)
