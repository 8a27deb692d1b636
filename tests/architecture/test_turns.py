"""The suite's own turns (tests/turns.py): an `alone` test never shares the cores.

Each turn opens the lock files anew, so threads of this one process contend for them as the
processes of an xdist run do.
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.turns import turn


def hold(alone: bool, entered: threading.Event, leave: threading.Event) -> threading.Thread:
    def run() -> None:
        with turn(alone):
            entered.set()
            leave.wait(10)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_an_alone_test_waits_for_the_running_tests_and_holds_off_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", f"turns-{time.monotonic_ns()}")
    running, running_leaves = threading.Event(), threading.Event()
    alone, alone_leaves = threading.Event(), threading.Event()
    later, later_leaves = threading.Event(), threading.Event()
    threads = [hold(False, running, running_leaves)]
    assert running.wait(5)
    threads.append(hold(True, alone, alone_leaves))
    assert not alone.wait(0.3), "the alone test started beside a running test"
    # A test that comes after the alone test began waiting waits behind it.
    threads.append(hold(False, later, later_leaves))
    assert not later.wait(0.3), "a new test jumped ahead of the waiting alone test"

    running_leaves.set()
    assert alone.wait(5), "the alone test did not start once the running test ended"
    assert not later.wait(0.3), "a test started beside the alone test"
    alone_leaves.set()
    assert later.wait(5)
    later_leaves.set()
    for thread in threads:
        thread.join(5)


def test_tests_that_are_not_alone_run_side_by_side(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", f"turns-{time.monotonic_ns()}")
    first, second, leave = threading.Event(), threading.Event(), threading.Event()
    threads = [hold(False, first, leave), hold(False, second, leave)]
    assert first.wait(5) and second.wait(5)
    leave.set()
    for thread in threads:
        thread.join(5)
