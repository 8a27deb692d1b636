"""Benchmark of the analysts' queue with a million cases: "next case" and the queue page.

Targets (issue 9, "The analyst workstation"): with 1,000,000 cases on PostgreSQL, "next case"
claims in under 20 ms at the 95th percentile and the queue page renders in under 100 ms, with
4 analysts claiming concurrently.

It loads 1,000,000 cases straight into a throw-away PostgreSQL database (`hotline_bench_queue`,
created and dropped; INSERT ... SELECT over generate_series, not the ORM one by one): spread
over the 13 shipped portals (Tunisia 40 %, Morocco 25 %, the rest the remainder), half of them
waiting and half resolved, a fifth with a verified report, 2 % reported on a second portal,
a report with one item for every tenth. Then 4 analysts, each a process with its own database
connection, press "next case" (`claim_next_case`, the action the page calls) and assess what
they get (back to back, or with `--think` seconds on each case between claims), while this
process renders the queue page (Django test client, signed-in analyst,
the whole middleware stack) for an analyst on one portal and one on all 13.

    HOTLINE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline \\
      .venv/bin/python bench/bench_queue.py [--cases 1000000] [--claims 250] [--pages 100] \\
      [--think 0]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import random
import statistics
import time
from collections.abc import Iterable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import TYPE_CHECKING, Any

from common import percentile, throwaway_database

if TYPE_CHECKING:
    from django.test import Client

# What a claimer process reports: its analyst, the cases it claimed, and each claim's time
# and the CPU time its own process spent on it (the rest is the database, or waiting for a CPU).
Claimed = tuple[int, list[int], list[float], list[float]]

CLAIM_TARGET_MS = 20.0
PAGE_TARGET_MS = 100.0
ANALYSTS = 4
# Each analyst's portals: three on Tunisia (two of them on Morocco too), so they contend for
# the same cases at the top of the queue; one on every portal.
ANALYST_PORTALS = [["tn"], ["tn"], ["tn", "ma"], None]
PASSWORD = "bench password, not a secret"  # noqa: S105


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--claims", type=int, default=250, help="per analyst")
    parser.add_argument("--pages", type=int, default=100, help="renders of each page variant")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean seconds an analyst spends on a case between claims (default 0: back to "
        "back, every process always busy, the worst case)",
    )
    parser.add_argument("--explain", action="store_true", help="print the queue's query plans")
    args = parser.parse_args()
    if not os.environ.get("HOTLINE_DATABASE_URL", "").startswith("postgres"):
        parser.error("set HOTLINE_DATABASE_URL to a PostgreSQL server (the target is for it)")
    with throwaway_database("hotline_bench_queue"):
        run(args)


def ms(seconds: list[float]) -> str:
    return (
        f"median {statistics.median(seconds) * 1000:6.2f} ms, "
        f"p95 {percentile(seconds, 95) * 1000:6.2f} ms, max {max(seconds) * 1000:6.2f} ms"
    )


def cpu_ms(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:.2f} ms"


def load_cases(count: int) -> None:
    """`count` cases with their portals' queue rows and some reports, in a few statements."""
    from django.db import connection

    from hotline.portals.models import Portal

    codes = dict(Portal.objects.values_list("code", "pk"))
    others = sorted(pk for code, pk in codes.items() if code not in ("tn", "ma"))
    # Case n's portal: 40 % Tunisia, 25 % Morocco, the rest spread over the other eleven.
    portal_of = (
        f"CASE WHEN n % 20 < 8 THEN {codes['tn']} WHEN n % 20 < 13 THEN {codes['ma']} "
        f"ELSE (ARRAY{others})[1 + (n / 20) % {len(others)}] END"
    )
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(
            f"""
            INSERT INTO cases_case (
                canonical_url, url_sha256, host, portal_id, status, outcome, category,
                priority, report_count, open_reports, host_confirmed, known_reports,
                has_verified_report, opened_at, queue_at, resolved_at)
            SELECT url, encode(sha256(convert_to(url, 'UTF8')), 'hex'), host, {portal_of},
                CASE WHEN n % 2 = 0 THEN 'new' WHEN n % 6 = 1 THEN 'confirmed'
                     ELSE 'not_confirmed' END,
                CASE WHEN n % 2 = 0 THEN '' WHEN n % 6 = 1 THEN 'criminal'
                     ELSE 'not_criminal' END,
                CASE WHEN n % 6 = 1 THEN 'B' ELSE '' END,
                points, 1 + points, 1 + points, 0, 0, n % 5 = 0, opened,
                opened - points * interval '1 hour',
                CASE WHEN n % 2 = 0 THEN NULL ELSE opened + interval '1 day' END
            FROM (
                SELECT n, 'http://host-' || (n % 50000) || '.example/page/' || n AS url,
                    'host-' || (n % 50000) || '.example' AS host, (n * 7919) % 45 AS points,
                    now() - interval '90 days' + (n::float / {count}) * interval '90 days'
                        AS opened
                FROM generate_series(1::bigint, {count}) AS n
            ) AS generated
            """  # noqa: S608 (numbers and ids of our own)
        )
        cursor.execute(
            """
            INSERT INTO cases_caseportal (
                case_id, portal_id, status, has_verified_report, queue_at, opened_at)
            SELECT id, portal_id, status, has_verified_report, queue_at, opened_at
            FROM cases_case
            """
        )
        # 2 % reported on a second portal too (Morocco, or Tunisia for Morocco's).
        cursor.execute(
            f"""
            INSERT INTO cases_caseportal (
                case_id, portal_id, status, has_verified_report, queue_at, opened_at)
            SELECT id, CASE WHEN portal_id = {codes["ma"]} THEN {codes["tn"]}
                            ELSE {codes["ma"]} END,
                status, has_verified_report, queue_at, opened_at
            FROM cases_case WHERE id % 50 = 3
            """  # noqa: S608
        )
        # A report with one item for every tenth case, its reference as intake makes them.
        cursor.execute(
            """
            INSERT INTO intake_report (
                reference, portal_id, language, content_seen, found_on, description,
                receipt_hash, member_id, external_reference, verified, received_at)
            SELECT upper(p.code) || '-' || lpad(upper(to_hex(c.id / 65536)), 4, '0') || '-'
                    || lpad(upper(to_hex(c.id % 65536)), 4, '0'),
                c.portal_id, 'fr', '[]', '', '', '', NULL, c.id::text,
                c.has_verified_report, c.opened_at
            FROM cases_case c JOIN portals_portal p ON p.id = c.portal_id
            WHERE c.id % 10 = 0
            """
        )
        cursor.execute(
            """
            INSERT INTO intake_reportitem (
                report_id, position, reported_url, canonical_url, is_onion, case_id)
            SELECT r.id, 0, c.canonical_url, c.canonical_url, false, c.id
            FROM intake_report r JOIN cases_case c ON c.id = r.external_reference::bigint
            """
        )
        loaded = time.perf_counter() - start
        cursor.execute("VACUUM ANALYZE")
        cursor.execute("SELECT count(*), count(*) FILTER (WHERE status = 'new') FROM cases_case")
        cases, waiting = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM cases_caseportal")
        (links,) = cursor.fetchone()
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        (size,) = cursor.fetchone()
    print(
        f"loaded {cases:,} cases ({waiting:,} waiting), {links:,} portal rows, "
        f"{cases // 10:,} reports in {loaded:.0f} s (then VACUUM ANALYZE); database {size}"
    )


def claimer(
    analyst_id: int, claims: int, think: float, start: Event, results: Queue[Claimed]
) -> None:
    """One analyst in a process of its own: "next case", assess it (not timed), look at the
    case for `think` seconds (0: none, the worst case), again."""
    from django.db import connections

    from hotline.accounts.models import StaffUser
    from hotline.assessment.actions import claim_next_case, record_assessment
    from hotline.assessment.models import SchemeOutcome

    connections.close_all()  # never the parent's connection: a new one for this process
    analyst = StaffUser.objects.get(pk=analyst_id)
    not_criminal = SchemeOutcome.objects.get(scheme__is_default=True, code="not_criminal")
    timings, cpu, claimed = [], [], []
    start.wait()
    for _ in range(claims):
        began, began_cpu = time.perf_counter(), time.process_time()
        claim = claim_next_case(analyst=analyst)
        timings.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        assert claim is not None, "the queue ran dry"
        claimed.append(claim.case_id)
        record_assessment(case=claim.case, analyst=analyst, outcome=not_criminal)
        if think:
            # Spread around the mean, so the analysts do not fall into lockstep.
            time.sleep(random.uniform(0.5, 1.5) * think)  # noqa: S311 (not a secret)
    results.put((analyst_id, claimed, timings, cpu))
    connections.close_all()


def signed_in(username: str) -> Client:
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__username=username)
    client = Client()
    code = f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"
    response = client.post(
        "/staff/login/", {"username": username, "password": PASSWORD, "otp_token": code}
    )
    assert response.status_code == 302, response.content[:300]
    return client


def page_variants(clients: dict[str, Client]) -> list[tuple[str, Client, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT reference FROM intake_report ORDER BY id DESC LIMIT 1")
        (reference,) = cursor.fetchone()
    one, every = clients["tn_only"], clients["everywhere"]
    return [
        ("one portal, first page", one, "/staff/"),
        ("one portal, verified, 1-7 days", one, "/staff/?verified=yes&age=week"),
        ("13 portals, first page", every, "/staff/"),
        ("13 portals, Morocco, not verified", every, "/staff/?portal=ma&verified=no"),
        ("13 portals, over 7 days", every, "/staff/?age=older"),
        ("13 portals, in assessment", every, "/staff/?status=in_assessment"),
        ("search by reference", every, f"/staff/?q={reference}"),
        ("search by host (20 cases)", every, "/staff/?q=host-777.example"),
    ]


Timings = dict[str, tuple[list[float], list[float]]]


def render_pages(variants: list[tuple[str, Client, str]], rounds: int) -> Timings:
    """Each page's render times, and the CPU time of this process in each."""
    timings: Timings = {name: ([], []) for name, _, _ in variants}
    for _ in range(rounds):
        for name, client, path in variants:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            timings[name][0].append(time.perf_counter() - began)
            timings[name][1].append(time.process_time() - began_cpu)
            assert response.status_code == 200, (path, response.status_code)
    return timings


def second_page(client: Client) -> str:
    page = client.get("/staff/").content.decode()
    start = page.index('rel="next"') if 'rel="next"' in page else -1
    assert start > 0, "a second page"
    href = page.rfind('href="', 0, start)
    return page[href + 6 : page.index('"', href + 6)].replace("&amp;", "&")


def explain_queue(portal_ids: Iterable[int]) -> None:
    """The plans of the queue's two reads for an analyst on every portal, as executed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from hotline.assessment.queries import QueueFilter, count_waiting, waiting_queue_keys

    every = QueueFilter(portal_ids=list(portal_ids))
    with CaptureQueriesContext(connection) as captured:
        waiting_queue_keys(every, limit=51)
        count_waiting(every)
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {query['sql']}")
            plan = [row[0] for row in cursor.fetchall()]
            print(f"plan of {query['sql'][:60]}... ({len(plan)} lines):")
            print("\n".join(f"  {line}" for line in [*plan[:14], "...", *plan[-3:]]))


def claim_together(
    analysts: list[Any], args: argparse.Namespace, variants: list[tuple[str, Client, str]] | None
) -> Any:
    """The analysts claim at once, each in a process of its own; this process renders the
    queue page variants meanwhile, if given. Returns what each claimer reported and how long
    it took (and the page timings, and how long rendering took, if rendered)."""
    from django.db import connections

    connections.close_all()  # the claimers fork: none of them may share this connection
    context = multiprocessing.get_context("fork")
    start = context.Event()
    results: Queue[Claimed] = context.Queue()
    processes = [
        context.Process(target=claimer, args=(user.pk, args.claims, args.think, start, results))
        for user in analysts
    ]
    for process in processes:
        process.start()
    time.sleep(1)  # each has connected and read its analyst
    start.set()
    began = time.perf_counter()
    if variants is not None:
        busy = render_pages(variants, args.pages)
        rendering = time.perf_counter() - began
    gathered = [results.get(timeout=1800) for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - began
    if variants is None:
        return gathered, elapsed
    return gathered, elapsed, busy, rendering


def report_claims(
    gathered: list[Claimed], elapsed: float, args: argparse.Namespace, meanwhile: str
) -> list[float]:
    claims = [t for _, _, timings, _ in gathered for t in timings]
    claims_cpu = [t for _, _, _, cpu in gathered for t in cpu]
    every_case = [c for _, cases, _, _ in gathered for c in cases]
    assert len(every_case) == len(set(every_case)), "a case was handed to two analysts"
    pace = f"{args.think:g} s on each case" if args.think else "back to back"
    print(
        f"next case, {ANALYSTS} analysts at once ({len(claims)} claims, each then assessed, "
        f"{pace}, {meanwhile}; {elapsed:.1f} s): {ms(claims)}; CPU {cpu_ms(claims_cpu)}"
    )
    for analyst_id, _, timings, _ in gathered:
        print(f"  analyst {analyst_id}: {ms(timings)}")
    return claims


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    from hotline.accounts.actions import add_totp_device, create_staff_user, grant_portal_roles
    from hotline.accounts.models import Role
    from hotline.assessment.actions import claim_next_case, release_case
    from hotline.portals.actions import launch_portal
    from hotline.portals.models import Portal
    from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec

    for launch_file in sorted(LAUNCH_FILES_DIR.glob("*.toml")):
        launch_portal(load_portal_spec(launch_file))
    every_code = list(Portal.objects.order_by("code").values_list("code", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (server,) = cursor.fetchone()
    print(
        f"database: postgresql {server}; python {platform.python_version()}; "
        f"{platform.machine()}; {os.cpu_count()} cores; {len(every_code)} portals"
    )
    load_cases(args.cases)

    analysts = []
    for n, portals in enumerate(ANALYST_PORTALS):
        user = create_staff_user(username=f"analyst{n}", password=PASSWORD)
        grant_portal_roles(user=user, portal_codes=portals or every_code, role=Role.ANALYST)
        analysts.append(user)
    for username, portals in [("tn_only", ["tn"]), ("everywhere", every_code)]:
        user = create_staff_user(username=username, password=PASSWORD)
        grant_portal_roles(user=user, portal_codes=portals, role=Role.ANALYST)
        add_totp_device(user=user)
    clients = {name: signed_in(name) for name in ("tn_only", "everywhere")}
    variants = page_variants(clients)
    variants.append(
        ("one portal, second page", clients["tn_only"], second_page(clients["tn_only"]))
    )

    if args.explain:
        explain_queue(Portal.objects.values_list("pk", flat=True))

    # One analyst alone first: the cost of a claim without others at the same cases.
    alone, alone_cpu = [], []
    for _ in range(50):
        began, began_cpu = time.perf_counter(), time.process_time()
        claim = claim_next_case(analyst=analysts[0])
        alone.append(time.perf_counter() - began)
        alone_cpu.append(time.process_time() - began_cpu)
        assert claim is not None
        release_case(case=claim.case, analyst=analysts[0])
    print(f"next case, one analyst alone (50, each released): {ms(alone)}; CPU {cpu_ms(alone_cpu)}")
    quiet = render_pages(variants, max(args.pages // 4, 10))

    # 4 analysts claiming at once, twice: first alone on the machine (what an analyst waits
    # for), then while this process renders queue pages back to back (what a page takes while
    # they claim; the renderer keeps a core busy, so the claims slow down too).
    load = os.getloadavg()
    gathered, elapsed = claim_together(analysts, args, variants=None)
    claims = report_claims(gathered, elapsed, args, "nothing else running")
    gathered, elapsed, busy, rendering = claim_together(analysts, args, variants=variants)
    report_claims(gathered, elapsed, args, "queue pages rendered meanwhile")
    load_after = os.getloadavg()
    print(f"queue page, rendered {args.pages}x each while they claim (for {rendering:.1f} s):")
    worst = 0.0
    for name, _, _ in variants:
        wall, cpu = busy[name]
        worst = max(worst, percentile(wall, 95) * 1000)
        print(f"  {name:<34} {ms(wall)}; CPU {cpu_ms(cpu)}")
        print(f"  {'  before, alone':<34} {ms(quiet[name][0])}; CPU {cpu_ms(quiet[name][1])}")
    claim_p95 = percentile(claims, 95) * 1000
    print(
        f"claim p95 (4 analysts at once) {claim_p95:.2f} ms "
        f"({'within' if claim_p95 <= CLAIM_TARGET_MS else 'OVER'} "
        f"the {CLAIM_TARGET_MS:.0f} ms target); slowest page p95 {worst:.2f} ms "
        f"({'within' if worst <= PAGE_TARGET_MS else 'OVER'} the {PAGE_TARGET_MS:.0f} ms target)"
    )
    before = " ".join(f"{n:.2f}" for n in load)
    after = " ".join(f"{n:.2f}" for n in load_after)
    print(f"load average before the concurrent run: {before}; after: {after}")


if __name__ == "__main__":
    main()
