"""Benchmark of the URL list lookup with a million entries: in-process and over HTTP.

Target (issue 10): `check()` answers 50,000 checks a second in-process; the HTTP lookup
endpoint is measured next to the cheapest view (`/healthz`) on the same server in the same run.

It loads 1,000,000 URL entries into a throw-away PostgreSQL database (`hotline_bench_lookup`,
created and dropped; bench_urllist.py's loader: INSERT ... SELECT generate_series) and lists
`--domains` domains through the real action, then
(a) in this process: builds the index (time; Python allocations traced with tracemalloc, and
    the resident set before and after), and times `check()` over addresses that are not listed
    (answered from memory), listed URLs and addresses under a listed domain (each confirmed
    with one query), and a mix of them;
(b) starts `hotline serve --workers 2 --no-worker` on the same database and runs wrk against
    `/healthz` and `/api/v1/urllist/check?url=...` (an unlisted address, a listed one, one
    under a listed domain) with a member's key, best of `--repeat` runs of each, and reads the
    web workers' resident set afterwards.

    HOTLINE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline \\
      .venv/bin/python bench/bench_lookup.py [--entries 1000000] [--domains 1000] [--seconds 10]

Needs wrk (Debian package `wrk`) for (b); `--no-http` skips it.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import tracemalloc
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from bench_intake_serve import WrkResult, describe, rates, wrk
from bench_urllist import load
from common import postgres_machine, throwaway_database

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = ROOT / ".venv" / "bin" / "hotline"
DATABASE = "hotline_bench_lookup"
CHECKS_TARGET = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--checks", type=int, default=200_000, help="checks of each kind")
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; best is kept")
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("HOTLINE_DATABASE_URL", "").startswith("postgres"):
        parser.error("set HOTLINE_DATABASE_URL to a PostgreSQL server (the target is for it)")
    if not args.no_http and shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install wrk), or use --no-http")
    with throwaway_database(DATABASE):
        run(args)


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def listed_url(n: int) -> str:
    """The URL bench_urllist.load gives entry n (1-based); past the count, an unlisted one."""
    return f"http://host-{n % 50000}.example/gallery/{hashlib.md5(str(n).encode()).hexdigest()}/{n}"  # noqa: S324


def domain(n: int) -> str:
    return f"site-{n}.abuse.example"


def per_second(check: Callable[[str], object], urls: list[str]) -> float:
    start = time.perf_counter()
    for url in urls:
        check(url)
    return len(urls) / (time.perf_counter() - start)


def run(args: argparse.Namespace) -> None:

    from hotline.urllist import lookup
    from hotline.urllist.actions import add_domain_to_url_list

    print(postgres_machine())
    start = time.perf_counter()
    load(args.entries)
    for n in range(args.domains):
        add_domain_to_url_list(domain=domain(n), category="A", case_id=n + 1, actor="system")
    print(
        f"loaded {args.entries} URL entries and {args.domains} domain entries in "
        f"{time.perf_counter() - start:.1f} s"
    )

    # (a) In this process.
    lookup.reset_index()
    gc.collect()
    before = rss_mb()
    tracemalloc.start()
    start = time.perf_counter()
    lookup.check("http://warm-up.example/")  # builds the index
    built = time.perf_counter() - start
    traced, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    index = lookup._index
    print(
        f"index build ({len(index.built)} URL prefixes, {len(index.domains)} domains): "
        f"{built:.2f} s; Python allocations: {traced / 1048576:.1f} MB held, "
        f"{peak / 1048576:.0f} MB at the peak of the build; "
        f"RSS {before:.0f} -> {rss_mb():.0f} MB"
    )
    rng = random.Random(10)  # noqa: S311 (which entries to ask for, not a secret)
    n = args.checks
    unlisted = [listed_url(args.entries + 1 + i) for i in range(n)]
    listed = [listed_url(rng.randint(1, args.entries)) for _ in range(n // 10)]
    under_domain = [
        f"https://www.{domain(rng.randrange(args.domains))}/p/{i}" for i in range(n // 10)
    ]
    assert lookup.check(unlisted[0]) is None
    assert lookup.check(listed[0]) is not None
    assert lookup.check(under_domain[0]) is not None
    # A lookup service mostly answers "no": 98 % unlisted, 1 % listed URLs, 1 % under a domain.
    mix = unlisted[: n * 98 // 100] + listed[: n // 100] + under_domain[: n // 100]
    rng.shuffle(mix)
    from hotline.core.canonical import canonicalise_url

    # Best of --repeat, interleaved: the machine is shared, and other work slows single runs.
    kinds: dict[str, tuple[Callable[[str], object], list[str]]] = {
        "canonicalise_url alone": (canonicalise_url, unlisted),
        "check(), not listed (from memory)": (lookup.check, unlisted),
        "check(), listed URLs (one query each)": (lookup.check, listed),
        "check(), under a listed domain (one query each)": (lookup.check, under_domain),
        "check(), mix: 98 % not listed, 1 % listed, 1 % domain": (lookup.check, mix),
    }
    runs: dict[str, list[float]] = {what: [] for what in kinds}
    for _ in range(args.repeat):
        for what, (function, urls) in kinds.items():
            runs[what].append(per_second(function, urls))
    for what, rates_ in runs.items():
        all_runs = ", ".join(f"{r:,.0f}" for r in rates_)
        print(f"{what}: {max(rates_):,.0f} a second (all: {all_runs})")
    rate = max(runs["check(), not listed (from memory)"])
    verdict = "met" if rate >= CHECKS_TARGET else "MISSED"
    print(f"target {CHECKS_TARGET:,} checks/s in-process (not listed): {verdict}")
    if not args.no_http:
        serve(args, listed[0], under_domain[0], unlisted[0])


def serve(args: argparse.Namespace, listed: str, under_domain: str, unlisted: str) -> None:
    from django.conf import settings

    from hotline.members.actions import create_member, issue_api_key
    from hotline.members.models import MemberKind, Scope

    member = create_member(name="Bench search engine", kind=MemberKind.SEARCH_ENGINE)
    _, key = issue_api_key(
        member=member, scopes=[Scope.MATCH_READ], requests_per_minute=1_000_000_000
    )
    database = settings.DATABASES["default"]
    url = os.environ["HOTLINE_DATABASE_URL"].rsplit("/", 1)[0] + "/" + database["NAME"]
    with tempfile.TemporaryDirectory(prefix="hotline-bench-lookup-") as tmp:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))},
            "HOTLINE_DATABASE_URL": url,
            "HOTLINE_VAR_DIR": tmp,
            "HOTLINE_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "HOTLINE_ALLOWED_HOSTS": "127.0.0.1",
            "HOTLINE_SSL_REDIRECT": "0",
            "HOTLINE_SECURE_COOKIES": "0",
        }
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(HOTLINE), "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            script = Path(tmp) / "key.lua"
            script.write_text(f'wrk.headers["Authorization"] = "Bearer {key}"\n')
            paths = {
                # Authentication, rate limit and the 400 only: what every check costs first.
                "check, no url (400)": "",
                "check, not listed": unlisted,
                "check, listed URL": listed,
                "check, under a domain": under_domain,
            }
            urls = {
                what: f"{base}/api/v1/urllist/check?url={urllib.parse.quote(u, safe='')}"
                for what, u in paths.items()
            }
            # Warm-up: every web worker builds its index on its first check.
            wrk(base + "/healthz", 3, args.connections)
            subprocess.run(
                [
                    *("wrk", "-t2", f"-c{args.connections}", "-d10s", "--timeout", "20s"),
                    *("-s", str(script), urls["check, not listed"]),
                ],
                capture_output=True,
                check=True,
            )
            print(f"\nhotline serve --workers 2 --no-worker; wrk -t2 -c{args.connections}:")
            # Round-robin, so that other work on a shared machine falls on every kind alike.
            runs: dict[str, list[WrkResult]] = {"/healthz": [], **{what: [] for what in urls}}
            for _ in range(args.repeat):
                runs["/healthz"].append(wrk(base + "/healthz", args.seconds, args.connections))
                for what, target in urls.items():
                    runs[what].append(wrk(target, args.seconds, args.connections, script))
            healthz = max(runs["/healthz"], key=lambda r: r.requests_per_second)
            for what, results in runs.items():
                best = max(results, key=lambda r: r.requests_per_second)
                ratio = best.requests_per_second / healthz.requests_per_second
                print(f"  {what:24} {describe(best)}; all: {rates(results)}; x{ratio:.2f} healthz")
            children = _descendants(server.pid)
            sizes = ", ".join(f"{rss_mb(pid):.0f} MB" for pid in children)
            print(f"  RSS of the server's processes after the load: {sizes}")
            print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            server.terminate()
            server.wait(timeout=60)


def _descendants(pid: int) -> list[str]:
    parents = {p.name: _parent(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()}
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append(child)
                todo.append(int(child))
    return found


def _parent(pid: str) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return -1
    return int(stat.rsplit(")", 1)[1].split()[1])


if __name__ == "__main__":
    main()
