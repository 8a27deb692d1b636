"""The outbound fetcher: the one way this system opens a connection to an address a reporter gave.

A reported URL is chosen by whoever reports it, so fetching it must never reach inside the
network the system runs in (server-side request forgery): no loopback, no private ranges, no
cloud metadata service, in any notation. How that is guaranteed:

- The URL is parsed once, by httpx's parser (the one the request is built from), and refused
  before any network traffic when its scheme is not http/https, it carries credentials, its
  port is a low port other than 80/443, or its host is an IP address outside the public
  internet, or a number in a notation browsers read as one (2130706433, 0177.0.0.1, 0x7f.1).
- Names are resolved by this module (dnspython's async resolver, the nameservers of
  HOTLINE_DNS_NAMESERVERS or the system's), never by the operating system. Every address a
  name resolves to is vetted; one bad address refuses the name (a mix of public and private
  answers is a trick, not a hosting set-up).
- The connection goes to exactly the address that was vetted: the resolution happens inside
  the network backend's `connect_tcp` (an httpcore backend of our own under httpx), which
  connects to the vetted IP literal. There is no second resolution, so a DNS answer that
  changes between the check and the connection (DNS rebinding) cannot move it. TLS still
  verifies the certificate for the name, and the Host header is the name.
- Redirects are followed here, one hop at a time (at most MAX_REDIRECTS), each hop vetted
  like the first, the chain recorded.
- A response is read as a stream and never beyond the byte cap; gzip/deflate are decoded with
  the same cap on the decoded size. Nothing is executed: callers parse HTML as text.

Addresses refused: private (RFC 1918, fc00::/7), loopback, link-local (169.254/16 with the
metadata service, fe80::/10), multicast, reserved (240/4, broadcast), unspecified (0.0.0.0, ::),
shared CGNAT 100.64/10, benchmarking 198.18/15, IETF 192.0.0/24, IPv6 forms that embed an IPv4
address (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, NAT64 64:ff9b::/96) when the embedded
address is refused, and 6to4, Teredo and local NAT64 outright. The documentation ranges
(192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) are refused too: no real host lives
there, and the test world uses them only as data that is never connected to.

HOTLINE_FETCH_ALLOW_LOOPBACK lets the test suite reach its servers on 127.0.0.0/8 and ::1; every
other range stays refused. Production settings refuse to start with it set.

`.onion` hosts go through HOTLINE_FETCH_PROXY (socks5h://127.0.0.1:9050 for Tor), which
resolves them itself: vetting is then the proxy's own policy (a Tor client reaches only the
Tor network for .onion names). Without a proxy, .onion URLs are refused. SOCKS comes from
the `socksio` package (a dependency); an http:// proxy works too.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import ipaddress
import re
import ssl
import time
import zlib
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any

import anyio
import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver
import httpcore
import httpx
from django.conf import settings

from hotline.core.dns import never_resolves, parse_nameservers

MAX_REDIRECTS = 5

# The response headers kept as evidence: what identifies the server, the CDN in front of it and
# the content. Everything else (cookies above all) is dropped.
SELECTED_HEADERS = (
    "content-type",
    "content-length",
    "content-encoding",
    "server",
    "last-modified",
    "location",
    "x-powered-by",
    "via",
    "x-served-by",
    "x-cache",
    "cf-ray",
    "cf-cache-status",
    "x-amz-cf-id",
    "x-amz-cf-pop",
    "x-akamai-request-id",
    "x-fastly-request-id",
    "x-sucuri-id",
)

# Ports below 1024 are the internet's named services (SMTP 25, LDAP 389, ...); a web page on one
# other than 80 and 443 is not worth the risk of talking HTTP to a mail or directory server.
# Ports from 1024 up (8080, 8443, a test server's random port) are allowed.
ALLOWED_LOW_PORTS = frozenset({80, 443})

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# 6to4, Teredo and the local-use NAT64 prefix reach IPv4 space through relays chosen by
# somebody else; no hosting provider needs them.
_TUNNEL_NETWORKS = (
    ipaddress.IPv6Network("2002::/16"),
    ipaddress.IPv6Network("2001::/32"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_SHARED_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_LOOPBACK = (ipaddress.IPv4Network("127.0.0.0/8"), ipaddress.IPv6Network("::1/128"))

# A host whose last label is a number is an IPv4 address to a browser (WHATWG URL standard):
# 2130706433, 0177.0.0.1, 0x7f.1 and 127.1 all mean 127.0.0.1.
_NUMERIC_LABEL = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchRefused(Exception):
    """The target is not one this system may connect to; `reason` says why in a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FailureKind(StrEnum):
    NO_SUCH_HOST = "no_such_host"  # the name does not exist (or has no address) in DNS
    TIMEOUT = "timeout"
    CONNECTION = "connection"  # refused, reset, unreachable, DNS server failure
    TOO_LARGE = "too_large"
    TLS = "tls"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BAD_RESPONSE = "bad_response"  # not HTTP, a redirect without Location, ...


class FetchFailed(Exception):
    """The target was allowed but could not be fetched; `kind` says how (a FailureKind)."""

    def __init__(self, kind: FailureKind, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else str(kind))
        self.kind = kind
        self.detail = detail


@dataclass(frozen=True)
class Fetched:
    """One fetched URL after its redirects: what the server answered, capped at max_bytes."""

    requested_url: str
    final_url: str
    status: int
    redirects: tuple[str, ...]  # each Location followed, in order (empty without redirects)
    server_ip: str  # the address connected to ("" through a proxy, which chose it)
    headers: dict[str, str]  # SELECTED_HEADERS only
    body: bytes
    truncated: bool  # the body went on beyond max_bytes and was cut there
    content_type: str  # the media type, lowercase, without parameters ("text/html")


# --- Vetting ----------------------------------------------------------------------------------


def address_problem(ip: Address, *, allow_loopback: bool = False) -> str | None:
    """Why this system must not connect to `ip`, in a few words, or None when it may."""
    if allow_loopback and any(ip in network for network in _LOOPBACK):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return _embedded_problem(ip, ip.ipv4_mapped, "an IPv4-mapped form", allow_loopback)
        if any(ip in network for network in _TUNNEL_NETWORKS):
            return "a 6to4, Teredo or local NAT64 tunnel address"
        if ip in _NAT64:
            v4 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            return _embedded_problem(ip, v4, "a NAT64 form", allow_loopback)
        if ip in _IPV4_COMPATIBLE and int(ip) > 1:
            v4 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            return _embedded_problem(ip, v4, "an IPv4-compatible form", allow_loopback)
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return "a site-local address (fec0::/10)"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED_CGNAT:
        return "a carrier-grade NAT address (100.64.0.0/10)"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "a private, reserved or documentation address"
    return None


def _no_cookies() -> CookieJar:
    """A cookie jar that keeps nothing: one reported site's cookies must never be sent to
    another (nor be kept as a trace of the visit)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def is_onion(host: str) -> bool:
    """Whether `host` is a Tor onion service name (a trailing dot changes nothing)."""
    return host.rstrip(".").lower().endswith(".onion")


def _embedded_problem(
    ip: ipaddress.IPv6Address, v4: ipaddress.IPv4Address, form: str, allow_loopback: bool
) -> str | None:
    inner = address_problem(v4, allow_loopback=False)
    return f"{form} of {v4}, {inner}" if inner else None


def _whatwg_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address a browser reads in a numeric host (WHATWG IPv4 parser), None if invalid."""
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part[:2].lower() == "0x":
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10))
        except ValueError:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, n in enumerate(head):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _literal(host: str) -> Address | None:
    """`host` as an IP address when it is written as one, in canonical notation."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def vet_url(url: httpx.URL, *, allow_loopback: bool, proxy: str) -> None:
    """Refuse (FetchRefused) a URL this system must not fetch, before any network traffic.

    Names are vetted later, on their resolved addresses, in the network backend."""
    text = str(url)[:200]
    if url.scheme not in ("http", "https"):
        raise FetchRefused(f"only http and https addresses are fetched, not {url.scheme}: {text}")
    if url.userinfo:
        raise FetchRefused(
            f"the address carries a user name or password before '@', which a reporter's link "
            f"has no reason to and which hides the real host: {text}"
        )
    try:
        host = url.host
        port = url.port
    except (UnicodeError, ValueError):
        raise FetchRefused(f"the host is not a valid name: {text}") from None
    if not host:
        raise FetchRefused(f"the address has no host: {text}")
    if port is not None and port > 65535:
        raise FetchRefused(f"port {port} does not exist (ports end at 65535): {text}")
    if port is not None and (port == 0 or (port < 1024 and port not in ALLOWED_LOW_PORTS)):
        raise FetchRefused(
            f"port {port} is a named service other than the web (only 80, 443 and ports "
            f"from 1024 are fetched): {text}"
        )
    ip = _literal(host)
    if ip is not None:
        problem = address_problem(ip, allow_loopback=allow_loopback)
        if problem:
            raise FetchRefused(f"{ip} is {problem}: {text}")
        return
    labels = host.rstrip(".").split(".")
    if _NUMERIC_LABEL.match(labels[-1]):
        # Plain dotted addresses were read by _literal above; what is left is another notation.
        meant = _whatwg_ipv4(host)
        raise FetchRefused(
            f"the host {host!r} is a number in a notation browsers read as the IP address "
            f"{meant or '(invalid)'}; only addresses in plain dotted form are fetched: {text}"
        )
    if is_onion(host) and not proxy:
        raise FetchRefused(
            f"{host} is a Tor onion service and no proxy is configured to reach it "
            "(set HOTLINE_FETCH_PROXY, for instance socks5h://127.0.0.1:9050)"
        )


# --- Resolution and the network backend -------------------------------------------------------


@dataclass
class _Cached:
    expires: float
    addresses: tuple[Address, ...] = ()
    failure: FetchFailed | None = None


@dataclass
class Resolver:
    """Names to addresses through dnspython, with a small per-fetcher cache that respects the
    answer's TTL (never longer than `cache_seconds`) and one query per name in flight."""

    nameservers: list[str] = field(default_factory=list)
    cache_seconds: int = 60
    timeout: float = 5.0

    def __post_init__(self) -> None:
        self._resolver = dns.asyncresolver.Resolver(configure=not self.nameservers)
        if self.nameservers:
            self._resolver.nameservers = [
                dns.nameserver.Do53Nameserver(address, port)
                for address, port in parse_nameservers("nameservers", self.nameservers)
            ]
        self._resolver.lifetime = self.timeout
        self._cache: dict[str, _Cached] = {}
        self._pending: dict[str, asyncio.Future[_Cached]] = {}

    async def resolve(self, name: str) -> tuple[Address, ...]:
        """The addresses of `name` (A, then AAAA), or FetchFailed (no_such_host, timeout,
        connection for a failing DNS server)."""
        now = time.monotonic()
        cached = self._cache.get(name)
        if cached is None or cached.expires <= now:
            pending = self._pending.get(name)
            if pending is None:
                pending = asyncio.get_running_loop().create_future()
                self._pending[name] = pending
                try:
                    cached = await self._lookup(name)
                    self._cache[name] = cached
                    pending.set_result(cached)
                finally:
                    del self._pending[name]
                    if not pending.done():
                        pending.cancel()
            else:
                cached = await asyncio.shield(pending)
        if cached.failure is not None:
            raise FetchFailed(cached.failure.kind, cached.failure.detail)
        return cached.addresses

    async def _lookup(self, name: str) -> _Cached:
        if never_resolves(name):
            return _Cached(
                time.monotonic() + self.cache_seconds,
                failure=FetchFailed(
                    FailureKind.NO_SUCH_HOST,
                    f"{name} is a reserved name, which never resolves on the Internet",
                ),
            )
        answers = await asyncio.gather(
            self._query(name, dns.rdatatype.A),
            self._query(name, dns.rdatatype.AAAA),
            return_exceptions=True,
        )
        addresses: list[Address] = []
        ttl = self.cache_seconds
        missing = 0
        for answer in answers:
            if isinstance(answer, dns.resolver.NXDOMAIN | dns.resolver.NoAnswer):
                missing += 1
            elif isinstance(answer, dns.exception.Timeout):
                return _Cached(0, failure=FetchFailed(FailureKind.TIMEOUT, f"DNS for {name}"))
            elif isinstance(answer, BaseException):
                # SERVFAIL, no nameserver answering: the name may well exist; not "gone".
                return _Cached(
                    0, failure=FetchFailed(FailureKind.CONNECTION, f"DNS for {name}: {answer}")
                )
            else:
                rrset = answer.rrset
                if rrset is not None:
                    ttl = min(ttl, rrset.ttl)
                    addresses += [ipaddress.ip_address(r.address) for r in rrset]
        expires = time.monotonic() + ttl
        if not addresses:
            detail = f"{name} has no address in DNS" if missing else name
            return _Cached(expires, failure=FetchFailed(FailureKind.NO_SUCH_HOST, detail))
        return _Cached(expires, addresses=tuple(addresses))

    async def _query(self, name: str, rdtype: dns.rdatatype.RdataType) -> dns.resolver.Answer:
        return await self._resolver.resolve(name, rdtype, search=False)


class VettingBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that resolves the host itself, vets every address, and
    connects to a vetted address literal: what is checked is what is connected to."""

    def __init__(self, resolver: Resolver, *, allow_loopback: bool) -> None:
        self._resolver = resolver
        self._allow_loopback = allow_loopback
        self._inner = httpcore.AnyIOBackend()

    async def vetted_addresses(self, host: str) -> tuple[Address, ...]:
        """The addresses of `host`, all allowed, or FetchRefused naming the first that is not."""
        if is_onion(host):
            # Only the proxy may resolve an onion name: never ask a DNS server about it.
            raise FetchRefused(f"{host} is a Tor onion service, reached only through the proxy")
        ip = _literal(host)
        addresses = (ip,) if ip is not None else await self._resolver.resolve(host)
        for address in addresses:
            problem = address_problem(address, allow_loopback=self._allow_loopback)
            if problem:
                raise FetchRefused(f"{host} resolves to {address}, {problem}")
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self.vetted_addresses(host)
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout=timeout, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
            except (OSError, OverflowError, ExceptionGroup) as error:
                # What anyio raises past httpcore (a port out of range, say) is a failed
                # connection too, not a crash of the batch.
                last = httpcore.ConnectError(f"{type(error).__name__}: {error}")
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise FetchRefused("the fetcher never connects to a local socket")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class _Pool(httpcore.AsyncConnectionPool):
    """httpcore's connection pool with its bookkeeping made linear in the connections.

    httpcore 1.0.9 matches queued requests to connections after every request starts and ends,
    and does it in O(connections^2 + queued x connections): with 200 connections that was
    two thirds of a re-check batch's CPU time (bench/bench_recheck.py; encode/httpx#3215,
    encode/httpcore#1035). This pass makes the same decisions in the same order, in one walk
    over the connections and one scan per distinct origin waiting."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        # Each connection's origin, recorded as it is made (httpcore only lets one ask
        # "can you handle this origin?", one connection at a time).
        self._origins: dict[int, tuple[bytes, bytes, int]] = {}

    def create_connection(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        connection = super().create_connection(origin)
        self._origins[id(connection)] = (origin.scheme, origin.host, origin.port)
        return connection

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        kept: list[httpcore.AsyncConnectionInterface] = []
        # httpcore counts every connection still in the list (not only the idle ones)
        # against max_keepalive_connections; the same count, kept as it shrinks.
        remaining = len(self._connections)
        for connection in self._connections:
            if connection.is_closed():
                remaining -= 1
            elif connection.is_idle():
                # Whether an idle connection's server hung up is asked only when a request
                # would reuse it (below): asking is a poll of its socket, and asking every
                # idle connection on every pass was most of a batch's CPU time.
                if remaining > self._max_keepalive_connections:
                    remaining -= 1
                    closing.append(connection)
                else:
                    kept.append(connection)
            elif connection.has_expired():
                remaining -= 1
                closing.append(connection)
            else:
                kept.append(connection)
        self._connections[:] = kept
        if len(self._origins) > 2 * len(kept) + 16:
            alive = {id(connection) for connection in kept}
            self._origins = {k: v for k, v in self._origins.items() if k in alive}
        queued = [request for request in self._requests if request.is_queued()]
        if not queued:
            return closing
        # Assigning a request does not change a connection's state, and a connection created
        # here is neither available nor idle (HTTP/1.1 only), so these hold for the whole
        # pass, less the idle connections closed to make room (always the first idle left).
        available: dict[tuple[bytes, bytes, int], list[httpcore.AsyncConnectionInterface]] = {}
        idle: list[httpcore.AsyncConnectionInterface] = []
        for connection in kept:
            if connection.is_available():
                available.setdefault(self._origins[id(connection)], []).append(connection)
            if connection.is_idle():
                idle.append(connection)
        closed: set[int] = set()

        def close(connection: httpcore.AsyncConnectionInterface) -> None:
            closed.add(id(connection))
            self._connections.remove(connection)
            closing.append(connection)
            if connection in idle:
                idle.remove(connection)

        for pool_request in queued:
            origin = pool_request.request.url.origin
            reusable = None
            for candidate in available.get((origin.scheme, origin.host, origin.port), ()):
                if id(candidate) in closed:
                    continue
                if candidate.has_expired():  # its server hung up, or it sat idle too long
                    close(candidate)
                    continue
                reusable = candidate
                break
            if reusable is not None:
                pool_request.assign_to_connection(reusable)
                continue
            if len(self._connections) >= self._max_connections:
                if not idle:
                    continue
                close(idle[0])
            connection = self.create_connection(origin)
            self._connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing


@functools.cache
def tls_context(*, verify: bool) -> ssl.SSLContext:
    """The TLS settings of every fetch, built once per process: building them reads the CA
    bundle (milliseconds of CPU), and a fetcher is made for every batch of captures, which
    cost the worker a tenth of its CPU under a flood of reports (docs/benchmarks.md)."""
    return httpx.create_ssl_context(verify=verify, trust_env=False)


class _VettingTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose network backend is the vetting one.

    httpx 0.28 has no parameter for the backend, so the pool httpx built is replaced by one
    with the same settings; tests/takedown/test_fetch_safety.py fails if this stops working."""

    def __init__(
        self, backend: VettingBackend, *, verify: bool, limits: httpx.Limits, **kw: Any
    ) -> None:
        context = tls_context(verify=verify)
        super().__init__(verify=context, limits=limits, trust_env=False, **kw)
        self._pool = _Pool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )


# --- The fetcher ------------------------------------------------------------------------------


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class SafeFetcher:
    """Fetches URLs reporters gave, safely; one per batch of work (connections and DNS answers
    are reused within it). Use as `async with SafeFetcher() as fetcher: await fetcher.fetch(url)`.

    Every argument defaults to its HOTLINE_* setting; `max_connections` bounds the connections
    open at once (callers bound their concurrency with a semaphore of the same size)."""

    def __init__(
        self,
        *,
        allow_loopback: bool | None = None,
        nameservers: list[str] | None = None,
        proxy: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        total_timeout: float | None = None,
        dns_cache_seconds: int | None = None,
        user_agent: str | None = None,
        verify_tls: bool | None = None,
        max_connections: int = 200,
    ) -> None:
        self.allow_loopback = bool(
            _setting("HOTLINE_FETCH_ALLOW_LOOPBACK", False)
            if allow_loopback is None
            else allow_loopback
        )
        self.proxy = _setting("HOTLINE_FETCH_PROXY", "") if proxy is None else proxy
        connect = connect_timeout or _setting("HOTLINE_FETCH_CONNECT_TIMEOUT", 5)
        read = read_timeout or _setting("HOTLINE_FETCH_READ_TIMEOUT", 10)
        self.total_timeout = float(total_timeout or _setting("HOTLINE_FETCH_TOTAL_TIMEOUT", 30))
        self.user_agent = user_agent or _setting("HOTLINE_FETCH_USER_AGENT", "Mozilla/5.0")
        verify = _setting("HOTLINE_FETCH_VERIFY_TLS", True) if verify_tls is None else verify_tls
        self.resolver = Resolver(
            nameservers=list(
                _setting("HOTLINE_DNS_NAMESERVERS", []) if nameservers is None else nameservers
            ),
            cache_seconds=int(
                _setting("HOTLINE_FETCH_DNS_CACHE_SECONDS", 60)
                if dns_cache_seconds is None
                else dns_cache_seconds
            ),
            timeout=float(connect),
        )
        self.backend = VettingBackend(self.resolver, allow_loopback=self.allow_loopback)
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=15,
        )
        timeout = httpx.Timeout(connect=connect, read=read, write=read, pool=self.total_timeout)
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"}
        self._client = httpx.AsyncClient(
            transport=_VettingTransport(self.backend, verify=verify, limits=limits),
            timeout=timeout,
            headers=headers,
            follow_redirects=False,
            trust_env=False,
            cookies=_no_cookies(),
        )
        self._proxied: httpx.AsyncClient | None = None
        if self.proxy:
            self._proxied = httpx.AsyncClient(
                proxy=self.proxy,
                timeout=timeout,
                headers=headers,
                follow_redirects=False,
                trust_env=False,
                verify=tls_context(verify=verify),
                limits=limits,
                cookies=_no_cookies(),
            )

    async def __aenter__(self) -> SafeFetcher:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection this fetcher holds."""
        await self._client.aclose()
        if self._proxied is not None:
            await self._proxied.aclose()

    async def fetch(
        self, url: str, *, max_bytes: int = 2 * 1024 * 1024, accept: str = "*/*"
    ) -> Fetched:
        """GET `url`, following up to MAX_REDIRECTS redirects, each vetted; the body is read
        up to `max_bytes` (decoded) and cut there (`truncated`).

        Raises FetchRefused for a target this system must not reach (at any hop) and
        FetchFailed for one it could not fetch. Any status is returned, 404 included."""
        try:
            async with asyncio.timeout(self.total_timeout):
                return await self._follow(url, max_bytes=max_bytes, accept=accept)
        except TimeoutError:
            raise FetchFailed(FailureKind.TIMEOUT, f"more than {self.total_timeout:g} s") from None

    async def _follow(self, url: str, *, max_bytes: int, accept: str) -> Fetched:
        try:
            current = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as error:
            raise FetchRefused(f"the address cannot be read as a URL ({error})") from None
        redirects: list[str] = []
        while True:
            vet_url(current, allow_loopback=self.allow_loopback, proxy=self.proxy)
            status, headers, body, truncated, server_ip = await self._get(
                current, max_bytes=max_bytes, accept=accept
            )
            location = headers.get("location", "")
            if status not in REDIRECT_STATUSES or not location:
                break
            if len(redirects) >= MAX_REDIRECTS:
                raise FetchFailed(FailureKind.TOO_MANY_REDIRECTS, f"more than {MAX_REDIRECTS}")
            try:
                current = current.join(location)
            except (httpx.InvalidURL, ValueError) as error:
                raise FetchFailed(FailureKind.BAD_RESPONSE, f"bad Location ({error})") from None
            redirects.append(str(current))
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        return Fetched(
            requested_url=url,
            final_url=str(current),
            status=status,
            redirects=tuple(redirects),
            server_ip=server_ip,
            headers=headers,
            body=body,
            truncated=truncated,
            content_type=content_type,
        )

    async def _get(
        self, url: httpx.URL, *, max_bytes: int, accept: str
    ) -> tuple[int, dict[str, str], bytes, bool, str]:
        onion = is_onion(url.host)
        client = self._proxied if onion and self._proxied is not None else self._client
        request = client.build_request("GET", url, headers={"Accept": accept})
        try:
            response = await client.send(request, stream=True)
            try:
                headers = {
                    name: response.headers[name]
                    for name in SELECTED_HEADERS
                    if name in response.headers
                }
                server_ip = "" if client is self._proxied else _peer(response)
                body, truncated = await _read_capped(response, max_bytes)
            finally:
                await response.aclose()
        except FetchRefused:
            raise
        except FetchFailed:
            raise
        except httpx.TimeoutException as error:
            raise FetchFailed(FailureKind.TIMEOUT, type(error).__name__) from None
        except httpx.ConnectError as error:
            kind = FailureKind.TLS if _is_tls(error) else FailureKind.CONNECTION
            raise FetchFailed(kind, str(error)) from None
        except (httpx.RemoteProtocolError, httpx.DecodingError) as error:
            raise FetchFailed(FailureKind.BAD_RESPONSE, str(error)) from None
        except httpx.TransportError as error:
            raise FetchFailed(FailureKind.CONNECTION, str(error)) from None
        except ssl.SSLError as error:
            raise FetchFailed(FailureKind.TLS, str(error)) from None
        return response.status_code, headers, body, truncated, server_ip


def _peer(response: httpx.Response) -> str:
    stream = response.extensions.get("network_stream")
    address = stream.get_extra_info("server_addr") if stream is not None else None
    return str(address[0]) if address else ""


def _is_tls(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "SSL" in str(error) or "certificate" in str(error).lower()


async def _read_capped(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    """The body up to `max_bytes` after decoding, reading the wire only as far as needed.

    httpx's own decoder would inflate a whole chunk at once (a 1 kB gzip bomb can inflate to a
    gigabyte), so the raw stream is read and inflated here with a cap on the output."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflater = None
    if encoding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        inflater = zlib.decompressobj()
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        if inflater is not None:
            try:
                chunk = inflater.decompress(chunk, max_bytes - size + 1)
            except zlib.error as error:
                raise FetchFailed(FailureKind.BAD_RESPONSE, f"bad {encoding}: {error}") from None
        parts.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            return b"".join(parts)[:max_bytes], True
    return b"".join(parts), False


def run_sync[T](coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to its end from synchronous code (a worker task, a command).

    In a thread of its own when this thread already runs an event loop (a caller that is
    itself driven by one, such as a test harness): asyncio.run refuses to nest."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def fetch_sync(url: str, **kw: Any) -> Fetched:
    """Fetch one URL from synchronous code (a worker task), with a fetcher of its own.

    Keyword arguments go to SafeFetcher.fetch (max_bytes, accept)."""

    async def one() -> Fetched:
        async with SafeFetcher() as fetcher:
            return await fetcher.fetch(url, **kw)

    return run_sync(one())
