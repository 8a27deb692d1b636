"""What the benchmarks share: a throw-away database and the summary of timings."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def summary(seconds: list[float]) -> str:
    median, p95 = statistics.median(seconds) * 1000, percentile(seconds, 95) * 1000
    return f"median {median:.2f} ms, p95 {p95:.2f} ms"


@contextmanager
def throwaway_database(name: str, *, sqlite_file: bool = False) -> Iterator[None]:
    """Django set up on a database of its own, dropped afterwards.

    PostgreSQL when HOTLINE_DATABASE_URL says so (database `name`, so a test run on the same
    server is never disturbed); else SQLite, in memory or, with `sqlite_file`, in a temp file.
    """
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        os.environ.setdefault("HOTLINE_VAR_DIR", tmp)
        os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
        import django

        django.setup()
        from django.conf import settings
        from django.test.utils import setup_databases, setup_test_environment, teardown_databases

        database = settings.DATABASES["default"]
        if not database["ENGINE"].endswith("sqlite3"):
            database["TEST"]["NAME"] = name
        elif sqlite_file:
            database["TEST"]["NAME"] = str(Path(tmp) / f"{name}.sqlite3")
        setup_test_environment()
        old = setup_databases(verbosity=0, interactive=False)
        try:
            yield
        finally:
            teardown_databases(old, verbosity=0)


def postgres_machine() -> str:
    """Where a figure was measured, in one line: PostgreSQL's version, Python, machine, load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return (
        f"database: postgresql {server}; python {platform.python_version()}; "
        f"{platform.machine()}; {os.cpu_count()} cpus; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
