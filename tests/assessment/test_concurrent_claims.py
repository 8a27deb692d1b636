"""Analysts pressing "next case" at the same moment, on PostgreSQL: no case is ever handed to
two of them, and none is lost, also while leases run out and are returned around them."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from hotline.accounts.actions import create_staff_user, grant_portal_roles
from hotline.accounts.models import Role, StaffUser
from hotline.assessment.actions import claim_next_case, record_assessment, return_expired_claims
from hotline.assessment.models import Assessment, Claim, SchemeOutcome
from hotline.audit.actions import SYSTEM
from hotline.audit.models import AuditEvent
from hotline.cases.actions import open_or_attach_cases
from hotline.cases.models import Case, CaseStatus
from hotline.portals.models import Portal

CLAIMERS = 4
CASES = 200

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and SKIP LOCKED are PostgreSQL's; test_sqlite_claims covers SQLite")


def open_cases(portal: Portal, count: int) -> list[int]:
    opened = open_or_attach_cases(
        urls=[(f"http://queue-{n}.example/", portal, n % 3 == 0) for n in range(count)],
        actor=SYSTEM,
    )
    return [case.pk for case, _ in opened]


def analyst(name: str) -> StaffUser:
    user = create_staff_user(username=name, password="not used: actions only")
    grant_portal_roles(user=user, portal_codes=["tn"], role=Role.ANALYST)
    return user


def run_together(works: list[Callable[[], None]]) -> None:
    """Start every `work` in its own thread (and database connection) at the same instant."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(works))

    def run(work: Callable[[], None]) -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a claimer is stuck"
    assert errors == []


def test_four_analysts_claim_every_case_exactly_once(tn: Portal) -> None:
    case_ids = open_cases(tn, CASES)
    not_criminal = SchemeOutcome.objects.get(scheme__is_default=True, code="not_criminal")
    analysts = [analyst(f"claimer{n}") for n in range(CLAIMERS)]
    claimed: dict[int, list[int]] = {user.pk: [] for user in analysts}

    def claimer(user: StaffUser) -> Callable[[], None]:
        def work() -> None:
            while (claim := claim_next_case(analyst=user)) is not None:
                claimed[user.pk].append(claim.case_id)
                # Only the holder of the claim can record this: a case handed to two analysts
                # would fail here for one of them.
                record_assessment(case=claim.case, analyst=user, outcome=not_criminal)

        return work

    run_together([claimer(user) for user in analysts])
    everything = [case_id for ids in claimed.values() for case_id in ids]
    assert sorted(everything) == sorted(case_ids)  # each exactly once, none lost
    assert sum(1 for ids in claimed.values() if ids) >= 2, "the claimers worked side by side"
    places = {
        pk: (not verified, queue_at, pk)
        for pk, verified, queue_at in Case.objects.values_list(
            "pk", "has_verified_report", "queue_at"
        )
    }
    for ids in claimed.values():
        # Each analyst took the queue in its order (verified first, then by queue time).
        assert [places[pk] for pk in ids] == sorted(places[pk] for pk in ids)
    assert Assessment.objects.count() == CASES
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.NOT_CONFIRMED}
    assert not Claim.objects.exists()


def test_with_leases_running_out_every_case_is_still_assessed_exactly_once(tn: Portal) -> None:
    case_ids = open_cases(tn, CASES)
    not_criminal = SchemeOutcome.objects.get(scheme__is_default=True, code="not_criminal")
    # Each claimer walks away from every 7th case it claims (its lease then runs out), and
    # comes back as another analyst; a sweeper returns run-out leases as the worker would.
    identities = [[analyst(f"claimer{n}-{k}") for k in range(3)] for n in range(CLAIMERS)]
    claims: list[tuple[int, int]] = []
    abandoned: list[int] = []
    claiming = threading.Event()
    claiming.set()
    finished = Counter[int]()

    def claimer(users: list[StaffUser]) -> Callable[[], None]:
        def work() -> None:
            users_left = list(users)
            user = users_left.pop(0)
            count = 0
            while (claim := claim_next_case(analyst=user)) is not None:
                claims.append((claim.case_id, user.pk))
                count += 1
                if count % 7 == 0 and users_left:
                    abandoned.append(claim.case_id)
                    Claim.objects.filter(pk=claim.pk).update(
                        lease_until=timezone.now() - timedelta(seconds=1)
                    )
                    user = users_left.pop(0)
                    continue
                record_assessment(case=claim.case, analyst=user, outcome=not_criminal)
                finished[claim.case_id] += 1

        return work

    def sweeper() -> None:
        while claiming.is_set():
            return_expired_claims()

    def claimers_then_stop() -> None:
        try:
            run_together([claimer(users) for users in identities])
        finally:
            claiming.clear()

    run_together([claimers_then_stop, sweeper])
    # What the claimers left behind (a lease that ran out after the queue emptied for them)
    # is in the queue again for the next analyst.
    return_expired_claims()
    closer = analyst("closer")
    while (claim := claim_next_case(analyst=closer)) is not None:
        record_assessment(case=claim.case, analyst=closer, outcome=not_criminal)
        finished[claim.case_id] += 1

    assert abandoned, "some leases ran out"
    assert sorted(finished) == sorted(case_ids) and set(finished.values()) == {1}
    times_claimed = Counter(case_id for case_id, _ in claims)
    for case_id in case_ids:
        # Claimed once, plus once more for each time its lease ran out.
        assert times_claimed[case_id] <= 1 + abandoned.count(case_id)
    assert AuditEvent.objects.filter(action="assessment.lease_expired").count() == len(abandoned)
    assert Assessment.objects.count() == CASES
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.NOT_CONFIRMED}
    assert not Claim.objects.exists()
