"""The test world's Tor stand-in: a SOCKS5 proxy on loopback (RFC 1928, no authentication,
CONNECT only) that takes host names as given (socks5h, as a Tor client's SOCKS port does) and
connects every `.onion` name to the test world's web server. Other names are refused, as a
Tor client refuses what it cannot reach; what it was asked is recorded."""

from __future__ import annotations

import asyncio
import struct
import threading
from types import TracebackType


class WorldSocks:
    def __init__(self, *, web_port: int) -> None:
        self.web_port = web_port
        self.asked: list[tuple[str, int]] = []
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorldSocks:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"socks5h://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        server.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            version, methods = await reader.readexactly(2)
            await reader.readexactly(methods)
            writer.write(b"\x05\x00")  # no authentication
            _, command, _, kind = await reader.readexactly(4)
            if kind == 3:  # a domain name, resolved by the proxy (socks5h)
                host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            else:
                size = 4 if kind == 1 else 16
                host = str(await reader.readexactly(size))
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            self.asked.append((host, port))
            if version != 5 or command != 1 or not host.endswith(".onion"):
                writer.write(b"\x05\x04\x00\x01" + bytes(6))  # host unreachable
                await writer.drain()
                return
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.web_port
            )
            writer.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01" + struct.pack("!H", port))
            await writer.drain()
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    try:
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    finally:
        sink.close()
