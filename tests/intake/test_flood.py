"""THE FLOOD TEST: 10,000 junk reports in a minute, and every real report still goes first.

`hotline serve` (four web processes, as README advises for two cores; behind a pretend proxy:
HOTLINE_TRUSTED_PROXY_HOPS=1) gets
10,000 junk report submissions within one minute, each from another address (2001:db8::/32,
in X-Forwarded-For), each with a valid CSRF cookie and token so it reaches the form's logic.
Meanwhile a real reporter arrives every half second: fetches the form and a challenge, solves
it (the altcha library, in a process of its own, as a browser's script would) and sends the
report. Afterwards every real report has had its reference page and is in the database,
verified, ahead of every junk case in the analysts' queue; the difficulty rose to its flood
level; /healthz answered quickly throughout. The numbers are printed (run with -s).

The portal's flood limit is set to 50 unverified reports an hour (each web process counts on
its own without Redis, so up to 200 get through): what stops the junk is that limit, what lets
the real reports through and to the front is their proof of work.

Runs on SQLite (a file in a temp dir) or, when HOTLINE_DATABASE_URL names PostgreSQL, on a
database of its own next to the test database (`<name>_flood`, dropped afterwards). Nothing in
this module touches Django at import: the solver process imports it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import altcha
import h11
import pytest

from tests.core.test_cli import environment, run
from tests.core.test_cli import serving as serve

# `database`: it hands HOTLINE_DATABASE_URL to the server it starts, so it runs on both.
pytestmark = [pytest.mark.flood, pytest.mark.database, pytest.mark.alone]

JUNK = 10_000
SEND_WITHIN = 55.0  # seconds: the junk is spread evenly over this, inside the minute
CONNECTIONS = 64  # keep-alive connections the junk shares
REAL_EVERY = 0.5  # seconds between real reporters
HEALTH_EVERY = 0.25  # seconds between /healthz probes
WEB_PROCESSES = 4
PORTAL_LIMIT = 50  # unverified reports an hour, per web process
REFERENCE = re.compile(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def solve(challenge: dict[str, Any]) -> tuple[str, int]:
    """(the form's `altcha` value, the counter found): what the page's script does."""
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed)
    assert solution is not None
    return altcha.Payload(parsed, solution).to_base64(), solution.counter


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]
    body: bytes


class Connection:
    """One keep-alive HTTP/1.1 connection to the server (h11 over asyncio streams)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self.http = h11.Connection(h11.CLIENT)

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> Response:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
            self.http = h11.Connection(h11.CLIENT)
        reader, writer = self.streams
        sent = {"Host": f"127.0.0.1:{self.port}", **headers}
        if body:
            sent["Content-Length"] = str(len(body))
        data = self.http.send(h11.Request(method=method, target=target, headers=list(sent.items())))
        data += self.http.send(h11.Data(data=body)) if body else b""
        data += self.http.send(h11.EndOfMessage())
        writer.write(data)
        await writer.drain()
        status, received, cookies, content = 0, {}, {}, b""
        while True:
            event = self.http.next_event()
            if event is h11.NEED_DATA:
                chunk = await reader.read(65536)
                self.http.receive_data(chunk)
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
                for name, value in event.headers:
                    received[name.decode().lower()] = value.decode()
                    if name.lower() == b"set-cookie":
                        key, _, rest = value.decode().partition("=")
                        cookies[key] = rest.split(";")[0]
            elif isinstance(event, h11.Data):
                content += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
        if self.http.our_state is h11.DONE and self.http.their_state is h11.DONE:
            self.http.start_next_cycle()
        else:
            await self.close()
        if not status:
            raise ConnectionResetError(f"{method} {target}: closed before an answer")
        return Response(status, received, cookies, content)

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


FORM = "application/x-www-form-urlencoded"


@dataclass
class Flood:
    port: int
    junk: Counter[int] = field(default_factory=Counter)
    junk_sent_in: float = 0.0  # when the last junk request went out, from the start
    junk_answered_in: float = 0.0  # when the last answer came
    junk_errors: list[str] = field(default_factory=list)
    health: list[float] = field(default_factory=list)
    health_at: list[float] = field(default_factory=list)  # seconds into the flood
    health_failures: list[str] = field(default_factory=list)
    real: dict[str, str] = field(default_factory=dict)  # reference: its URL
    real_failures: list[str] = field(default_factory=list)
    real_seconds: list[float] = field(default_factory=list)
    counters: list[int] = field(default_factory=list)

    async def csrf(self, conn: Connection, address: str) -> tuple[str, str]:
        """(cookie, token) of the report form, as a browser gets them."""
        page = await conn.request("GET", "/tn/en/report/", {"X-Forwarded-For": address})
        token = TOKEN.search(page.body.decode())
        assert page.status == 200 and token is not None, page.status
        return page.cookies["csrftoken"], token.group(1)

    async def send_junk(self, start: float) -> None:
        first = Connection(self.port)
        cookie, token = await self.csrf(first, "2001:db8::ffff")
        await first.close()
        numbers = iter(range(JUNK))
        interval = SEND_WITHIN / JUNK

        async def one_connection() -> None:
            conn = Connection(self.port)
            for n in numbers:
                await asyncio.sleep(max(0.0, start + n * interval - time.monotonic()))
                body = urlencode(
                    {"csrfmiddlewaretoken": token, "urls": f"http://junk-{n}.example/"}
                )
                headers = {
                    "Cookie": f"csrftoken={cookie}",
                    "Content-Type": FORM,
                    "X-Forwarded-For": f"2001:db8::{n // 65536:x}:{n % 65536:x}",
                }
                self.junk_sent_in = time.monotonic() - start
                try:
                    response = await conn.request("POST", "/tn/en/report/", headers, body.encode())
                    self.junk[response.status] += 1
                except (OSError, h11.ProtocolError) as exc:
                    self.junk_errors.append(repr(exc))
                    await conn.close()
                self.junk_answered_in = time.monotonic() - start
            await conn.close()

        await asyncio.gather(*(one_connection() for _ in range(CONNECTIONS)))

    async def report_for_real(self, n: int, solver: ProcessPoolExecutor) -> None:
        began = time.monotonic()
        address = f"203.0.113.{n % 250 + 1}"
        conn = Connection(self.port)
        try:
            cookie, token = await self.csrf(conn, address)
            challenge = await conn.request(
                "GET", "/tn/en/report/challenge", {"X-Forwarded-For": address}
            )
            assert challenge.status == 200, challenge.status
            loop = asyncio.get_running_loop()
            await conn.close()  # idle while solving: the server may close it meanwhile
            payload, counter = await loop.run_in_executor(solver, solve, json.loads(challenge.body))
            url = f"http://real-{n}.example/"
            body = urlencode({"csrfmiddlewaretoken": token, "urls": url, "altcha": payload})
            sent = await conn.request(
                "POST",
                "/tn/en/report/",
                {"Cookie": f"csrftoken={cookie}", "Content-Type": FORM, "X-Forwarded-For": address},
                body.encode(),
            )
            assert sent.status == 302, (sent.status, sent.body[:300])
            thanks = await conn.request(
                "GET",
                sent.headers["location"],
                {
                    "Cookie": f"hotline_receipt={sent.cookies['hotline_receipt']}",
                    "X-Forwarded-For": address,
                },
            )
            reference = REFERENCE.search(thanks.body.decode())
            assert thanks.status == 200 and reference is not None, thanks.status
            self.real[reference.group(0)] = url
            self.counters.append(counter)
            self.real_seconds.append(time.monotonic() - began)
        except (AssertionError, OSError, h11.ProtocolError, KeyError) as exc:
            self.real_failures.append(f"real-{n}: {exc!r}")
        finally:
            await conn.close()

    async def probe_health(self, start: float, until: float) -> None:
        while time.monotonic() < until:
            began = time.monotonic()
            conn = Connection(self.port)
            try:
                response = await asyncio.wait_for(conn.request("GET", "/healthz", {}), 10)
                if response.status != 200:
                    self.health_failures.append(str(response.status))
                self.health.append(time.monotonic() - began)
                self.health_at.append(began - start)
            except (OSError, h11.ProtocolError, TimeoutError) as exc:
                self.health_failures.append(repr(exc))
            finally:
                await conn.close()
            await asyncio.sleep(max(0.0, HEALTH_EVERY - (time.monotonic() - began)))

    async def run(self) -> None:
        solver = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
        try:
            await asyncio.get_running_loop().run_in_executor(solver, int, "1")  # started
            start = time.monotonic()
            health = asyncio.create_task(self.probe_health(start, start + SEND_WITHIN + 5))
            junk = asyncio.create_task(self.send_junk(start))
            reporters = []
            n = 0
            while time.monotonic() < start + SEND_WITHIN:
                reporters.append(asyncio.create_task(self.report_for_real(n, solver)))
                n += 1
                await asyncio.sleep(max(0.0, start + n * REAL_EVERY - time.monotonic()))
            await asyncio.gather(junk, *reporters)
            await health
        finally:
            solver.shutdown(cancel_futures=True)


def in_a_thread[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: after the browser tests, Playwright keeps an event
    loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


@pytest.fixture
def flood_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The server's environment, as in production but on plain HTTP on loopback: a fresh
    database, migrated, with the demo portals (made before the test's turn to run alone)."""
    var = tmp_path
    env = {
        **environment(var),
        "HOTLINE_DEBUG": "0",
        "HOTLINE_SECRET_KEY": "flood-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "HOTLINE_ALLOWED_HOSTS": "127.0.0.1",
        "HOTLINE_SSL_REDIRECT": "0",
        "HOTLINE_SECURE_COOKIES": "0",
        "HOTLINE_HSTS_SECONDS": "0",
        "HOTLINE_TRUSTED_PROXY_HOPS": "1",
        "HOTLINE_LOG_LEVEL": "WARNING",
    }
    url = os.environ.get("HOTLINE_DATABASE_URL", "")
    postgres = url.startswith(("postgres://", "postgresql://"))
    if postgres:
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip("/") + "_flood"
        admin = parts._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            db.execute(f'CREATE DATABASE "{name}"')
        env["HOTLINE_DATABASE_URL"] = parts._replace(path=f"/{name}").geturl()
    try:
        for command in (("migrate", "-v0"), ("loaddemo",)):
            done = run(*command, var=var, env=env)
            assert done.returncode == 0, done.stderr
        limit = (
            "from hotline.portals.models import Portal; p = Portal.objects.get(code='tn'); "
            f"p.options = {{**p.options, 'reports_per_portal_per_hour': {PORTAL_LIMIT}}}; "
            "p.save(update_fields=['options'])"
        )
        done = run("shell", "-v0", "-c", limit, var=var, env=env)
        assert done.returncode == 0, done.stderr
        yield env
    finally:
        if postgres:
            with psycopg.connect(admin, autocommit=True) as db:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def serving(env: dict[str, str]) -> Iterator[int]:
    with serve(*("--workers", str(WEB_PROCESSES)), env=env) as (port, _):
        in_a_thread(warm_up(port))
        yield port


async def warm_up(port: int) -> None:
    """A server that has been up a while: each process has loaded its templates and code."""
    for _ in range(10):
        conn = Connection(port)
        for target in ("/tn/en/report/", "/tn/en/report/challenge", "/healthz"):
            assert (await conn.request("GET", target, {})).status == 200
        await conn.close()


# What the database says afterwards, read by the `hotline` command like an operator would.
STORED = """
import json
from hotline.accounts.models import StaffUser
from hotline.assessment.queries import queue_for
from hotline.demo.loader import DEMO_ANALYST
from hotline.intake.models import Report
analyst = StaffUser.objects.get(username=DEMO_ANALYST)
print(json.dumps({
    "reports": dict(Report.objects.values_list("reference", "verified")),
    "queue": list(queue_for(analyst).values_list("canonical_url", flat=True)),
}))
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def test_a_flood_of_junk_neither_keeps_out_nor_buries_a_real_report(
    tmp_path: Path, flood_env: dict[str, str]
) -> None:
    from hotline.intake.pow import BASE_MAX_NUMBER, FLOOD_STEPS

    began, env = time.monotonic(), flood_env
    with serving(env) as port:
        ready = time.monotonic() - began
        flood = Flood(port)
        in_a_thread(flood.run())
    # The worker ran beside the web processes; one more round attaches what the flood's
    # last second filed, as it would a second later.
    assert run("worker", "--batch", var=tmp_path, env=env).returncode == 0
    stored = run("shell", "-v0", "-c", STORED, var=tmp_path, env=env)
    assert stored.returncode == 0, stored.stderr
    kept = json.loads(stored.stdout)
    real_urls = set(flood.real.values())
    queue: list[str] = kept["queue"]
    health_p99 = percentile(flood.health, 0.99)
    slowest = sorted(zip(flood.health, flood.health_at, strict=True), reverse=True)[:3]
    print(
        f"\nflood: {sum(flood.junk.values())} junk sent in {flood.junk_sent_in:.1f} s, "
        f"all answered by {flood.junk_answered_in:.1f} s: {flood.junk[302]} filed, "
        f"{flood.junk[429]} asked to wait ({dict(flood.junk)}; "
        f"{len(flood.junk_errors)} connection errors)\n"
        f"real reports: {len(flood.real)} ({len(flood.real_failures)} failed), "
        f"{statistics.median(flood.real_seconds):.2f} s median, "
        f"{max(flood.real_seconds):.2f} s max from the form to the reference page; "
        f"counters solved up to {max(flood.counters):,}\n"
        f"/healthz: {len(flood.health)} probes, "
        f"median {statistics.median(flood.health) * 1000:.0f} ms, "
        f"p99 {health_p99 * 1000:.0f} ms, max {max(flood.health) * 1000:.0f} ms (slowest at "
        + ", ".join(f"{at:.1f} s" for _, at in slowest)
        + ")\n"
        f"queue: {len(queue)} cases; server ready in {ready:.0f} s, whole test "
        f"{time.monotonic() - began:.0f} s"
    )

    # The flood happened: 10,000 junk submissions inside one minute, each answered.
    assert sum(flood.junk.values()) == JUNK and not flood.junk_errors, flood.junk_errors[:5]
    assert flood.junk_sent_in < 60 and flood.junk_answered_in < 70
    assert set(flood.junk) <= {302, 429}, flood.junk  # filed, or asked to wait: nothing else
    assert 0 < flood.junk[302] <= WEB_PROCESSES * PORTAL_LIMIT  # the limit held back the rest
    # Every real report got its reference page, is stored, verified...
    assert not flood.real_failures, flood.real_failures[:5]
    assert len(flood.real) >= SEND_WITHIN / REAL_EVERY - 2
    assert all(kept["reports"].get(reference) is True for reference in flood.real)
    # ...and is ahead of every junk case in the queue.
    assert set(queue[: len(real_urls)]) == real_urls
    assert len(queue) == len(real_urls) + flood.junk[302]
    # The difficulty rose to its top step with the flood (a counter is below its max number).
    assert max(flood.counters) > FLOOD_STEPS[-2][1] > BASE_MAX_NUMBER
    # The server stayed responsive.
    assert not flood.health_failures, flood.health_failures[:5]
    assert len(flood.health) > SEND_WITHIN / HEALTH_EVERY / 2
    assert health_p99 < 2.0
