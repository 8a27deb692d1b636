"""The test world's RDAP service: a real HTTP server on a loopback port answering
`GET {base}ip/{address}` as a regional registry does (RFC 9083 network objects), for networks
a test registers, so the RDAP client and the hosting trace run against a server, not a mock.

- `networks[cidr]` is the RDAP document served for every address in that network (use
  `network_document` for a realistic one: the abuse contact nested in the organisation);
- `redirects[cidr]` sends such queries on to another base URL (as a registry does for another
  registry's space);
- any other address is 404 with an RDAP error object.
`asked` lists the paths requested, so a test can tell what was queried (and what was cached).
"""

from __future__ import annotations

import ipaddress
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

PATH_PREFIX = "/rdap/"


def vcard(name: str, email: str = "", kind: str = "individual") -> list[Any]:
    card: list[Any] = [["version", {}, "text", "4.0"], ["fn", {}, "text", name]]
    card.append(["kind", {}, "text", kind])
    if email:
        card.append(["email", {"type": "work"}, "text", email])
    return ["vcard", card]


def network_document(
    cidr: str,
    *,
    name: str,
    country: str,
    abuse_email: str = "",
    registrant_email: str = "",
    remark_abuse: str = "",
) -> dict[str, Any]:
    """An RDAP ip network object the way registries shape it: the organisation as registrant
    with its abuse and technical contacts nested inside it."""
    network = ipaddress.ip_network(cidr)
    contacts: list[dict[str, Any]] = [
        {
            "objectClassName": "entity",
            "handle": "TECH-1",
            "roles": ["technical"],
            "vcardArray": vcard("Network Operations", "noc@hosting.example"),
        }
    ]
    if abuse_email:
        contacts.append(
            {
                "objectClassName": "entity",
                "handle": "ABUSE-1",
                "roles": ["abuse"],
                "vcardArray": vcard("Abuse desk", abuse_email, kind="group"),
            }
        )
    document: dict[str, Any] = {
        "rdapConformance": ["rdap_level_0"],
        "objectClassName": "ip network",
        "handle": f"NET-{network.network_address}",
        "startAddress": str(network.network_address),
        "endAddress": str(network.broadcast_address),
        "ipVersion": f"v{network.version}",
        "name": name,
        "country": country,
        "entities": [
            {
                "objectClassName": "entity",
                "handle": "ORG-1",
                "roles": ["registrant"],
                "vcardArray": vcard(name, registrant_email, kind="org"),
                "entities": contacts,
            }
        ],
    }
    if remark_abuse:
        document["remarks"] = [
            {"title": "Abuse contact", "description": [f"abuse-mailbox: {remark_abuse}"]}
        ]
    return document


class WorldRdap:
    def __init__(self) -> None:
        self.networks: dict[str, dict[str, Any]] = {}
        self.redirects: dict[str, str] = {}
        self.asked: list[str] = []
        world = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                world.asked.append(self.path)
                status, headers, body = world.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}{PATH_PREFIX}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> WorldRdap:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        rdap = {"Content-Type": "application/rdap+json"}
        if not path.startswith(PATH_PREFIX + "ip/"):
            return 404, rdap, b'{"errorCode": 404, "title": "Not Found"}'
        try:
            address = ipaddress.ip_address(path.removeprefix(PATH_PREFIX + "ip/"))
        except ValueError:
            return 400, rdap, b'{"errorCode": 400, "title": "Bad Request"}'
        for cidr, base in self.redirects.items():
            if address in ipaddress.ip_network(cidr):
                return 301, {"Location": f"{base}ip/{address}"}, b""
        for cidr, document in self.networks.items():
            if address in ipaddress.ip_network(cidr):
                return 200, rdap, json.dumps(document).encode()
        return 404, rdap, b'{"errorCode": 404, "title": "Not Found"}'


def write_bootstrap(path: Path, services: dict[str, list[str]], fallback: str = "") -> Path:
    """An RFC 9224 bootstrap file at `path`: {base URL: [prefixes]}, optionally a fallback."""
    document: dict[str, Any] = {
        "version": "1.0",
        "services": [[prefixes, [base]] for base, prefixes in services.items()],
    }
    if fallback:
        document["fallback"] = [fallback]
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
