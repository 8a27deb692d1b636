"""Rate limits that never learn who anyone is.

A client is counted under a keyed hash of its address: HMAC-SHA256 under a random secret that
lives only in the cache (memory), is replaced every day and is never written to the database,
a log or a disk. Yesterday's counters cannot be tied to an address even by someone holding the
cache, once the secret is gone; today's only by someone who already knows the address.

Counters are fixed windows in Django's cache. With the default in-memory cache each web process
counts on its own (a client gets up to N times the limit with N processes); a shared Redis
(HOTLINE_CACHE_URL) makes the limits exact, and the first process of the day sets the secret
for all.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

SECRET_TTL = 26 * 3600  # a day, and a little: a new secret each UTC day


@dataclass(frozen=True)
class Limit:
    scope: str  # e.g. "report-client"
    count: int  # allowed per window
    window: int  # seconds


def client_address(request: HttpRequest) -> str:
    """The client's address, read from the proxy chain as far as it is trusted; never stored."""
    hops = settings.HOTLINE_TRUSTED_PROXY_HOPS
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", ""))


def _daily_secret() -> bytes:
    day = time.strftime("%Y-%m-%d", time.gmtime())
    key = f"ratelimit-secret:{day}"
    # Read first: all day but its first moment the secret is there, and one cache call (a
    # round trip with Redis) is all a request pays.
    value = cache.get(key)
    if value is None:
        cache.add(key, secrets.token_hex(32), timeout=SECRET_TTL)  # first process of the day wins
        value = cache.get(key)
    return str(value).encode() if value else secrets.token_bytes(32)


def counted_network(address: str) -> str:
    """What a client is counted as: its IPv4 address, or its IPv6 /64.

    One IPv6 subscriber usually holds a whole /64 and can send from any address in it; counted
    by address, each would be a new client with a fresh allowance.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client's address (IPv6: its /64): the same all day, unlinkable."""
    network = counted_network(client_address(request))
    digest = hmac.new(_daily_secret(), network.encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def count(scope: str, key: str, window: int, *, now: int | None = None, history: int = 0) -> int:
    """Count one event under `scope` and `key` in the current fixed window; the count so far.

    The counter stays readable by `counted` for `history` windows after its own.
    """
    now = int(time.time()) if now is None else now
    counter = _counter(scope, key, now // window)
    # Counting an existing counter is the common case: try that first, and create the counter
    # only when it is not there (one cache call per hit instead of two).
    try:
        return int(cache.incr(counter))
    except ValueError:  # the first hit of a window (or its counter expired a moment ago)
        pass
    timeout = (history + 1) * window + 5
    if cache.add(counter, 1, timeout=timeout):
        return 1
    try:  # another process created it in between: count on it
        return int(cache.incr(counter))
    except ValueError:  # and it expired at once: this is the first hit of a window
        cache.set(counter, 1, timeout=timeout)
        return 1


def counted(scope: str, key: str, window: int, *, windows_ago: int = 0) -> int:
    """The count of the current window (or of one `windows_ago`), without counting."""
    number = int(time.time()) // window - windows_ago
    return int(cache.get(_counter(scope, key, number), 0))


def _counter(scope: str, key: str, window_number: int) -> str:
    return f"ratelimit:{scope}:{key}:{window_number}"


def hit(limit: Limit, key: str) -> int:
    """Count one hit; 0 if within the limit, else the seconds until the window ends."""
    now = int(time.time())
    if count(limit.scope, key, limit.window, now=now) <= limit.count:
        return 0
    return limit.window - now % limit.window
