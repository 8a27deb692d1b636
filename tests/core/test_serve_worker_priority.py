"""`hotline serve` runs its task worker at a lower CPU priority than the web server beside it:
attaching reports and sealing the audit log can wait a moment, a person at the form cannot.

The worker has a session of its own; where Linux schedules sessions as groups (autogroup),
the session's niceness is what counts against the web processes, so it is set too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hotline.core.management.commands.serve import Command, _start


def child_niceness(niceness: int) -> int:
    child = _start(
        [sys.executable, "-c", "import os, sys; sys.exit(os.nice(0))"], niceness=niceness
    )
    return child.wait(timeout=30) - os.nice(0)


@pytest.mark.skipif(os.nice(0) > 9, reason="this process is already too nice to add 10")
def test_the_worker_is_started_nicer_than_the_web_server() -> None:
    assert child_niceness(10) == 10
    assert child_niceness(0) == 0


def test_the_niceness_defaults_to_19_and_is_checked() -> None:
    parser = Command().create_parser("hotline", "serve")

    assert parser.parse_args([]).worker_nice == 19
    assert parser.parse_args(["--worker-nice", "0"]).worker_nice == 0
    refused = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "serve", "--worker-nice", "25"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
    )
    assert refused.returncode != 0 and "invalid choice" in refused.stderr


@pytest.mark.skipif(
    not Path("/proc/self/autogroup").exists(), reason="no autogroup scheduling on this system"
)
def test_the_worker_session_is_as_nice_as_the_worker(tmp_path: Path) -> None:
    seen = tmp_path / "autogroup"
    copy = "import shutil, sys; shutil.copy('/proc/self/autogroup', sys.argv[1])"
    assert _start([sys.executable, "-c", copy, str(seen)], niceness=10).wait(timeout=30) == 0

    # "/autogroup-123 nice 10": a group of its own (not this one), at the worker's niceness.
    group, _, niceness = seen.read_text().split()
    assert niceness == "10"
    # A process that never changed session since boot (as under some CI runners) is in the
    # kernel's default group, which the file shows as empty.
    ours = Path("/proc/self/autogroup").read_text().split()
    assert group != (ours[0] if ours else "")
