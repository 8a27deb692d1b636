"""Tests marked `alone` run with no other test beside them, when xdist runs the suite in
several processes (`make test`).

They measure time or share out load (a server's answers within a second while hundreds of
clients trickle, connections balanced between web processes, 10,000 reports in a minute), and
another test busy on the same cores would make them measure that instead. Every other test
holds a shared lock from its setup to its teardown; an `alone` test takes it exclusively for
its call, so that starts once the tests running in the other processes have finished, and none
starts until it is done. A turnstile in front keeps a stream of short tests from holding an
`alone` test off for ever.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def _locked(path: Path, how: int) -> Iterator[None]:
    with path.open("a") as file:
        fcntl.flock(file, how)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


@contextmanager
def turn(alone: bool) -> Iterator[None]:
    """This process's turn to run a test: shared with the other processes, or to itself."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:  # one process: every test already runs alone
        yield
        return
    where = Path(tempfile.gettempdir())
    turnstile, tests = (where / f"hotline-tests-{run}.{name}" for name in ("turnstile", "lock"))
    if alone:
        with _locked(turnstile, fcntl.LOCK_EX), _locked(tests, fcntl.LOCK_EX):
            yield
    else:
        with _locked(turnstile, fcntl.LOCK_EX):
            pass  # wait behind an `alone` test that is waiting or running
        with _locked(tests, fcntl.LOCK_SH):
            yield


def _alone(item: pytest.Item) -> bool:
    return item.get_closest_marker("alone") is not None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    # Every other test holds its turn from setup to teardown: fixtures may load the cores too.
    if _alone(item):
        return (yield)
    with turn(alone=False):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # An `alone` test has the cores to itself while it measures; its fixtures (a site
    # migrated, a server started and waited for) run beside other tests.
    if not _alone(item):
        return (yield)
    with turn(alone=True):
        return (yield)
