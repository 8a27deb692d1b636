"""What filing a report costs, step by step, in-process: wall and CPU time per 1,000 reports.

The serve benchmark (bench_intake_serve.py) shares two cores between PostgreSQL, wrk, the web
processes and the worker, so what decides its figures is the CPU each step spends per report,
in Python and in the database server alike. This measures each step alone, in one process
against a throw-away database (PostgreSQL from HOTLINE_DATABASE_URL, database
`hotline_bench_cost`, created and dropped; else a temp SQLite file):

- `GET /healthz`: the cheapest view, the fixed cost of a request, for reference;
- `POST /tn/en/report/`: the public form through the whole middleware stack (Django's test
  client, CSRF enforced), as the serve benchmark posts it: one new URL, content seen and where
  it was found, no receipt;
- `file_report`: the action alone, with the same data;
- `attach (new URLs)`: the worker's `attach_waiting_reports` over those reports, each URL new;
- `attach (known URLs)`: the same for reports of URLs whose cases exist (in the queue,
  confirmed and on the URL list, not confirmed: a third each);
- `seal`: the sequencer sealing the events of `file_report` and `attach (new URLs)`.

CPU is this process's (Python) and, on a PostgreSQL server on this machine, the backend's
(read from /proc). `--profile STEP` prints the 30 costliest functions of that step.

    .venv/bin/python bench/bench_intake_cost.py [--reports 1000] [--profile post]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from common import throwaway_database

STEPS = ("healthz", "post", "file_report", "attach_new", "attach_known", "seal")


@dataclass
class Cost:
    wall: float
    python_cpu: float
    database_cpu: float | None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--profile", choices=STEPS, help="print the costliest functions of it")
    parser.add_argument("--profile-file", type=Path, help="and save that profile here (pstats)")
    args = parser.parse_args()
    with throwaway_database("hotline_bench_cost", sqlite_file=True):
        run(args)


def database_cpu_seconds() -> float | None:
    """CPU seconds the database backend serving this process has used, when it is local."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # a server on another machine

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(step: str, work: Callable[[], object], args: argparse.Namespace) -> Cost:
    database_before = database_cpu_seconds()
    # Profiled in CPU time: what the two shared cores run out of, not time spent waiting.
    profiler = cProfile.Profile(time.process_time) if args.profile == step else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    work()
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    database_after = database_cpu_seconds()
    database = (
        database_after - database_before
        if database_after is not None and database_before is not None
        else None
    )
    if profiler:
        if args.profile_file:
            profiler.dump_stats(args.profile_file)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    return Cost(wall, cpu, database)


def report(step: str, cost: Cost, reports: int) -> None:
    per = 1000 / reports
    database = f", database CPU {cost.database_cpu * per:.2f} s" if cost.database_cpu else ""
    print(
        f"{step:<26} per 1,000 reports: wall {cost.wall * per:.2f} s, "
        f"Python CPU {cost.python_cpu * per:.2f} s{database}"
    )


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client

    from hotline.audit.sequencer import seal_pending_events
    from hotline.cases.actions import move_case
    from hotline.cases.models import Case, CaseStatus
    from hotline.core.classification import OutcomeKind
    from hotline.intake.actions import file_report
    from hotline.intake.models import ReportItem
    from hotline.intake.tasks import attach_waiting_reports
    from hotline.outcomes.actions import settle_case
    from hotline.outcomes.decide import Result, Source
    from hotline.portals.actions import launch_portal
    from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec

    with tempfile.TemporaryDirectory() as tmp:
        launch_file = Path(tmp) / "tn.toml"
        # One client sends every report: the rate limits are lifted, as in the serve benchmark.
        launch_file.write_text(
            (LAUNCH_FILES_DIR / "tn.toml").read_text()
            + "\n[settings]\nreports_per_client_per_hour = 1000000\n"
            "reports_per_portal_per_hour = 1000000\n"
        )
        portal = launch_portal(load_portal_spec(launch_file)).portal
    print(
        f"database: {connection.vendor}; python {platform.python_version()}; "
        f"{platform.machine()}; {args.reports} reports of one URL each"
    )
    n = args.reports

    client = Client(enforce_csrf_checks=True)
    form = client.get("/tn/en/report/")
    token = form.context["csrf_token"]

    def post() -> None:
        for number in range(n):
            body = urlencode(
                {
                    "csrfmiddlewaretoken": token,
                    "urls": f"http://post-{number}.example/page",
                    "content_seen": "images",
                    "found_on": "website",
                    "follow_up": "none",
                }
            )
            # URL-encoded, as browsers (and the serve benchmark) send the form.
            response = client.post(
                "/tn/en/report/", body, content_type="application/x-www-form-urlencoded"
            )
            assert response.status_code == 302, response.status_code

    def file_reports(prefix: str, count: int = n) -> Callable[[], None]:
        def work() -> None:
            for number in range(count):
                url = f"http://{prefix}-{number}.example/page"
                file_report(
                    portal=portal,
                    language="en",
                    urls=[(url, url)],
                    content_seen=["images"],
                    found_on="website",
                )

        return work

    def attach() -> None:
        while attach_waiting_reports():
            pass
        assert not ReportItem.objects.filter(case__isnull=True).exists()

    def healthz() -> None:
        for _ in range(n):
            assert client.get("/healthz").status_code == 200

    report("GET /healthz (reference)", measure("healthz", healthz, args), n)
    report("POST /tn/en/report/", measure("post", post, args), n)
    attach()  # the form's reports, out of the way of what follows
    seal_pending_events()
    report("file_report", measure("file_report", file_reports("new"), args), n)
    report("attach (new URLs)", measure("attach_new", attach, args), n)
    report("seal (2 events a report)", measure("seal", seal_pending_events, args), n)
    # A third of the cases stay in the queue, a third are confirmed (their URLs on the list:
    # known content), a third not confirmed (back to the queue when reported again).
    for number, case in enumerate(Case.objects.filter(canonical_url__contains="//new-")):
        if number % 3:
            case = move_case(case=case, to=CaseStatus.IN_ASSESSMENT, actor="system", reason="b")
            criminal = number % 3 == 1
            settle_case(
                case=case,
                result=Result(
                    kind=OutcomeKind.CRIMINAL if criminal else OutcomeKind.NOT_CRIMINAL,
                    category="A" if criminal else "",
                ),
                source=Source.ASSESSMENT,
                actor="system",
            )
    file_reports("new")()
    report("attach (known URLs)", measure("attach_known", attach, args), n)


if __name__ == "__main__":
    main()
