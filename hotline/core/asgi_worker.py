"""The web worker `hotline serve` runs: uvicorn's event loop in front of Django.

With gunicorn's sync workers, a client that sends its headers or body a byte at a time holds a
whole worker until it times out: a few such clients take the site down. Here the event loop
reads requests as they trickle in, holding a few kilobytes per connection, and hands Django
only complete requests (hotline/asgi.py, core/wsgi_bridge.py), which a few threads run.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker


class HotlineWorker(UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {
        "loop": "asyncio",
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
