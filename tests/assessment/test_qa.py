"""Second assessments: another analyst assesses blind; agreement is acted on, disagreement goes
to a senior analyst who decides; both views and the decision are kept and shown."""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.assessment import actions
from hotline.assessment.models import Purpose, QaReview
from hotline.assessment.qa import disagreement_queue, second_assessment_queue
from hotline.audit.actions import staff_actor
from hotline.audit.models import AuditEvent
from hotline.cases.models import Case, CaseStatus
from hotline.portals.models import Portal
from hotline.urllist.models import UrlListEntry
from tests.assessment.qa_world import (
    assess,
    check_every_assessment,
    outcome,
    refreshed,
    report,
    senior,
    signed_in,
    staff,
)
from tests.conftest import Analyst


@pytest.fixture
def sampled(alice: Analyst, tn: Portal) -> Case:
    """A case alice assessed as Category B, chosen for a second assessment."""
    check_every_assessment(tn)
    case = report(tn, "http://checked.example/")
    assess(case, alice, "B", notes="first view: seen on a forum")
    return refreshed(case)


@pytest.fixture
def carol(tn: Portal) -> Analyst:
    return staff("carol", ["tn"])


@pytest.fixture
def dora(tn: Portal) -> Analyst:
    """A senior analyst on Tunisia who assessed nothing."""
    return senior("dora", ["tn"])


def second(client: Client, case: Case, code: str, notes: str = "") -> str:
    response = client.post(
        f"/staff/cases/{case.pk}/second/", {"qa-outcome": code, "qa-notes": notes}, follow=True
    )
    return response.content.decode()


def decide(client: Client, case: Case, code: str, notes: str = "") -> str:
    response = client.post(
        f"/staff/cases/{case.pk}/decide/", {"qa-outcome": code, "qa-notes": notes}, follow=True
    )
    return response.content.decode()


def test_the_qa_queue_offers_the_case_to_every_analyst_of_the_portal_but_the_first(
    sampled: Case, alice: Analyst, carol: Analyst, dora: Analyst, bob: Analyst
) -> None:
    page = signed_in(carol).get("/staff/qa/second/").content.decode()
    assert f"Second assessment of case #{sampled.pk}" in page
    assert list(second_assessment_queue(dora.user)) == [sampled], "seniors second-assess too"
    assert list(second_assessment_queue(alice.user)) == []
    page = signed_in(alice).get("/staff/qa/second/").content.decode()
    assert "No case waits for a second assessment by you." in page
    assert list(second_assessment_queue(bob.user)) == [], "another portal's analyst"
    assert f"#{sampled.pk}<" not in signed_in(alice).get("/staff/").content.decode()


def test_the_second_assessor_does_not_see_the_first_assessment(
    sampled: Case, carol: Analyst, dora: Analyst
) -> None:
    for viewer in (carol, dora):
        page = signed_in(viewer).get(f"/staff/cases/{sampled.pk}/").content.decode()
        assert 'data-testid="qa-form"' in page and "Record second assessment" in page
        assert "Earlier assessments of this case are hidden" in page
        assert "first view: seen on a forum" not in page
        assert "alice" not in page, "not even who made it"
        assert 'id="history-heading"' not in page
        status = page.split('data-testid="case-status">')[1].split("</td>")[0]
        assert status == "Awaiting QA", "no category beside the status"


def test_the_first_assessor_sees_their_assessment_waiting(sampled: Case, alice: Analyst) -> None:
    page = signed_in(alice).get(f"/staff/cases/{sampled.pk}/").content.decode()
    assert "Your assessment waits for a second assessment by another analyst" in page
    assert 'data-testid="qa-form"' not in page
    assert "Assessment · <bdi>alice</bdi> · Category B" in page, "she sees her own"


def test_agreement_is_acted_on_as_a_qa_decision(sampled: Case, carol: Analyst) -> None:
    assert not UrlListEntry.objects.exists()
    page = second(signed_in(carol), sampled, "B", notes="second view")
    assert f"Case {sampled.pk}: the second assessment agrees; the result is acted on." in page
    case = refreshed(sampled)
    assert (case.status, case.category) == (CaseStatus.CONFIRMED, "B")
    assert UrlListEntry.objects.get().url == "http://checked.example/"
    review = QaReview.objects.get()
    assert review.agreed is True and review.settled_at is not None
    assert review.second is not None and review.second.purpose == Purpose.SECOND
    made = AuditEvent.objects.get(action="assessment.second_assessment_made")
    assert made.actor == staff_actor(carol.user) and made.data["agreed"] is True
    settled = AuditEvent.objects.filter(action="outcomes.case_settled").latest("pk")
    assert settled.data["source"] == "qa_decision" and settled.data["url_list"] == "put"


def test_agreeing_that_it_is_not_criminal_leaves_the_list_alone(
    alice: Analyst, carol: Analyst, tn: Portal
) -> None:
    check_every_assessment(tn)
    case = report(tn, "http://harmless.example/")
    assess(case, alice, "not_criminal")
    second(signed_in(carol), case, "not_criminal")
    assert refreshed(case).status == CaseStatus.NOT_CONFIRMED
    assert not UrlListEntry.objects.exists()


def test_another_category_is_a_disagreement_that_waits_for_a_senior(
    sampled: Case, carol: Analyst, dora: Analyst
) -> None:
    page = second(signed_in(carol), sampled, "C")
    assert f"Case {sampled.pk}: the second assessment differs; a senior analyst decides." in page
    case = refreshed(sampled)
    assert case.status == CaseStatus.AWAITING_QA and not UrlListEntry.objects.exists()
    review = QaReview.objects.get()
    assert review.agreed is False and review.settled_at is None
    assert list(disagreement_queue(dora.user)) == [review]
    page = signed_in(dora).get("/staff/qa/senior/").content.decode()
    assert f"Decide case #{sampled.pk}" in page
    assert list(second_assessment_queue(dora.user)) == [], "no longer waits for a second"


def test_the_senior_sees_both_views_decides_and_all_three_are_kept(
    sampled: Case, alice: Analyst, carol: Analyst, dora: Analyst
) -> None:
    second(signed_in(carol), sampled, "C", notes="second view: one image only")
    client = signed_in(dora)
    page = client.get(f"/staff/cases/{sampled.pk}/").content.decode()
    panel = page.split('data-testid="qa-panel"')[1]
    assert "alice" in panel and "carol" in panel
    assert "first view: seen on a forum" in panel and "second view: one image only" in panel
    assert "Category B" in panel and "Category C" in panel and "Record decision" in panel
    page = decide(client, sampled, "C", notes="the image is category C")
    assert f"Case {sampled.pk}: decided." in page
    case = refreshed(sampled)
    assert (case.status, case.category) == (CaseStatus.CONFIRMED, "C")
    assert UrlListEntry.objects.get().category == "C"
    review = QaReview.objects.get()
    assert review.decision is not None and review.decision.purpose == Purpose.SENIOR
    assert review.decision.analyst == dora.user and review.settled_at is not None
    decided = AuditEvent.objects.get(action="assessment.disagreement_decided")
    assert decided.data["sided_with"] == "second" and decided.data["outcome"] == "C"
    settled = AuditEvent.objects.filter(action="outcomes.case_settled").latest("pk")
    assert settled.data["source"] == "qa_decision"
    # Afterwards every analyst of the case sees the three views on its page.
    page = signed_in(alice).get(f"/staff/cases/{sampled.pk}/").content.decode()
    kept = page.split('data-testid="qa-review"')[1]
    for text in ["alice", "carol", "dora", "first view", "second view", "the image is category C"]:
        assert text in kept
    assert "The two assessments disagreed; a senior analyst decided." in page


def test_a_senior_may_decide_neither_way(sampled: Case, carol: Analyst, dora: Analyst) -> None:
    second(signed_in(carol), sampled, "C")
    decide(signed_in(dora), sampled, "not_criminal")
    assert refreshed(sampled).status == CaseStatus.NOT_CONFIRMED
    assert not UrlListEntry.objects.exists()
    decided = AuditEvent.objects.get(action="assessment.disagreement_decided")
    assert decided.data["sided_with"] == "neither"


def test_the_first_assessor_cannot_make_the_second_assessment(
    sampled: Case, alice: Analyst
) -> None:
    page = second(signed_in(alice), sampled, "B")
    assert "You made the first assessment of this case; another analyst makes the second." in page
    assert QaReview.objects.get().second is None
    assert refreshed(sampled).status == CaseStatus.AWAITING_QA


def test_a_second_assessment_is_recorded_once(sampled: Case, carol: Analyst, tn: Portal) -> None:
    erin = staff("erin", ["tn"])
    second(signed_in(carol), sampled, "C")
    page = second(signed_in(erin), sampled, "B")
    assert "This case is not waiting for a second assessment." not in page
    assert "The second assessment of this case has already been recorded." in page
    assert QaReview.objects.get().second.analyst == carol.user  # type: ignore[union-attr]


def test_an_analyst_cannot_decide_a_disagreement(sampled: Case, carol: Analyst, tn: Portal) -> None:
    second(signed_in(carol), sampled, "C")
    erin = staff("erin", ["tn"])
    page = decide(signed_in(erin), sampled, "C")
    assert "Only a senior analyst of portal TN decides a disagreement." in page
    assert (
        "Record decision" not in signed_in(erin).get(f"/staff/cases/{sampled.pk}/").content.decode()
    )
    assert QaReview.objects.get().decision is None
    assert refreshed(sampled).status == CaseStatus.AWAITING_QA
    assert signed_in(erin).get("/staff/qa/senior/").status_code == 403


def test_a_senior_who_made_one_of_the_two_assessments_cannot_decide(
    sampled: Case, tn: Portal, dora: Analyst
) -> None:
    frank = senior("frank", ["tn"])
    second(signed_in(frank), sampled, "C")
    page = decide(signed_in(frank), sampled, "C")
    assert "You made one of the two assessments; another senior analyst decides." in page
    assert list(disagreement_queue(frank.user)) == []
    assert [review.case for review in disagreement_queue(dora.user)] == [sampled]


def test_another_portals_senior_gets_not_found(sampled: Case, carol: Analyst, ma: Portal) -> None:
    second(signed_in(carol), sampled, "C")
    moroccan = signed_in(senior("mona", ["ma"]))
    assert moroccan.get(f"/staff/cases/{sampled.pk}/").status_code == 404
    response = moroccan.post(f"/staff/cases/{sampled.pk}/decide/", {"qa-outcome": "C"})
    assert response.status_code == 404
    assert (
        moroccan.post(f"/staff/cases/{sampled.pk}/second/", {"qa-outcome": "C"}).status_code == 404
    )
    assert QaReview.objects.get().decision is None


def test_a_second_assessment_without_an_outcome_says_what_to_choose(
    sampled: Case, carol: Analyst
) -> None:
    response = signed_in(carol).post(f"/staff/cases/{sampled.pk}/second/", {"qa-notes": "?"})
    assert response.status_code == 400
    assert "Choose an outcome." in response.content.decode()
    assert QaReview.objects.get().second is None


def test_duplicates_agree_only_when_they_name_the_same_case(
    alice: Analyst, carol: Analyst, tn: Portal
) -> None:
    check_every_assessment(tn)
    original = report(tn, "http://original.example/")
    other = report(tn, "http://other.example/")
    copy = report(tn, "http://copy.example/")
    assess(copy, alice, "duplicate", duplicate_of=original)
    review = actions.record_second_assessment(
        case=copy, analyst=carol.user, outcome=outcome("duplicate"), duplicate_of=other
    )
    assert review.agreed is False
    mirror = report(tn, "http://mirror.example/")
    assess(mirror, alice, "duplicate", duplicate_of=original)
    review = actions.record_second_assessment(
        case=mirror, analyst=carol.user, outcome=outcome("duplicate"), duplicate_of=original
    )
    assert review.agreed is True
    assert refreshed(mirror).status == CaseStatus.CLOSED
    assert refreshed(mirror).duplicate_of_id == original.pk


def test_viewing_a_case_is_audited_with_the_viewer_and_the_case(
    sampled: Case, carol: Analyst
) -> None:
    client = signed_in(carol)
    client.get(f"/staff/cases/{sampled.pk}/")
    client.get(f"/staff/cases/{sampled.pk}/")
    viewed = AuditEvent.objects.filter(action="assessment.case_viewed")
    assert viewed.count() == 2
    event = viewed.first()
    assert event is not None
    assert (event.actor, event.target_type, event.target_id, event.portal) == (
        staff_actor(carol.user),
        "cases.case",
        str(sampled.pk),
        "tn",
    )
    assert client.get("/staff/cases/999999/").status_code == 404
    assert viewed.count() == 2, "a case one may not see is not viewed"
