"""The test world's web server (DESIGN.md: "web servers that serve synthetic pages and images"):
a real HTTP server on 127.0.0.1, a tiny ASGI app served by uvicorn in a thread, so the code under
test opens real connections (hundreds at once, for the re-check's batches).

A test says what the world serves and changes it on cue:

    world.page("/gallery", "<img src='/a.png'>", host="site-1.test")
    world.image("/a.png", images.shapes(seed=1))
    world.redirect("/old", "/gallery")
    world.remove("/a.png", status=410)   # the host took it down
    world.restore("/a.png")              # ... and put it back

Content is looked up by (Host header without port, path) first, then by path on any host, so
`http://site-1.test:PORT/gallery` (the DNS world answers 127.0.0.1 for *.test) and
`http://127.0.0.1:PORT/gallery` both work. Generated images live in this module too: shapes,
noise and text drawn with PIL, never anything else.
"""

from __future__ import annotations

import asyncio
import io
import random
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np
import uvicorn
from PIL import Image, ImageDraw, ImageFilter
from uvicorn.protocols.http.h11_impl import H11Protocol

Scope = dict[str, Any]


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str = ""
    delay: float = 0.0  # seconds before the headers (a server that hangs)
    cookie: str = ""  # a Set-Cookie header to send


class WorldWeb:
    def __init__(self) -> None:
        self._content: dict[tuple[str, str], Response] = {}
        self._removed: dict[tuple[str, str], Response] = {}
        self.hits: Counter[str] = Counter()  # path -> requests served
        self.cookies_seen: list[str] = []  # the Cookie header of every request ("" for none)
        # What the fetcher's bound on connections is checked against (clear() resets them).
        self.peak_connections = 0  # TCP connections open at once, at the most
        self.connections_made = 0
        self.in_flight = 0  # requests being answered now
        self.peak_in_flight = 0
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            interface="asgi3",
            backlog=2048,
            timeout_graceful_shutdown=1,
            http=self._counting_protocol(),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> WorldWeb:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test world's web server did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()

    # --- what the world serves ----------------------------------------------------------------

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        """The address of `path` on this server under the name `host`."""
        return f"http://{host}:{self.port}{path}"

    def clear(self) -> None:
        """Serve nothing (between tests)."""
        self._content.clear()
        self._removed.clear()
        self.hits.clear()
        self.cookies_seen.clear()
        self.peak_connections = self.connections_made = self.peak_in_flight = 0

    def page(
        self, path: str, html: str, *, host: str = "", status: int = 200, cookie: str = ""
    ) -> None:
        self._content[host, path] = Response(status, html.encode(), cookie=cookie)

    def image(self, path: str, data: bytes, *, host: str = "", content_type: str = "") -> None:
        kind = content_type or ("image/png" if data.startswith(b"\x89PNG") else "image/jpeg")
        self._content[host, path] = Response(200, data, kind)

    def raw(self, path: str, body: bytes, content_type: str, *, host: str = "") -> None:
        self._content[host, path] = Response(200, body, content_type)

    def redirect(self, path: str, to: str, *, host: str = "", status: int = 302) -> None:
        self._content[host, path] = Response(status, b"", location=to)

    def slow(self, path: str, seconds: float, *, host: str = "") -> None:
        """`path` answers only after `seconds` (a server that hangs)."""
        self._content[host, path] = Response(200, b"late", delay=seconds)

    def remove(self, path: str, *, status: int = 404, host: str = "") -> None:
        """The content at `path` is taken down: it answers `status` until restored."""
        self._removed[host, path] = self._content.pop((host, path))
        self._content[host, path] = Response(status, b"<title>Not found</title>")

    def restore(self, path: str, *, host: str = "") -> None:
        self._content[host, path] = self._removed.pop((host, path))

    # --- the ASGI app -------------------------------------------------------------------------

    def _counting_protocol(self) -> type[H11Protocol]:
        """uvicorn's HTTP/1.1 protocol, counting the connections open at once."""
        web = self

        class Counting(H11Protocol):
            def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
                super().connection_made(transport)
                web.connections_made += 1
                # A fetcher closes an idle connection and then opens one: on loopback the
                # FIN is here before the SYN, but this loop may accept the new connection
                # before it reads the old one's end. A connection whose client has hung up
                # is not open on the client's side, which is what the bound is about.
                still_open = [
                    other
                    for other in self.server_state.connections
                    if other is self or not _client_hung_up(other.transport)
                ]
                web.peak_connections = max(web.peak_connections, len(still_open))

        return Counting

    def _find(self, host: str, path: str) -> Response:
        found = self._content.get((host, path)) or self._content.get(("", path))
        return found or Response(404, b"<title>Not found</title>")

    async def _app(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode().rsplit(":", 1)[0]
        path = scope["path"]
        self.hits[path] += 1
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            response = self._find(host, path)
            if response.delay:
                await asyncio.sleep(response.delay)
            out = [(b"content-type", response.content_type.encode()), (b"server", b"world-web")]
            if response.location:
                out.append((b"location", response.location.encode()))
            if response.cookie:
                out.append((b"set-cookie", response.cookie.encode()))
            self.cookies_seen.append(headers.get(b"cookie", b"").decode())
            await send({"type": "http.response.start", "status": response.status, "headers": out})
            await send({"type": "http.response.body", "body": response.body})
        finally:
            self.in_flight -= 1


# --- generated images ---------------------------------------------------------------------------


def _encode(image: Image.Image, kind: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def shapes_image(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """Coloured rectangles and ellipses, different for every seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x0, y0, x0 + rng.randrange(20, 160), y0 + rng.randrange(20, 120))
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


def shapes(seed: int, kind: str = "PNG", **options: Any) -> bytes:
    """A shapes image (shapes_image) encoded as PNG (default) or JPEG."""
    return _encode(shapes_image(seed), kind, **options)


def noise(seed: int, size: tuple[int, int] = (128, 128)) -> bytes:
    """A PNG of random pixels."""
    rng = random.Random(seed)
    return _encode(Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3)), "PNG")


def text(words: str, size: tuple[int, int] = (320, 120)) -> bytes:
    """A PNG of `words` in black on white."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((10, 40), words, fill="black")
    return _encode(image, "PNG")


def reencoded(data: bytes, *, quality: int = 70) -> bytes:
    """The same picture saved again as JPEG at `quality` (other bytes, nearly the same pixels)."""
    return _encode(Image.open(io.BytesIO(data)).convert("RGB"), "JPEG", quality=quality)


def scene_image(seed: int, size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """A photo-like picture, different for every seed: uneven light (a coarse random field
    blown up smoothly, and a gradient top to bottom), shapes, a caption, a slight blur and
    sensor grain. Only that: nothing in it resembles a person."""
    rng = random.Random(seed)
    grain = np.random.default_rng(seed)
    width, height = size
    light = Image.fromarray(grain.integers(0, 256, (6, 8, 3), dtype=np.uint8), "RGB")
    image = light.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(10, 40)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        box = (
            x0,
            y0,
            x0 + rng.randrange(width // 40, width // 4),
            y0 + rng.randrange(height // 40, height // 4),
        )
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    for _ in range(rng.randrange(1, 5)):
        place = (rng.randrange(width), rng.randrange(height))
        font_size = rng.randrange(height // 30, height // 8)
        draw.text(place, f"hotline test world {seed}", fill="white", font_size=font_size)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2)))
    pixels = np.asarray(image, dtype=np.int16)
    pixels += np.linspace(rng.randrange(-60, 1), rng.randrange(0, 61), height, dtype=np.int16)[
        :, None, None
    ]
    pixels += grain.integers(-12, 13, (height, width, 1), dtype=np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def scene(seed: int, size: tuple[int, int] = (1600, 1200), *, quality: int = 90) -> bytes:
    """A scene_image as a JPEG at `quality`, as a camera or a website saves a photograph."""
    return _encode(scene_image(seed, size), "JPEG", quality=quality)


def _client_hung_up(transport: asyncio.BaseTransport | None) -> bool:
    """Whether the client's end of a connection is closed: its FIN waits to be read
    (an empty peek), or the server has already closed the transport."""
    if transport is None or transport.is_closing():
        return True
    raw = transport.get_extra_info("socket")
    if raw is None:
        return False
    with socket.socket(fileno=socket.dup(raw.fileno())) as peek:
        try:
            return peek.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False  # nothing to read: the connection is open and idle
        except OSError:
            return True  # reset by the client
