"""The ASGI entry point `hotline serve` runs (uvicorn workers under gunicorn).

Django's ASGI handler reads a whole request body before any middleware sees it, so the size
cap is enforced here, in front of it: a body announced larger than HOTLINE_MAX_BODY_BYTES is
answered 413 without being read, and one that grows past it while streaming is cut off.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402  (after Django is set up)

# WhiteNoise hands static files over as synchronous iterators; they are small and served
# from memory-mapped files, so the warning Django gives for each says nothing useful.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)

# The shapes Django's ASGIHandler declares.
Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]

TOO_LARGE = b"Request too large.\n"


def _announced_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        await django_application(scope, receive, send)
        return
    limit = settings.HOTLINE_MAX_BODY_BYTES
    if _announced_length(scope) > limit:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"text/plain"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": TOO_LARGE})
        return
    received = 0

    async def bounded_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:  # a chunked body that never said how long it would be
                return {"type": "http.disconnect"}
        return message

    await django_application(scope, bounded_receive, send)
