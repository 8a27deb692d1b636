"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for receiving each whole request.

The event loop holds a trickling client cheaply, but uvicorn puts no limit on how long it may
trickle: a client sending a header line, or a byte of body, every few seconds would keep its
connection (and its buffer) for ever, and enough of them would exhaust the process's
connection limit. Each request must now arrive whole within HOTLINE_REQUEST_SECONDS of the
connection opening or of the previous response; otherwise it is answered 408 and closed. A
request that has arrived is never cut off, however long Django takes to answer it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from hotline.core.env import env_int

REQUEST_SECONDS = env_int("HOTLINE_REQUEST_SECONDS", 30)

_TIMEOUT_BODY = b"The request did not arrive in time. Please try again.\n"
TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n"
    b"connection: close\r\n\r\n" + _TIMEOUT_BODY
)


class DeadlineH11Protocol(H11Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.more_body:
            self._disarm()  # the request is all here: Django may take its time

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            # The next request on this connection gets a deadline of its own. (A pipelined
            # one already here is left alone by _expire: it is no longer arriving.)
            self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(REQUEST_SECONDS, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        cycle = self.cycle
        # Still arriving: no request yet, the next one after a response, or a body unfinished.
        arriving = cycle is None or cycle.response_complete or cycle.more_body
        if arriving and not (
            cycle is not None and cycle.response_started and not cycle.response_complete
        ):
            self.transport.write(TIMEOUT_RESPONSE)
            self.transport.close()
