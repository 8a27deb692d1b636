"""Benchmark of the vertical path: filing reports, the URL list feed, the audit chain.

The URL list is published once after the entries are added, and the full feeds served from
that publication (bench_urllist.py measures a million entries).

Runs in-process against a throw-away database (a temp SQLite file, or the PostgreSQL given by
HOTLINE_DATABASE_URL, in which a `bench_hotline` database is created and dropped).

    .venv/bin/python bench/bench_path.py [--reports 500] [--entries 5000] [--feeds 20]
"""

from __future__ import annotations

import argparse
import platform
import time

from common import summary, throwaway_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--feeds", type=int, default=20)
    args = parser.parse_args()
    with throwaway_database("hotline_bench"):
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client

    from hotline.audit.chain import verify_chain
    from hotline.intake.actions import file_report
    from hotline.members.actions import create_member, issue_api_key
    from hotline.members.models import MemberKind, Scope
    from hotline.portals.actions import launch_portal
    from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec
    from hotline.urllist.actions import add_to_url_list, publish_url_list

    portal = launch_portal(load_portal_spec(LAUNCH_FILES_DIR / "tn.toml")).portal
    print(
        f"database: {connection.vendor}; python {platform.python_version()}; {platform.machine()}"
    )

    timings = []
    for n in range(args.reports):
        urls = [
            (f"http://site{n}.example/a", f"http://site{n}.example/a"),
            (f"http://site{n}.example/b",) * 2,
        ]
        start = time.perf_counter()
        file_report(portal=portal, language="fr", urls=urls)
        timings.append(time.perf_counter() - start)
    print(
        f"file_report (2 URLs, {args.reports} reports): {summary(timings)}, "
        f"{len(timings) / sum(timings):.0f} reports/s"
    )

    start = time.perf_counter()
    for n in range(args.entries):
        add_to_url_list(
            url=f"http://blocked{n}.example/x", category="B", case_id=None, actor="system"
        )
    added = time.perf_counter() - start
    print(f"add_to_url_list ({args.entries} entries): {args.entries / added:.0f} entries/s")

    start = time.perf_counter()
    publish_url_list(actor="system")  # the full feeds serve what was last published
    print(f"publish_url_list ({args.entries} entries): {time.perf_counter() - start:.2f} s")

    member = create_member(name="Bench ISP", kind=MemberKind.ISP)
    _, key = issue_api_key(
        member=member, scopes=[Scope.URLLIST_READ], requests_per_minute=1_000_000
    )
    client = Client()
    for fmt in ("json", "csv", "txt", "sha256"):
        timings = []
        size = 0
        for _ in range(args.feeds):
            start = time.perf_counter()
            response = client.get(
                f"/api/v1/urllist?format={fmt}", headers={"Authorization": f"Bearer {key}"}
            )
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200
            size = len(response.getvalue())
        print(
            f"GET /api/v1/urllist?format={fmt} ({args.entries} entries, {size / 1024:.0f} KiB): "
            f"{summary(timings)}"
        )

    start = time.perf_counter()
    report = verify_chain()
    elapsed = time.perf_counter() - start
    assert report.intact
    print(
        f"audit verify ({report.events_checked} events): {elapsed:.2f} s, "
        f"{report.events_checked / elapsed:.0f} events/s"
    )


if __name__ == "__main__":
    main()
