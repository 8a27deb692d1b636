"""Benchmark of the figures' rollups: what keeping them costs each action that changes a case.

Target (issue 13): the rollups cost under 1 ms per action. Three actions that move figures,
through the real actions, each `--n` times in the same run, in alternating blocks of 20 with the
stats receivers connected and disconnected (so drift in the machine's speed falls on both):

- attach: a one-URL report filed and attached to a new case (reports, URLs);
- assess: a case claimed and assessed Category B with facts (result, category, facts, time to
  assessment: the facts lookup and one upsert);
- remove: a re-check that finds the content gone (time to removal).

For each: the action's median with and without the receivers, the difference, and the time in
the receivers themselves (timed around each call while connected). Then the same for one
`attach_reports_to_cases` batch of 100 reports (the worker's path), per report.

    HOTLINE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline \\
      .venv/bin/python bench/bench_stats.py [--n 400]     # PostgreSQL (hotline_bench_stats)
    .venv/bin/python bench/bench_stats.py                 # SQLite in memory
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from common import postgres_machine, throwaway_database

BLOCK = 20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400, help="actions of each kind, each way")
    args = parser.parse_args()
    with throwaway_database("hotline_bench_stats"):
        run(args.n)


def run(n: int) -> None:
    from django.db import connection
    from django.dispatch import Signal

    from hotline.accounts.actions import create_staff_user, grant_portal_roles
    from hotline.accounts.models import Role
    from hotline.assessment import actions
    from hotline.assessment.actions import Facts
    from hotline.assessment.models import QaPolicy, SchemeOutcome
    from hotline.cases.signals import case_results_changed
    from hotline.intake.actions import attach_report_to_cases, attach_reports_to_cases, file_report
    from hotline.intake.signals import reports_attached
    from hotline.portals.actions import launch_portal
    from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec
    from hotline.stats import receivers
    from hotline.stats.models import DailyFigure
    from hotline.takedown.actions import record_recheck
    from hotline.takedown.models import Takedown
    from hotline.takedown.recheck import Verdict
    from hotline.takedown.signals import removal_changed

    print(
        postgres_machine()
        if connection.vendor == "postgresql"
        else f"database: sqlite; python {platform.python_version()}; {platform.machine()}"
    )
    portal = launch_portal(load_portal_spec(LAUNCH_FILES_DIR / "tn.toml")).portal
    QaPolicy.objects.create(portal=portal, first_assessments=0, sample_percent=0)
    analyst = create_staff_user(username="bench", password="a long bench password 1")  # noqa: S106
    grant_portal_roles(user=analyst, portal_codes=["tn"], role=Role.ANALYST)
    category_b = SchemeOutcome.objects.get(scheme__is_default=True, code="B")
    facts = Facts(youngest_age="7-10", sex_shown="girls", site_type="forum", hosting_country="NL")

    wired: list[tuple[Signal, Callable[..., None]]] = [
        (reports_attached, receivers.count_attached_items),
        (case_results_changed, receivers.count_results),
        (removal_changed, receivers.count_removals),
    ]
    in_receivers: list[float] = []

    def timed(receiver: Callable[..., None]) -> Callable[..., None]:
        def run_it(sender: Any, **kwargs: Any) -> None:
            started = time.perf_counter()
            receiver(sender, **kwargs)
            in_receivers.append(time.perf_counter() - started)

        return run_it

    timers = [(signal, timed(receiver)) for signal, receiver in wired]

    def connect(on: bool) -> None:
        for signal, receiver in wired:
            signal.disconnect(receiver)
        for signal, timer in timers:
            signal.disconnect(timer)
            if on:
                signal.connect(timer, weak=False)

    counter = iter(range(10**9))

    def new_case() -> Any:
        url = f"http://bench{next(counter)}.example/page"
        filed = file_report(portal=portal, language="fr", urls=[(url, url)])
        attach_report_to_cases(report_id=filed.report.pk)
        return filed.report.items.get().case

    def attach() -> None:
        new_case()

    cases_to_assess: list[Any] = []
    takedowns: list[Any] = []

    def assess() -> None:
        case = cases_to_assess.pop()
        actions.claim_case(case=case, analyst=analyst)
        actions.record_assessment(case=case, analyst=analyst, outcome=category_b, facts=facts)
        takedowns.append(Takedown.objects.get(case=case))

    def remove() -> None:
        record_recheck(takedown=takedowns.pop(), verdict=Verdict.GONE, reason="404", actor="b")

    def measure(name: str, action: Callable[[], None], prepare: Callable[[], None]) -> None:
        timings: dict[bool, list[float]] = {True: [], False: []}
        spent: list[float] = []
        for block in range(2 * n // BLOCK):
            on = block % 2 == 0
            connect(on)
            for _ in range(BLOCK):
                prepare()
                in_receivers.clear()
                started = time.perf_counter()
                action()
                timings[on].append(time.perf_counter() - started)
                if on:
                    spent.append(sum(in_receivers))
        with_ms = statistics.median(timings[True]) * 1000
        without_ms = statistics.median(timings[False]) * 1000
        print(
            f"{name}: median {with_ms:.2f} ms with the rollups, {without_ms:.2f} ms without "
            f"(difference {with_ms - without_ms:+.2f} ms); in the receivers: median "
            f"{statistics.median(spent) * 1000:.3f} ms, mean {statistics.mean(spent) * 1000:.3f} "
            f"ms ({len(timings[True])} + {len(timings[False])} actions)"
        )

    def nothing() -> None:
        pass

    connect(True)
    measure("attach (file + attach 1 URL)", attach, nothing)

    def prepare_case() -> None:
        if not cases_to_assess:
            cases_to_assess.extend(new_case() for _ in range(BLOCK))

    measure("assess (claim + record_assessment, B with facts)", assess, prepare_case)
    # Enough takedowns for the removals: the assessments above made 2n of them.
    measure("remove (re-check: gone)", remove, nothing)

    # The worker's batch: 100 reports filed, then attached in one transaction.
    for batch, on in enumerate((True, False, True, False)):
        connect(on)
        urls = [f"http://batch{batch}-{i}.example/" for i in range(100)]
        reports = [
            file_report(portal=portal, language="fr", urls=[(url, url)]).report.pk for url in urls
        ]
        in_receivers.clear()
        started = time.perf_counter()
        attach_reports_to_cases(report_ids=reports)
        elapsed = time.perf_counter() - started
        print(
            f"attach_reports_to_cases, 100 reports, rollups {'on ' if on else 'off'}: "
            f"{elapsed * 1000:.1f} ms, {elapsed * 10:.2f} ms a report"
            + (f"; in the receivers {sum(in_receivers) * 1000:.2f} ms" if on else "")
        )
    print(f"figure rows: {DailyFigure.objects.count()}")


if __name__ == "__main__":
    main()
