"""Benchmark of the public portal pages: server time per page with 50 portals loaded.

Target (issue "National portals"): every public page answers in at most 20 ms of server time
on SQLite with 50 portals. Runs in-process through the whole middleware stack (the resolver,
CSRF, CSP, sessions) with the Django test client, against a throw-away database: a temp SQLite
file (a file, as `make run` uses, not an in-memory database), or the PostgreSQL given by
HOTLINE_DATABASE_URL (a `hotline_bench_pages` database is created and dropped).

    .venv/bin/python bench/bench_portal_pages.py [--portals 50] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from common import percentile, throwaway_database

TARGET_MS = 20.0
PAGES = ["", "report/", "status/", "help/", "partners/", "privacy/", "accessibility/"]


def synthetic_spec(number: int) -> str:
    """A launch file like a real one: three languages, four partners, two helplines."""
    code = f"b{number:02d}"
    return f"""
[portal]
code = "{code}"
country = "ZZ"
status = "live"
languages = ["fr", "ar", "en"]
[portal.names]
fr = "Portail de signalement {number}"
ar = "بوابة الإبلاغ {number}"
en = "Reporting portal {number}"
[portal.taglines]
fr = "Signalez anonymement."
ar = "أبلغ دون الكشف عن هويتك."
en = "Report anonymously."
[branding]
primary_colour = "#0b5cad"
[[partners]]
name = "Bench ministry {number}"
kind = "government"
role = "host_ministry"
website = "https://ministry{number}.example/"
[[partners]]
name = "Council of Europe"
kind = "intergovernmental"
role = "co_host"
[[partners]]
name = "Global Partnership to End Violence against Children"
kind = "funder"
role = "funder"
[[partners]]
name = "Internet Watch Foundation"
kind = "hotline"
role = "hotline"
[[help]]
kind = "child_helpline"
name = "Child helpline"
phone = "116"
[[help]]
kind = "police"
name = "Police"
phone = "17"
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200, help="per page")
    args = parser.parse_args()
    # A file, as `make run` uses, not an in-memory database.
    with throwaway_database("hotline_bench_pages", sqlite_file=True):
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client

    from hotline.portals.actions import launch_portal
    from hotline.portals.models import Portal
    from hotline.portals.spec import LAUNCH_FILES_DIR, load_portal_spec, parse_portal_spec

    for launch_file in sorted(LAUNCH_FILES_DIR.glob("*.toml")):
        launch_portal(load_portal_spec(launch_file))
    number = 0
    while Portal.objects.count() < args.portals:
        launch_portal(parse_portal_spec(synthetic_spec(number)))
        number += 1
    print(
        f"database: {connection.vendor}; python {platform.python_version()}; "
        f"{platform.machine()}; {os.cpu_count()} cores; {Portal.objects.count()} portals"
    )

    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    paths = ["/", "/tn/", "/nowhere/"] + [f"/tn/ar/{page}" for page in PAGES]
    paths += [f"/b00/fr/{page}" for page in PAGES] if Portal.objects.filter(code="b00") else []
    worst = 0.0
    for path in paths:
        for _ in range(10):  # warm the template and URL caches
            client.get(path)
        timings = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(path)
            timings.append(time.perf_counter() - start)
        assert response.status_code in (200, 302, 404), (path, response.status_code)
        median, p95 = statistics.median(timings) * 1000, percentile(timings, 95) * 1000
        worst = max(worst, p95)
        print(f"GET {path:<28} {response.status_code}  median {median:5.2f} ms  p95 {p95:5.2f} ms")
    # The flyer is rendered once per portal, language and kind, then served from memory.
    for path in ["/tn/ar/flyer.pdf", "/tn/fr/flyer.png"]:
        start = time.perf_counter()
        response = client.get(path)
        first = (time.perf_counter() - start) * 1000
        cached = []
        for _ in range(20):
            start = time.perf_counter()
            client.get(path)
            cached.append(time.perf_counter() - start)
        print(
            f"GET {path:<28} {response.status_code}  first {first:6.1f} ms  "
            f"then median {statistics.median(cached) * 1000:5.2f} ms "
            f"({len(response.content) // 1024} KiB)"
        )
    verdict = "within" if worst <= TARGET_MS else "OVER"
    print(f"slowest p95: {worst:.2f} ms ({verdict} the {TARGET_MS:.0f} ms target)")


if __name__ == "__main__":
    main()
