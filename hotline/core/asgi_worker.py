"""The web worker `hotline serve` runs: uvicorn's event loop in front of Django.

With gunicorn's sync workers, a client that sends its headers or body a byte at a time holds a
whole worker until it times out: a few such clients take the site down. Here the event loop
reads requests as they trickle in, holding a few kilobytes per connection, and hands Django
only complete requests (hotline/asgi.py, core/wsgi_bridge.py), which a few threads run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

from uvicorn_worker import UvicornWorker

from hotline.core.processes import stop_with_parent


class HotlineWorker(UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {
        # One connection accepted at a time, so the processes share them (OneAcceptLoop).
        "loop": "hotline.core.asgi_worker:OneAcceptLoop",
        # h11 with a deadline for each request to arrive whole (HOTLINE_REQUEST_SECONDS).
        "http": "hotline.core.http_deadline:DeadlineH11Protocol",
        # Client addresses: Hotline reads X-Forwarded-For itself, as far as it is told to
        # trust it (HOTLINE_TRUSTED_PROXY_HOPS); uvicorn must not rewrite them.
        "proxy_headers": False,
        "server_header": False,
        # Headers larger than this are refused (431) instead of buffered without end.
        "h11_max_incomplete_event_size": 32 * 1024,
        # Beyond this many open connections a process answers 503 at once.
        "limit_concurrency": 4000,
        "timeout_graceful_shutdown": 10,
    }

    def init_process(self) -> None:
        # A session of its own, so that where Linux schedules sessions as groups (autogroup)
        # each web process gets a share of the CPU as each PostgreSQL backend does, instead
        # of all web processes sharing one (docs/benchmarks.md). The arbiter still signals it
        # by its process id.
        with contextlib.suppress(OSError):
            os.setsid()
        # uvicorn's worker never checks that its arbiter lives: one the arbiter forked just
        # before it was killed outright kept the port open with no one to stop it.
        stop_with_parent(self.ppid)
        super().init_process()


class OneAcceptLoop(asyncio.SelectorEventLoop):
    """asyncio's event loop, except that it accepts one connection each time the listening
    socket is ready instead of every one waiting.

    gunicorn's processes share one listening socket, and each wakes when a connection waits.
    asyncio's loop then accepts up to a hundred at once, so the first process awake takes a
    whole burst: a proxy's or a load generator's 16 keep-alive connections all went to one
    process in half of the tries, leaving the other core idle for as long as they lived
    (/healthz at 450-560 requests/s instead of 1,300-1,600). Taking one and going back to the
    loop lets the other processes take theirs (6-10 of 16 each, tests/core/
    test_serve_balance.py), as nginx does with `multi_accept off`. The listen backlog itself
    is unchanged (uvicorn's 2048), so a burst still queues in the kernel.
    """

    def _accept_connection(  # type: ignore[no-untyped-def]
        self, protocol_factory, sock, sslcontext=None, server=None, backlog=100, *args, **kwargs
    ) -> None:
        super()._accept_connection(  # type: ignore[misc]
            protocol_factory, sock, sslcontext, server, 1, *args, **kwargs
        )
