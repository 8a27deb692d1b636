"""Concurrent writers on PostgreSQL never wait for each other, and still make one chain."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from hotline.audit.actions import record_event
from hotline.audit.chain import verify_chain
from hotline.audit.models import AuditEvent
from hotline.audit.sequencer import seal_pending_events

WRITERS = 6
EVENTS_EACH = 15

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises whole write transactions; row locks matter on PostgreSQL")


def test_parallel_appends_while_the_sequencer_seals_keep_the_chain_whole() -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS + 1)
    writing = threading.Event()

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

    def sequencer() -> None:
        try:
            start.wait()
            while writing.is_set():
                seal_pending_events(batch=7)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    writing.set()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    sealer = threading.Thread(target=sequencer)
    for thread in [*threads, sealer]:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    writing.clear()
    sealer.join(timeout=60)
    seal_pending_events()
    assert not errors, errors
    assert AuditEvent.objects.count() == WRITERS * EVENTS_EACH
    report = verify_chain()
    assert report.intact, report.problem
    assert report.events_checked == WRITERS * EVENTS_EACH


@pytest.mark.alone  # timed: "not held up" is under a second
def test_an_open_transaction_with_an_event_does_not_hold_up_other_writers() -> None:
    # Before the sequencer, every append locked the chain head until its transaction ended:
    # one slow action stalled every write in the system.
    holding = threading.Event()
    release = threading.Event()

    def slow_action() -> None:
        try:
            with transaction.atomic():
                record_event(actor="system", action="test.slow")
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_action)
    slow.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        with transaction.atomic():
            record_event(actor="system", action="test.quick")
        assert time.monotonic() - started < 1.0
        # The sequencer seals what has committed and leaves the open transaction's event.
        assert seal_pending_events() == 1
    finally:
        release.set()
        slow.join(timeout=10)
    assert seal_pending_events() == 1
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.quick",
        "test.slow",
    ]
    assert verify_chain().intact
