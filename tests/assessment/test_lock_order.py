"""Reports arriving for a case while analysts work on it never deadlock (PostgreSQL).

Audited actions share no lock (the audit log is sealed afterwards by its sequencer); each of
these locks one case row, and a report's items attach to their cases in one order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from hotline.assessment.actions import AssessmentRefused, claim_case, release_case
from hotline.audit.chain import verify_chain
from hotline.audit.sequencer import seal_pending_events
from hotline.cases.models import Case
from hotline.core.canonical import canonicalise_url
from hotline.intake.actions import attach_report_to_cases, file_report
from hotline.portals.models import Portal
from tests.conftest import Analyst

URL = "http://lock-order.example/gallery"
OTHER = "http://lock-order.example/other"
ROUNDS = 25


@pytest.mark.django_db(transaction=True)
def test_reports_and_claims_on_one_case_at_once_do_not_deadlock(tn: Portal, alice: Analyst) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises whole write transactions; row locks matter on PostgreSQL")
    canonical = canonicalise_url(URL)
    first = file_report(portal=tn, language="fr", urls=[(URL, canonical)])
    attach_report_to_cases(report_id=first.report.pk)
    case = Case.objects.get()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def reporter() -> None:
        for _ in range(ROUNDS):
            filed = file_report(portal=tn, language="fr", urls=[(URL, canonical), (OTHER, OTHER)])
            # What the report's task does after the commit.
            attach_report_to_cases(report_id=filed.report.pk)

    def analyst() -> None:
        for _ in range(ROUNDS):
            try:
                claim_case(case=case, analyst=alice.user)
            except AssessmentRefused:
                continue
            release_case(case=case, analyst=alice.user)

    def run(work: Callable[[], None]) -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(w,)) for w in (reporter, reporter, analyst, analyst)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Case.objects.get(canonical_url=canonical).report_count == 1 + 2 * ROUNDS
    seal_pending_events()
    assert verify_chain().intact
