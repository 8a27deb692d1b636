"""`hotline serve` keeps answering while hundreds of clients trickle their requests.

Two hundred connections send their headers a line at a time and forty send their bodies a few
bytes at a time (with gunicorn's sync workers, a handful of these took the site down); all
the while /healthz answers and a real report is filed, each in well under a second.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.core.test_cli import environment, run, serving

pytestmark = pytest.mark.alone  # answers "well under a second" are measured


@pytest.fixture(scope="module")
def demo_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated site with the demo portals, for each test's server in turn."""
    var = tmp_path_factory.mktemp("var")
    assert run("migrate", "-v0", var=var).returncode == 0
    assert run("loaddemo", var=var).returncode == 0
    return var


SLOW_HEADERS = 200
SLOW_BODIES = 40


def trickle(port: int, stop: threading.Event, body: bool) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            if body:
                conn.sendall(
                    b"POST /tn/fr/report/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 100000\r\n\r\n"
                )
            else:
                conn.sendall(b"GET /tn/fr/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while not stop.wait(0.5):
                conn.sendall(b"urls=a" if body else b"X-Slow: yes\r\n")
    except OSError:
        pass  # the server may close it: that is allowed


def timed_get(url: str) -> float:
    start = time.monotonic()
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
    return time.monotonic() - start


def test_slow_clients_do_not_starve_the_server(demo_var: Path) -> None:
    stop = threading.Event()
    with serving("--workers", "1", "--no-worker", env=environment(demo_var)) as (port, _):
        base = f"http://127.0.0.1:{port}"
        slow = [
            threading.Thread(target=trickle, args=(port, stop, n < SLOW_BODIES), daemon=True)
            for n in range(SLOW_HEADERS + SLOW_BODIES)
        ]
        for thread in slow:
            thread.start()
        time.sleep(3)  # every slow connection is open and trickling

        health = [timed_get(f"{base}/healthz") for _ in range(10)]
        assert max(health) < 1.0, health

        # A real reporter, cookie and token and all, gets through.
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        start = time.monotonic()
        form = opener.open(f"{base}/tn/en/report/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        assert token is not None
        data = f"urls=http%3A%2F%2Freal.example%2F&csrfmiddlewaretoken={token.group(1)}"
        request = urllib.request.Request(
            f"{base}/tn/en/report/", data=data.encode(), headers={"Referer": f"{base}/"}
        )
        with opener.open(request, timeout=10) as response:
            page = response.read().decode()
        assert re.search(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}", page), page[:500]
        assert time.monotonic() - start < 2.0
        stop.set()


def read_all(conn: socket.socket) -> bytes:
    received = b""
    while chunk := conn.recv(4096):
        received += chunk
    return received


def test_a_request_that_never_arrives_whole_is_answered_408(demo_var: Path) -> None:
    env = {**environment(demo_var), "HOTLINE_REQUEST_SECONDS": "2"}
    with serving("--workers", "1", "--no-worker", env=env) as (port, _):

        def trickled(opening: bytes, drip: bytes) -> tuple[bytes, float]:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
                started = time.monotonic()
                conn.sendall(opening)
                try:
                    for _ in range(8):  # longer than the deadline, were it not enforced
                        time.sleep(0.5)
                        conn.sendall(drip)
                except OSError:
                    pass  # closed on us: what this test expects
                return read_all(conn), time.monotonic() - started

        headers, took = trickled(b"GET /tn/fr/ HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: 1\r\n")
        assert headers.startswith(b"HTTP/1.1 408 ") and 1.5 < took < 4.5
        body, took = trickled(
            b"POST /tn/fr/report/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
            b"urls=a",
        )
        assert body.startswith(b"HTTP/1.1 408 ") and 1.5 < took < 4.5

        # On a kept-alive connection: the first request is answered, the trickled second one
        # gets a deadline of its own.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            first = b""
            while b'{"status": "ok"}' not in first:  # the whole first response, body included
                chunk = conn.recv(4096)
                assert chunk, first
                first += chunk
            assert first.startswith(b"HTTP/1.1 200 ")
            conn.sendall(b"GET /healthz HTTP/1.1\r\n")
            assert read_all(conn).startswith(b"HTTP/1.1 408 ")

        # A request sent whole in good time is served as ever.
        assert timed_get(f"http://127.0.0.1:{port}/healthz") < 1.0
