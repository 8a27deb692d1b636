"""The analyst's queue: one case per URL, claimed by one analyst, assessed, gone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hotline.assessment import actions
from hotline.assessment.models import Assessment, Claim, SchemeOutcome
from hotline.assessment.queries import queue_for
from hotline.audit.models import AuditEvent
from hotline.cases.models import Case, CaseStatus
from hotline.intake.actions import file_report
from hotline.portals.models import Portal
from hotline.urllist.models import UrlListEntry
from tests.conftest import Analyst, make_analyst, run_worker, sign_in


def report(portal: Portal, *urls: str, verified: bool = False) -> list[Case]:
    filed = file_report(
        portal=portal, language="fr", urls=[(url, url) for url in urls], verified=verified
    )
    run_worker()
    cases = [item.case for item in filed.report.items.order_by("position")]
    assert all(cases), "the worker attached every item"
    return [case for case in cases if case is not None]


def outcome(code: str) -> SchemeOutcome:
    """An outcome of the default scheme (UK Sentencing Council categories)."""
    return SchemeOutcome.objects.get(scheme__is_default=True, code=code)


def test_empty_queue_says_so(alice_client: Client) -> None:
    assert "The queue is empty" in alice_client.get("/staff/").content.decode()


def test_queue_shows_one_case_per_reported_url(alice_client: Client, tn: Portal) -> None:
    one, two = report(tn, "http://one.example/", "http://two.example/")
    page = alice_client.get("/staff/").content.decode()
    assert f"Assess case #{one.pk}" in page and f"Assess case #{two.pk}" in page
    assert "2 cases awaiting assessment" in page


def test_queue_shows_only_the_analysts_portals(
    client: Client, alice: Analyst, bob: Analyst, tn: Portal, ma: Portal
) -> None:
    (tn_case,) = report(tn, "http://tunisia.example/")
    (ma_case,) = report(ma, "http://morocco.example/")
    sign_in(client, bob)
    page = client.get("/staff/").content.decode()
    assert f"#{ma_case.pk}" in page and f"#{tn_case.pk}" not in page
    assert client.get(f"/staff/cases/{tn_case.pk}/").status_code == 404
    assert client.post(f"/staff/cases/{tn_case.pk}/claim/").status_code == 404


def test_a_url_reported_on_two_portals_is_in_both_queues(
    client: Client, alice: Analyst, bob: Analyst, tn: Portal, ma: Portal
) -> None:
    (case,) = report(tn, "http://both.example/")
    (again,) = report(ma, "http://both.example/")
    assert again.pk == case.pk and case.portal == tn
    sign_in(client, bob)
    assert f"Assess case #{case.pk}" in client.get("/staff/").content.decode()
    assert client.get(f"/staff/cases/{case.pk}/").status_code == 200
    assert actions.claim_case(case=case, analyst=bob.user).analyst == bob.user


def test_queue_lists_a_case_once_however_many_reports_it_has(
    alice_client: Client, tn: Portal
) -> None:
    for _ in range(3):
        (case,) = report(tn, "http://often.example/")
    page = alice_client.get("/staff/").content.decode()
    assert page.count(f"Assess case #{case.pk}") == 1
    assert "1 case awaiting assessment" in page


def test_cases_with_a_verified_report_come_first_then_priority_then_age(
    alice: Analyst, tn: Portal
) -> None:
    (old_junk,) = report(tn, "http://old-junk.example/")
    for _ in range(5):  # reported again and again: a high priority, but never verified
        report(tn, "http://popular-junk.example/")
    (popular_junk,) = report(tn, "http://popular-junk.example/")
    (real,) = report(tn, "http://real.example/", verified=True)
    (newer_real,) = report(tn, "http://newer-real.example/", verified=True)
    (later_verified,) = report(tn, "http://old-junk.example/", verified=True)
    assert later_verified.pk == old_junk.pk  # a verified report of it moved it up
    queue = [case.pk for case in queue_for(alice.user)]
    assert queue == [old_junk.pk, real.pk, newer_real.pk, popular_junk.pk]


def test_claim_assess_and_the_case_leaves_the_queue(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    case, other = report(tn, "http://one.example/", "http://two.example/")
    response = alice_client.post(f"/staff/cases/{case.pk}/claim/")
    assert response["Location"] == f"/staff/cases/{case.pk}/"
    assert "http://one.example/" in alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    response = alice_client.post(f"/staff/cases/{case.pk}/", {"outcome": "B"})
    # Saved, and on to the next case at once.
    assert response["Location"] == f"/staff/cases/{other.pk}/"
    page = alice_client.get(response["Location"]).content.decode()
    assert f"Case {case.pk} assessed: Category B." in page
    assert "http://two.example/" in page and "Record assessment" in page
    page = alice_client.get("/staff/").content.decode()
    assert f"#{case.pk}<" not in page and f"You are assessing case #{other.pk}" in page
    case.refresh_from_db()
    assert case.status == CaseStatus.CONFIRMED and case.category == "B"
    entry = UrlListEntry.objects.get(case_id=case.pk)
    assert entry.url == "http://one.example/" and entry.category == "B"
    assert list(Claim.objects.values_list("case_id", flat=True)) == [other.pk]
    actions_logged = list(AuditEvent.objects.values_list("action", flat=True))
    for action in [
        "assessment.case_claimed",
        "assessment.assessment_made",
        "cases.status_changed",
        "outcomes.case_settled",
        "urllist.entry_added",
    ]:
        assert action in actions_logged


def test_not_csam_does_not_reach_the_url_list(alice_client: Client, tn: Portal) -> None:
    (case,) = report(tn, "http://benign.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    alice_client.post(f"/staff/cases/{case.pk}/", {"outcome": "not_criminal"})
    case.refresh_from_db()
    assert case.status == CaseStatus.NOT_CONFIRMED and case.category == ""
    assert not UrlListEntry.objects.exists()


def test_assessment_without_a_decision_says_what_to_choose(
    alice_client: Client, tn: Portal
) -> None:
    (case,) = report(tn, "http://one.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    response = alice_client.post(f"/staff/cases/{case.pk}/", {"outcome": "Z"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Assessment.objects.exists()


def test_assessing_without_a_claim_is_refused(alice_client: Client, tn: Portal) -> None:
    (case,) = report(tn, "http://one.example/")
    response = alice_client.post(f"/staff/cases/{case.pk}/", {"outcome": "A"}, follow=True)
    assert "Claim the case before assessing it." in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_claimed_case_is_hidden_from_other_analysts(
    client: Client, alice: Analyst, tn: Portal
) -> None:
    (case,) = report(tn, "http://one.example/")
    actions.claim_case(case=case, analyst=alice.user)
    carol = make_analyst("carol", ["tn"])
    sign_in(client, carol)
    assert f"#{case.pk}<" not in client.get("/staff/").content.decode()
    response = client.post(f"/staff/cases/{case.pk}/claim/", follow=True)
    assert "Another analyst is assessing this case." in response.content.decode()


def test_a_stale_claim_can_be_taken_over(alice: Analyst, tn: Portal) -> None:
    (case,) = report(tn, "http://one.example/")
    claim = actions.claim_case(case=case, analyst=alice.user)
    Claim.objects.filter(pk=claim.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    carol = make_analyst("carol", ["tn"])
    assert actions.claim_case(case=case, analyst=carol.user).analyst == carol.user


def test_released_case_returns_to_the_queue(alice_client: Client, tn: Portal) -> None:
    (case,) = report(tn, "http://one.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    alice_client.post(f"/staff/cases/{case.pk}/release/")
    assert not Claim.objects.exists()
    assert f"Assess case #{case.pk}" in alice_client.get("/staff/").content.decode()


def test_assessed_case_cannot_be_assessed_again(alice: Analyst, tn: Portal) -> None:
    (case,) = report(tn, "http://one.example/")
    actions.claim_case(case=case, analyst=alice.user)
    actions.record_assessment(case=case, analyst=alice.user, outcome=outcome("A"))
    with pytest.raises(actions.AssessmentRefused, match="already been assessed"):
        actions.claim_case(case=case, analyst=alice.user)


def test_a_duplicate_must_name_another_case_the_analyst_can_see(
    alice_client: Client, alice: Analyst, tn: Portal, ma: Portal
) -> None:
    case, original = report(tn, "http://one.example/", "http://two.example/")
    (elsewhere,) = report(ma, "http://three.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    response = alice_client.post(f"/staff/cases/{case.pk}/", {"outcome": "duplicate"})
    assert response.status_code == 400
    assert "Give the number of the case this duplicates." in response.content.decode()
    response = alice_client.post(
        f"/staff/cases/{case.pk}/", {"outcome": "duplicate", "duplicate_of": elsewhere.pk}
    )
    assert response.status_code == 400
    assert f"There is no case {elsewhere.pk} you can see." in response.content.decode()
    assert not Assessment.objects.exists()
    response = alice_client.post(
        f"/staff/cases/{case.pk}/", {"outcome": "duplicate", "duplicate_of": original.pk}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.duplicate_of_id == original.pk
    assert not UrlListEntry.objects.exists()


def test_the_facts_are_recorded_with_the_outcome(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    (case,) = report(tn, "http://one.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    response = alice_client.post(
        f"/staff/cases/{case.pk}/",
        {
            "outcome": "NPI",
            "interpol_baseline": "no",
            "youngest_age": "11-13",
            "sex_shown": "both",
            "image_count": "12",
            "video_count": "0",
            "self_generated": "yes",
            "site_type": "forum",
            "commercial": "no",
            "hosting_country": "nl",
            "notes": "synthetic test case",
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert (assessment.outcome_code, assessment.outcome_kind) == ("NPI", "criminal")
    assert assessment.interpol_baseline is False and assessment.self_generated is True
    assert assessment.youngest_age == "11-13" and assessment.sex_shown == "both"
    assert (assessment.image_count, assessment.video_count) == (12, 0)
    assert assessment.site_type == "forum" and assessment.commercial is False
    assert assessment.hosting_country == "NL"
    assert UrlListEntry.objects.get().category == "NPI"
    event = AuditEvent.objects.get(action="assessment.assessment_made")
    assert event.data["youngest_age"] == "11-13" and event.data["outcome"] == "NPI"


def test_bad_facts_are_named_and_nothing_is_recorded(alice_client: Client, tn: Portal) -> None:
    (case,) = report(tn, "http://one.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    response = alice_client.post(
        f"/staff/cases/{case.pk}/",
        {"outcome": "A", "hosting_country": "Netherlands", "image_count": "-1"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give the two-letter country code" in body
    assert "greater than or equal to 0" in body
    assert not Assessment.objects.exists()


def test_the_case_page_shows_every_report_and_why_the_case_is_here(
    alice_client: Client, tn: Portal, ma: Portal
) -> None:
    filed = file_report(
        portal=ma,
        language="ar",
        urls=[("http://one.example/", "http://one.example/")],
        content_seen=["videos"],
        found_on="social",
        description="رأيت هذا في مجموعة",
    )
    assert filed.report.pk
    (case,) = report(tn, "http://one.example/")
    page = alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "رأيت هذا في مجموعة" in page
    assert "Videos" in page and "Social media" in page
    assert "TN, MA" in page or "MA, TN" in page
    assert "2 separate reports of this address." in page
    assert "Waiting for 0 hours." in page


def test_known_url_reported_again_skips_the_queue(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    (case,) = report(tn, "http://one.example/")
    actions.claim_case(case=case, analyst=alice.user)
    actions.record_assessment(case=case, analyst=alice.user, outcome=outcome("C"))
    (again,) = report(tn, "http://one.example/")
    assert again.pk == case.pk and again.status == CaseStatus.CONFIRMED
    assert "The queue is empty" in alice_client.get("/staff/").content.decode()


def test_staff_post_without_csrf_is_refused(alice: Analyst, tn: Portal) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice.user)
    (case,) = report(tn, "http://one.example/")
    assert client.post(f"/staff/cases/{case.pk}/claim/").status_code == 403
