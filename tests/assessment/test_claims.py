"""Claims are leases: "next case" takes the top of the queue, a lease kept while the case is
open, and an expired one gives the case back to the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from hotline.assessment import actions
from hotline.assessment.models import CLAIM_TIMEOUT, Claim
from hotline.assessment.tasks import return_expired_leases
from hotline.audit.actions import SYSTEM
from hotline.audit.models import AuditEvent
from hotline.cases.actions import open_or_attach_cases
from hotline.cases.models import Case, CaseStatus
from hotline.core.periodic import PERIODIC_JOBS
from hotline.portals.models import Portal
from tests.assessment.test_queue import outcome, report
from tests.conftest import Analyst, make_analyst, sign_in


def expire(case: Case) -> None:
    """As if the analyst holding `case` had closed the page CLAIM_TIMEOUT ago."""
    Claim.objects.filter(case=case).update(lease_until=timezone.now() - timedelta(seconds=1))


def test_next_case_claims_the_top_of_the_queue_and_opens_it(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    (older,) = report(tn, "http://older.example/")
    report(tn, "http://newer.example/")
    (verified,) = report(tn, "http://verified.example/", verified=True)
    before = timezone.now()
    response = alice_client.post("/staff/next/")
    assert response["Location"] == f"/staff/cases/{verified.pk}/"
    claim = Claim.objects.get()
    assert claim.case_id == verified.pk and claim.analyst == alice.user
    assert before + CLAIM_TIMEOUT <= claim.lease_until <= timezone.now() + CLAIM_TIMEOUT
    verified.refresh_from_db()
    assert verified.status == CaseStatus.IN_ASSESSMENT
    # Assessed: the next one opens, in queue order.
    response = alice_client.post(f"/staff/cases/{verified.pk}/", {"outcome": "not_criminal"})
    assert response["Location"] == f"/staff/cases/{older.pk}/"


def test_next_case_gives_back_the_case_already_held(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    (first,) = report(tn, "http://one.example/")
    report(tn, "http://two.example/")
    alice_client.post("/staff/next/")
    expire(first)  # held, even with its lease run out: nobody else took it
    response = alice_client.post("/staff/next/")
    assert response["Location"] == f"/staff/cases/{first.pk}/"
    claim = Claim.objects.get()
    assert claim.case_id == first.pk and not claim.is_stale()


def test_next_case_with_nothing_waiting_says_so(alice_client: Client, tn: Portal) -> None:
    response = alice_client.post("/staff/next/", follow=True)
    assert response.redirect_chain == [("/staff/", 302)]
    assert "No case is waiting for you now." in response.content.decode()


def test_next_case_skips_a_case_another_analyst_holds(
    client: Client, alice: Analyst, tn: Portal
) -> None:
    (first,) = report(tn, "http://one.example/")
    (second,) = report(tn, "http://two.example/")
    actions.claim_case(case=first, analyst=alice.user)
    carol = make_analyst("carol", ["tn"])
    sign_in(client, carol)
    assert client.post("/staff/next/")["Location"] == f"/staff/cases/{second.pk}/"


def test_next_case_can_be_asked_of_one_portal(
    client: Client, tn: Portal, ma: Portal, bob: Analyst
) -> None:
    (tunisian,) = report(tn, "http://tunisia.example/")
    (moroccan,) = report(ma, "http://morocco.example/")
    dora = make_analyst("dora", ["tn", "ma"])
    sign_in(client, dora)
    assert client.post("/staff/next/", {"portal": "ma"})["Location"] == (
        f"/staff/cases/{moroccan.pk}/"
    )
    actions.release_case(case=moroccan, analyst=dora.user)
    # Unasked, the older Tunisian case comes first.
    assert client.post("/staff/next/")["Location"] == f"/staff/cases/{tunisian.pk}/"


def test_next_case_never_hands_out_another_portals_case(
    client: Client, alice: Analyst, bob: Analyst, tn: Portal, ma: Portal
) -> None:
    report(tn, "http://tunisia.example/")
    sign_in(client, bob)
    response = client.post("/staff/next/", follow=True)
    assert "No case is waiting for you now." in response.content.decode()
    response = client.post("/staff/next/", {"portal": "tn"})
    assert response.status_code == 400
    assert "You do not assess reports for the portal “tn”" in response.content.decode()
    assert not Claim.objects.exists()


def test_an_expired_lease_is_claimable_at_once(alice: Analyst, tn: Portal) -> None:
    (first,) = report(tn, "http://one.example/")
    (second,) = report(tn, "http://two.example/")
    actions.claim_case(case=first, analyst=alice.user)
    expire(first)
    carol = make_analyst("carol", ["tn"])
    # The minutely job has not run yet: "next case" returns the lease itself, and takes the
    # case, which is first in the queue again.
    claim = actions.claim_next_case(analyst=carol.user)
    assert claim is not None and claim.case_id == first.pk and claim.analyst == carol.user
    expired = AuditEvent.objects.get(action="assessment.lease_expired")
    assert expired.actor == SYSTEM and expired.data["analyst"] == alice.user.pk
    # So is a direct claim of a case whose lease has run out.
    actions.claim_case(case=second, analyst=alice.user)
    expire(second)
    assert actions.claim_case(case=second, analyst=carol.user).analyst == carol.user
    taken = AuditEvent.objects.filter(action="assessment.case_claimed").order_by("pk").last()
    assert taken is not None and taken.data["took_over_from"] == alice.user.pk


def test_alice_cannot_assess_a_case_whose_lease_was_returned(alice: Analyst, tn: Portal) -> None:
    (case,) = report(tn, "http://one.example/")
    actions.claim_case(case=case, analyst=alice.user)
    expire(case)
    assert actions.return_expired_claims() == 1
    case.refresh_from_db()
    assert case.status == CaseStatus.NEW
    with pytest.raises(actions.AssessmentRefused, match="Claim the case before assessing it"):
        actions.record_assessment(case=case, analyst=alice.user, outcome=outcome("A"))


def test_the_minutely_job_returns_expired_leases_and_keeps_live_ones(
    alice: Analyst, tn: Portal
) -> None:
    job = next(job for job in PERIODIC_JOBS if job.task.endswith("return_expired_leases"))
    assert job.every == timedelta(minutes=1)
    gone, kept = report(tn, "http://gone.example/", "http://kept.example/")
    carol = make_analyst("carol", ["tn"])
    actions.claim_case(case=gone, analyst=alice.user)
    actions.claim_case(case=kept, analyst=carol.user)
    expire(gone)
    assert return_expired_leases.call() == {"returned": 1}
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert gone.status == CaseStatus.NEW and kept.status == CaseStatus.IN_ASSESSMENT
    assert list(Claim.objects.values_list("case_id", flat=True)) == [kept.pk]
    moved = AuditEvent.objects.filter(action="cases.status_changed", target_id=str(gone.pk))
    assert moved.last().data["reason"] == "lease expired"  # type: ignore[union-attr]
    assert return_expired_leases.call() == {"returned": 0}


def test_the_case_page_and_its_heartbeat_renew_the_lease(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    (case,) = report(tn, "http://one.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    expire(case)
    page = alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    assert "Yours until" in page and "UTC" in page and "hotline/staff/lease.js" in page
    assert not Claim.objects.get().is_stale()
    expire(case)
    response = alice_client.post(f"/staff/cases/{case.pk}/lease/")
    assert response.status_code == 200 and response.json()["held"] is True
    assert not Claim.objects.get().is_stale()
    assert actions.return_expired_claims() == 0


def test_the_heartbeat_says_when_the_claim_has_ended(
    alice_client: Client, alice: Analyst, tn: Portal
) -> None:
    (case,) = report(tn, "http://one.example/")
    alice_client.post(f"/staff/cases/{case.pk}/claim/")
    expire(case)
    carol = make_analyst("carol", ["tn"])
    actions.claim_next_case(analyst=carol.user)
    response = alice_client.post(f"/staff/cases/{case.pk}/lease/")
    assert response.status_code == 409
    assert response.json() == {
        "held": False,
        "text": "Your claim on this case has ended and it went back to the queue. Claim it "
        "again before recording an assessment.",
    }
    assert Claim.objects.get().analyst == carol.user  # carol's claim is not renewed by alice


def test_renewing_writes_no_audit_event(alice: Analyst, tn: Portal) -> None:
    (case,) = report(tn, "http://one.example/")
    actions.claim_case(case=case, analyst=alice.user)
    events = AuditEvent.objects.count()
    assert actions.renew_lease(case=case, analyst=alice.user) is not None
    assert AuditEvent.objects.count() == events


def test_an_analyst_works_through_the_queue_one_case_at_a_time(alice: Analyst, tn: Portal) -> None:
    cases = [
        case
        for case, _ in open_or_attach_cases(
            urls=[(f"http://many.example/{n}", tn, False) for n in range(5)], actor=SYSTEM
        )
    ]
    seen = []
    while (claim := actions.claim_next_case(analyst=alice.user)) is not None:
        seen.append(claim.case_id)
        actions.record_assessment(case=claim.case, analyst=alice.user, outcome=outcome("C"))
    assert seen == [case.pk for case in cases]
    assert not Claim.objects.exists()


def test_the_case_held_comes_back_however_many_leases_of_others_have_run_out(
    alice: Analyst, tn: Portal
) -> None:
    opened = open_or_attach_cases(
        urls=[(f"http://left.example/{n}", tn, False) for n in range(12)], actor=SYSTEM
    )
    carol = make_analyst("carol", ["tn"])
    for case, _ in opened[:11]:
        actions.claim_case(case=case, analyst=carol.user)
    Claim.objects.update(lease_until=timezone.now() - timedelta(seconds=1))  # carol went home
    mine = actions.claim_case(case=opened[11][0], analyst=alice.user)
    claim = actions.claim_next_case(analyst=alice.user)
    assert claim is not None and claim.pk == mine.pk
    assert Claim.objects.filter(analyst=alice.user).count() == 1
