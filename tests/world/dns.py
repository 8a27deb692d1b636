"""The test world's DNS server (DESIGN.md: "a DNS server that answers `*.test` names with
127.0.0.x addresses"): real DNS over UDP on a loopback port, for resolvers and code under test.

Every name under `.test` has an A record: 127.0.0.1 unless a test gives it another in
`answers`; an AAAA record only where a test gives one in `aaaa`; other types under `.test` have
no data (NOERROR, empty); any other name does not exist here (NXDOMAIN). A name in `cnames` is
an alias instead (CNAME, no other records), and the answer carries the chain down to the
target's records as an authoritative server does for targets in its zone. Queries are counted
per name, so a test can tell what was asked.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from types import TracebackType

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TEST = dns.name.from_text("test.")
MAX_CHAIN = 8  # aliases followed within the zone before giving up on a loop


class WorldDns:
    def __init__(self) -> None:
        self.answers: dict[str, str] = {}  # name -> IPv4 address (default 127.0.0.1)
        self.aaaa: dict[str, str] = {}  # name -> IPv6 address (default: none)
        self.cnames: dict[str, str] = {}  # alias -> target name
        self.asked: Counter[str] = Counter()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> WorldDns:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # Closing a socket does not wake a thread blocked in recvfrom on Linux: a datagram
        # does, and the loop sees it is stopping.
        self._stopping = True
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as wake:
            wake.sendto(b"", ("127.0.0.1", self.port))
        self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        while True:
            try:
                wire, client = self._socket.recvfrom(4096)
            except OSError:
                return
            if self._stopping:
                return
            try:
                query = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue
            self._socket.sendto(self._answer(query).to_wire(), client)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        (question,) = query.question
        name = question.name.to_text().lower()
        self.asked[name.rstrip(".")] += 1
        if not question.name.is_subdomain(TEST):
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        owner = question.name
        for _ in range(MAX_CHAIN):
            target = self.cnames.get(owner.to_text().lower().rstrip("."))
            if target is None:
                break
            response.answer.append(
                dns.rrset.from_text(owner, 60, dns.rdataclass.IN, "CNAME", target.rstrip(".") + ".")
            )
            owner = dns.name.from_text(target)
            if question.rdtype == dns.rdatatype.CNAME or not owner.is_subdomain(TEST):
                return response  # the resolver follows a target outside the zone itself
        key = owner.to_text().lower().rstrip(".")
        if question.rdtype == dns.rdatatype.A:
            address = self.answers.get(key, "127.0.0.1")
            response.answer.append(dns.rrset.from_text(owner, 60, dns.rdataclass.IN, "A", address))
        elif question.rdtype == dns.rdatatype.AAAA and key in self.aaaa:
            response.answer.append(
                dns.rrset.from_text(owner, 60, dns.rdataclass.IN, "AAAA", self.aaaa[key])
            )
        return response
