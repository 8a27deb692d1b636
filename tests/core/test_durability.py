"""Durability: the server killed outright (SIGKILL) in the middle of a stream of reports.

Every reference number a reporter was shown is in the database afterwards, whole (its report
and every item), and the audit chain verifies: a reference is shown only after its commit.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from tests.core.test_cli import children_of, environment, run, serving

REFERENCE = re.compile(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}")


def reporter(base: str, number: int, stop: threading.Event, shown: list[tuple[str, int]]) -> None:
    """Report two addresses again and again; keep each reference the page showed."""
    sent = 0
    while not stop.is_set():
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        try:
            form = opener.open(f"{base}/tn/en/report/", timeout=5).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
            assert token is not None
            urls = f"http://r{number}-{sent}.example/a%0Ahttp://r{number}-{sent}.example/b"
            request = urllib.request.Request(
                f"{base}/tn/en/report/",
                data=f"urls={urls}&csrfmiddlewaretoken={token.group(1)}".encode(),
                headers={"Referer": f"{base}/"},
            )
            page = opener.open(request, timeout=5).read().decode()
        except OSError:
            return  # the server is gone
        if match := REFERENCE.search(page):
            shown.append((match.group(0), 2))
        sent += 1


def test_every_reference_shown_survives_a_sigkill(tmp_path: Path) -> None:
    assert run("migrate", "-v0", var=tmp_path).returncode == 0
    assert run("loaddemo", var=tmp_path).returncode == 0
    env = {**environment(tmp_path), "HOTLINE_LOG_LEVEL": "WARNING"}
    shown: list[tuple[str, int]] = []
    stop = threading.Event()
    with serving("--workers", "2", "--no-worker", env=env) as (port, server):
        base = f"http://127.0.0.1:{port}"
        # `serve`, gunicorn and its web processes: each child has a session of its own (so
        # a process group would not reach them), and each is killed here itself.
        processes = descendants(server.pid)
        assert len(processes) == 4, processes
        threads = [threading.Thread(target=reporter, args=(base, n, stop, shown)) for n in range(8)]
        try:
            for thread in threads:
                thread.start()
            # Kill once enough references were shown to test anything, however busy the
            # machine (a fixed wait saw only 7 when the suite ran on both cores at once).
            deadline = time.monotonic() + 60
            while len(shown) < 30 and time.monotonic() < deadline:
                time.sleep(0.1)
            # No goodbye: the web processes first, then their parents, so none is told to
            # finish what it is doing (a parent's death would send its children SIGTERM).
            for pid in reversed(processes):
                os.kill(pid, signal.SIGKILL)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
        server.wait(timeout=10)

    print(f"{len(shown)} references shown before the kill")
    assert len(shown) >= 10, "too few reports went through to test anything"
    with sqlite3.connect(tmp_path / "hotline.sqlite3") as db:
        for reference, items in shown:
            row = db.execute(
                "SELECT COUNT(i.id) FROM intake_report r JOIN intake_reportitem i "
                "ON i.report_id = r.id WHERE r.reference = ?",
                (reference,),
            ).fetchone()
            assert row[0] == items, f"{reference} was shown but is not whole in the database"
    verified = run("audit", "verify", var=tmp_path)
    assert verified.returncode == 0 and "Audit chain intact" in verified.stdout, verified.stderr


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    found = [pid]
    for child in children_of(pid):
        found += descendants(child)
    return found


def test_web_processes_stop_when_their_arbiter_is_killed_outright(tmp_path: Path) -> None:
    # gunicorn's arbiter forks a new web process whenever one dies, also in the instant before
    # it is killed itself: that process, and any other, must not keep the port for ever.
    assert run("migrate", "-v0", var=tmp_path).returncode == 0
    with serving("--workers", "2", "--no-worker", env=environment(tmp_path)) as (_, server):
        (arbiter,) = children_of(server.pid)
        web = children_of(arbiter)
        assert len(web) == 2
        os.kill(arbiter, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while any(alive(pid) for pid in web) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in web if alive(pid)], "web processes outlived their arbiter"


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for its parent to read its status does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
