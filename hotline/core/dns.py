"""The one place that turns HOTLINE_DNS_NAMESERVERS into a dnspython resolver.

Everything that resolves a reported host (the hosting trace, the safe fetcher) asks the same
servers, so that what is traced is what is fetched. The setting is a list of "ip" or "ip:port"
("[ipv6]:port" for IPv6 with a port); empty means the system's resolver (/etc/resolv.conf).
"""

from __future__ import annotations

import ipaddress

import dns.asyncresolver
import dns.nameserver
import dns.resolver
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULT_PORT = 53

# Names reserved by RFC 6761 and its successors, which never resolve on the Internet: nothing is
# hosted there, so they are answered "no such host" without asking any server (and tests, whose
# addresses all live under them, never send a query out). `.test` is the test world's: with
# HOTLINE_FETCH_ALLOW_LOOPBACK (the test settings only) it is resolved like any name.
NEVER_RESOLVED = (".example", ".invalid", ".localhost", ".local", ".internal", ".home.arpa")
TEST_WORLD = ".test"


def never_resolves(host: str) -> bool:
    """Whether `host` is a reserved name that no DNS server on the Internet answers."""
    name = "." + host.strip().rstrip(".").lower()
    if name.endswith(TEST_WORLD):
        return not getattr(settings, "HOTLINE_FETCH_ALLOW_LOOPBACK", False)
    return name.endswith(NEVER_RESOLVED) or name == ".localhost"


def parse_nameserver(name: str, raw: str) -> tuple[str, int]:
    """("ip", port) from "ip", "ip:port" or "[ipv6]:port"; ImproperlyConfigured naming `name`."""
    text = raw.strip()
    host, port = text, str(DEFAULT_PORT)
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            host = ""  # refused below
        port = rest.removeprefix(":") or port
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    try:
        address = str(ipaddress.ip_address(host))
        number = int(port)
        if not 0 < number < 65536:
            raise ValueError(port)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} has {raw!r}, which is not a name server: give IP addresses, optionally "
            'with a port, separated by commas, e.g. "127.0.0.1:5353,192.0.2.53,[2001:db8::53]:53".'
        ) from None
    return address, number


def parse_nameservers(name: str, raw: list[str]) -> list[tuple[str, int]]:
    """Every entry of the setting `name` parsed; an empty list means the system's resolver."""
    return [parse_nameserver(name, entry) for entry in raw]


def _configure(resolver: dns.resolver.BaseResolver) -> None:
    servers = parse_nameservers("HOTLINE_DNS_NAMESERVERS", settings.HOTLINE_DNS_NAMESERVERS)
    if servers:
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(address, port) for address, port in servers
        ]
    # A host that does not answer must not hold a worker for long.
    resolver.lifetime = float(settings.HOTLINE_DNS_TIMEOUT)
    resolver.timeout = min(resolver.timeout, resolver.lifetime)


def resolver() -> dns.resolver.Resolver:
    """A resolver asking HOTLINE_DNS_NAMESERVERS (or the system's), with HOTLINE_DNS_TIMEOUT."""
    built = dns.resolver.Resolver(configure=not settings.HOTLINE_DNS_NAMESERVERS)
    _configure(built)
    return built


def async_resolver() -> dns.asyncresolver.Resolver:
    """The same as resolver(), for asyncio callers."""
    built = dns.asyncresolver.Resolver(configure=not settings.HOTLINE_DNS_NAMESERVERS)
    _configure(built)
    return built
