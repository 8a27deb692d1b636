"""Benchmark of intake through `hotline serve` on PostgreSQL, against the cheapest view.

Targets (issue "Anonymous reporting"): report form POSTs at no less than 0.3x the throughput of
`/healthz` measured in the same run; no lower throughput with 4 web workers than with 2; p99
under 100 ms at a steady 100 reports/s. Synchronous commit stays on (PostgreSQL's default; the
script checks it), and a reference is only ever shown after the commit.

For each worker count, the script starts `hotline serve` (web workers plus the task worker, as
deployed) on a fresh database, measures `/healthz` and then the report form with wrk (closed
loop, every request a new report with a new address), then sends reports at a fixed rate from
an open-loop generator (a request leaves on schedule whether or not earlier ones answered, so
queueing shows in the latency). The worker attaches the reports to their cases while the load
runs, as in production; each measurement starts with its backlog cleared. Afterwards the
script checks every item reached its case and runs `hotline audit verify`: the load must leave
nothing behind.

    HOTLINE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/hotline \\
      .venv/bin/python bench/bench_intake_serve.py [--workers 2 4] [--seconds 10] [--rate 100]

Needs wrk (Debian package `wrk`) and a PostgreSQL server; creates and drops the database
`hotline_bench_serve` on it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
from common import percentile

from tests.world.dns import WorldDns

ROOT = Path(__file__).resolve().parents[1]
HOTLINE = ROOT / ".venv" / "bin" / "hotline"
DATABASE = "hotline_bench_serve"
FORM_PATH = "/tn/en/report/"

# wrk's request generator: each request a new report of a new address, so every one is a
# real insert and a new case (one address repeated would measure one hot row instead).
WRK_SCRIPT = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function request()
  counter = counter + 1
  local body = "csrfmiddlewaretoken=%(token)s&content_seen=images&found_on=website"
    .. "&follow_up=none&urls=http%%3A%%2F%%2Fwrk-%(run)s-" .. tid .. "-" .. counter
    .. ".example%%2Fpage"
  return wrk.format("POST", "%(path)s", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=%(cookie)s",
  }, body)
end
"""


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: str


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=100, help="reports/s of the steady run")
    parser.add_argument("--rate-seconds", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="wrk runs of each; best is kept")
    parser.add_argument(
        "--web-only",
        action="store_true",
        help="serve without the worker (attachment and sealing wait until after the load)",
    )
    parser.add_argument(
        "--worker-nice",
        type=int,
        default=None,
        help="the worker's niceness (hotline serve --worker-nice; default: serve's own)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per web process (HOTLINE_WEB_THREADS; default: serve's own)",
    )
    args = parser.parse_args()
    url = os.environ.get("HOTLINE_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set HOTLINE_DATABASE_URL to a PostgreSQL server (the database is made here).")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk).")
    server_url = url.rsplit("/", 1)[0]
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} CPUs; wrk -t2 -c{args.connections}")
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        version = admin.execute("SHOW server_version").fetchone()
        commit = admin.execute("SHOW synchronous_commit").fetchone()
        print(f"PostgreSQL {version[0] if version else '?'}; synchronous_commit={commit}")
        if commit is None or commit[0] != "on":
            sys.exit("synchronous_commit is not on: figures would not count (see the docstring).")
    for workers in args.workers:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {DATABASE}")
        try:
            run(workers, f"{server_url}/{DATABASE}", args)
        finally:
            with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def run(workers: int, database_url: str, args: argparse.Namespace) -> None:
    # The worker captures each new case's page: the test world's DNS server answers its
    # lookups (NXDOMAIN for these .example names), so none leaves this machine.
    with tempfile.TemporaryDirectory(prefix="hotline-bench-serve-") as tmp, WorldDns() as dns:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "DJANGO_"))},
            "HOTLINE_DATABASE_URL": database_url,
            "HOTLINE_VAR_DIR": tmp,
            "HOTLINE_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "HOTLINE_ALLOWED_HOSTS": "127.0.0.1",
            # Plain HTTP on loopback: no redirect to https, cookies without the Secure flag.
            "HOTLINE_SSL_REDIRECT": "0",
            "HOTLINE_SECURE_COOKIES": "0",
            "HOTLINE_DNS_NAMESERVERS": f"127.0.0.1:{dns.port}",
            **({} if args.threads is None else {"HOTLINE_WEB_THREADS": str(args.threads)}),
        }
        launch_file = Path(tmp) / "tn.toml"
        # The demo portal, with rate limits out of the way: one load generator is one client.
        launch_file.write_text(
            (ROOT / "portals" / "tn.toml").read_text()
            + "\n[settings]\nreports_per_client_per_hour = 1000000\n"
            "reports_per_portal_per_hour = 1000000\n"
        )
        for command in (["migrate", "-v0"], ["portal", "launch", str(launch_file)]):
            subprocess.run([str(HOTLINE), *command], env=env, check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                *(str(HOTLINE), "serve", "--bind", f"127.0.0.1:{port}"),
                *("--workers", str(workers), *(["--no-worker"] if args.web_only else [])),
                *([] if args.worker_nice is None else ["--worker-nice", str(args.worker_nice)]),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_for(f"{base}/healthz")
            cookie, token = csrf_pair(base)
            script = Path(tmp) / "report.lua"
            script.write_text(
                WRK_SCRIPT
                % {"token": token, "cookie": cookie, "path": FORM_PATH, "run": f"w{workers}"}
            )
            wrk(base + "/healthz", 3, args.connections)  # warm-up: imports, connections
            wrk(base + FORM_PATH, 3, args.connections, script)
            # Each run starts with the worker idle, so one's backlog does not slow the next.
            if not args.web_only:
                wait_for_attachment(database_url)
            # Best of N for both: gunicorn's processes share one listening socket, and which
            # process accepts wrk's keep-alive connections varies from run to run; a lopsided
            # split leaves a core idle (seen: /healthz at 660 and at 1,800 requests/s).
            healthz_runs, intake_runs = [], []
            for _ in range(args.repeat):
                healthz_runs.append(wrk(base + "/healthz", args.seconds, args.connections))
            for _ in range(args.repeat):
                intake_runs.append(wrk(base + FORM_PATH, args.seconds, args.connections, script))
                if not args.web_only:
                    wait_for_attachment(database_url)
            healthz = max(healthz_runs, key=lambda r: r.requests_per_second)
            intake = max(intake_runs, key=lambda r: r.requests_per_second)
            worker = "web only; the worker attaches afterwards" if args.web_only else "+ the worker"
            print(f"\n{workers} web workers ({worker}), best of {args.repeat}:")
            print(f"  /healthz      {describe(healthz)}; all: {rates(healthz_runs)}")
            print(f"  report POST   {describe(intake)}; all: {rates(intake_runs)}")
            ratio = intake.requests_per_second / healthz.requests_per_second
            print(f"  intake / healthz = {ratio:.2f}")
            steady = asyncio.run(
                open_loop(port, cookie, token, args.rate, args.rate_seconds, f"r{workers}")
            )
            print(
                f"  steady {args.rate} reports/s for {args.rate_seconds} s: "
                f"{steady['answered']} of {steady['sent']} answered with the receipt redirect, "
                f"p50 {steady['p50']:.1f} ms, p99 {steady['p99']:.1f} ms, "
                f"max {steady['max']:.1f} ms"
            )
            if not args.web_only:
                drained = wait_for_attachment(database_url)
                print(f"  every item attached to its case {drained:.1f} s after the load ended")
        finally:
            server.terminate()
            server.wait(timeout=60)
        if args.web_only:
            started = time.monotonic()
            subprocess.run(
                [str(HOTLINE), "worker", "--batch"], env=env, check=True, capture_output=True
            )
            wait_for_attachment(database_url)
            print(f"  the worker then attached the backlog in {time.monotonic() - started:.1f} s")
        verify = subprocess.run(
            [str(HOTLINE), "audit", "verify"], env=env, capture_output=True, text=True
        )
        print("  " + (verify.stdout or verify.stderr).strip().split(";")[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def csrf_pair(base: str) -> tuple[str, str]:
    with urllib.request.urlopen(base + FORM_PATH, timeout=10) as response:
        cookie = re.search(r"csrftoken=([^;]+)", response.headers.get("Set-Cookie", ""))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.read().decode())
    if cookie is None or token is None:
        raise RuntimeError("the report form gave no CSRF cookie and token")
    return cookie.group(1), token.group(1)


def wrk(url: str, seconds: int, connections: int, script: Path | None = None) -> WrkResult:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"(Non-2xx or 3xx responses: \d+|Socket errors:[^\n]+)", out)
    if rps is None or p50 is None or p99 is None:
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return WrkResult(
        float(rps.group(1)), to_ms(p50), to_ms(p99), errors.group(1) if errors else "no errors"
    )


def to_ms(match: re.Match[str]) -> float:
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def rates(results: list[WrkResult]) -> str:
    return ", ".join(f"{r.requests_per_second:.0f}" for r in results)


def describe(result: WrkResult) -> str:
    return (
        f"{result.requests_per_second:8.0f} requests/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms ({result.errors})"
    )


async def open_loop(
    port: int, cookie: str, token: str, rate: int, seconds: int, run: str
) -> dict[str, float]:
    """Send `rate` reports a second on schedule, each on its own connection; time each."""
    latencies: list[float] = []
    answered = 0

    async def one(number: int) -> None:
        nonlocal answered
        body = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "urls": f"http://steady-{run}-{number}.example/page",
                "content_seen": "images",
                "found_on": "website",
                "follow_up": "none",
            }
        ).encode()
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                f"POST {FORM_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                f"Cookie: csrftoken={cookie}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()
        writer.close()
        latencies.append(time.perf_counter() - started)
        if status_line.split()[1:2] == [b"302"]:
            answered += 1

    tasks = []
    start = time.perf_counter()
    total = rate * seconds
    for number in range(total):
        # On schedule, whatever the earlier requests are doing: that is what an open loop is.
        await asyncio.sleep(max(0.0, start + number / rate - time.perf_counter()))
        tasks.append(asyncio.create_task(one(number)))
    await asyncio.gather(*tasks)
    ms = [s * 1000 for s in latencies]
    return {
        "sent": total,
        "answered": answered,
        "p50": percentile(ms, 50),
        "p99": percentile(ms, 99),
        "max": max(ms),
    }


def wait_for_attachment(database_url: str) -> float:
    started = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as db:
        while True:
            row = db.execute("SELECT count(*) FROM intake_reportitem WHERE case_id IS NULL")
            waiting = row.fetchone()
            if waiting is not None and waiting[0] == 0:
                return time.monotonic() - started
            if time.monotonic() - started > 300:
                raise RuntimeError(f"{waiting} items still wait for their case after 5 minutes")
            time.sleep(0.5)


if __name__ == "__main__":
    main()
