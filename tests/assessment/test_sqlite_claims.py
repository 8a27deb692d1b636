"""Analysts pressing "next case" at the same moment on SQLite, each in a process of its own
against one database file (as `make run` uses it): no case is handed to two of them, none is
lost. SQLite lets one writer in at a time; the claim's move from "new" is conditional."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from hotline.accounts.actions import create_staff_user, grant_portal_roles
from hotline.accounts.models import Role
from hotline.audit.actions import SYSTEM
from hotline.cases.actions import open_or_attach_cases
from hotline.portals.models import Portal

CLAIMERS = 4
CASES = 120
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite claim path; test_concurrent_claims covers PostgreSQL")


def test_claimers_in_separate_processes_claim_every_case_exactly_once(
    tn: Portal, tmp_path: Path
) -> None:
    opened = open_or_attach_cases(
        urls=[(f"http://queue-{n}.example/", tn, n % 4 == 0) for n in range(CASES)],
        actor=SYSTEM,
    )
    case_ids = sorted(case.pk for case, _ in opened)
    analysts = []
    for n in range(CLAIMERS):
        user = create_staff_user(username=f"claimer{n}", password="not used: actions only")
        grant_portal_roles(user=user, portal_codes=["tn"], role=Role.ANALYST)
        analysts.append(user.pk)
    # The test database lives in memory: copy it, as it stands, to a file the processes share.
    database = tmp_path / "claims.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(database)])
    # The copy is in rollback-journal mode. Each process's first connection switches it to WAL
    # (settings' init_command), and two switching at once can fail with "database is locked"
    # without waiting; `make run` switches once, when it migrates, before anything else starts.
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA journal_mode=WAL")
    env = {**os.environ, "HOTLINE_DATABASE_URL": f"sqlite:///{database}"}
    env["HOTLINE_VAR_DIR"] = str(tmp_path)
    claimers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.assessment.sqlite_claimer", str(pk), str(tmp_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for pk in analysts
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < CLAIMERS:
        if any(p.poll() is not None for p in claimers) or time.monotonic() > deadline:
            # The others wait for "go" and would never end: stop them, then show why.
            for p in claimers:
                p.kill()
            pytest.fail(f"a claimer did not start: {[p.communicate()[1] for p in claimers]}")
        time.sleep(0.05)
    (tmp_path / "go").touch()
    claimed: list[list[int]] = []
    for process in claimers:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        claimed.append(json.loads(out))

    everything = sorted(case_id for ids in claimed for case_id in ids)
    assert everything == case_ids  # each exactly once, none lost
    assert sum(1 for ids in claimed if ids) >= 2, "the claimers worked side by side"
    with sqlite3.connect(database) as db:
        assessed = db.execute(
            "SELECT case_id, COUNT(*) FROM assessment_assessment GROUP BY case_id"
        ).fetchall()
        statuses = db.execute("SELECT DISTINCT status FROM cases_case").fetchall()
        claims = db.execute("SELECT COUNT(*) FROM assessment_claim").fetchone()
    assert sorted(assessed) == [(case_id, 1) for case_id in case_ids]
    assert statuses == [("not_confirmed",)] and claims == (0,)
