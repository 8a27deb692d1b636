"""Confirming cases while reports of the same host's waiting cases attach never deadlocks
(PostgreSQL).

A confirmation raises the priority of its host's waiting cases and of their portals' queue
copies; attaching locks a batch's cases and then writes those copies. Both take the cases
first, in primary key order, and only then their copies.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from hotline.audit.actions import SYSTEM
from hotline.cases import priority
from hotline.cases.actions import open_or_attach_case, open_or_attach_cases
from hotline.cases.models import Case, CasePortal
from hotline.core.hashing import url_digest
from hotline.portals.models import Portal
from tests.conftest import resolve

HOSTS = [f"h{n}.lock-order.example" for n in range(6)]
WAITING = [f"http://{host}/waiting-{n}" for host in HOSTS for n in range(4)]
ROUNDS = 12


@pytest.mark.django_db(transaction=True)
def test_confirmations_and_attachments_on_one_host_at_once_do_not_deadlock(
    tn: Portal, ma: Portal
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises whole write transactions; row locks matter on PostgreSQL")
    # Waiting cases seen on both portals: each has two queue copies to keep in step.
    for portal in (tn, ma):
        open_or_attach_cases(urls=[(url, portal, False) for url in WAITING], actor=SYSTEM)
    in_digest_order = sorted(WAITING, key=url_digest)
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def attacher() -> None:
        for _ in range(ROUNDS):
            open_or_attach_cases(urls=[(url, tn, False) for url in in_digest_order], actor=SYSTEM)

    def confirmer() -> None:
        for n in range(ROUNDS):
            host = HOSTS[n % len(HOSTS)]
            case, _ = open_or_attach_case(
                canonical_url=f"http://{host}/bad-{n}", portal=tn, actor="s"
            )
            resolve(case, "A")

    def run(work: Callable[[], None]) -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,)) for w in (attacher, attacher, confirmer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    # Every confirmation counted on its host's waiting cases, and every copy kept in step.
    for case in Case.objects.filter(canonical_url__in=WAITING):
        confirmed = Case.objects.filter(host=case.host, status="confirmed").count()
        assert case.report_count == 2 + 2 * ROUNDS
        assert case.host_confirmed == confirmed
        assert case.queue_at == priority.queue_at(
            opened_at=case.opened_at, report_count=case.open_reports, host_confirmed=confirmed
        )
        copies = CasePortal.objects.filter(case=case)
        assert {(c.status, c.queue_at, c.has_verified_report) for c in copies} == {
            (case.status, case.queue_at, case.has_verified_report)
        }
