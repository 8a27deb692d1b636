"""Concurrent writers on PostgreSQL still produce one unbroken chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from hotline.audit.actions import record_event
from hotline.audit.chain import verify_chain
from hotline.audit.models import AuditEvent

WRITERS = 6
EVENTS_EACH = 15


@pytest.mark.django_db(transaction=True)
def test_parallel_appends_keep_the_chain_whole() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite serialises whole write transactions; the row lock matters on PostgreSQL"
        )
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(EVENTS_EACH):
                with transaction.atomic():
                    record_event(actor="system", action="test.parallel", data={"writer": n, "i": i})
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert AuditEvent.objects.count() == WRITERS * EVENTS_EACH
    report = verify_chain()
    assert report.intact, report.problem
    assert report.events_checked == WRITERS * EVENTS_EACH
