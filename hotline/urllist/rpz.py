"""The domain-level entries of the URL list as a DNS Response Policy Zone (RPZ).

Only whole domains can be blocked by a resolver: an entry for one URL cannot, and is not in
the zone. Each listed domain is answered NXDOMAIN ("CNAME ."), itself and every name under it
("*."), by any resolver that loads the zone as a response policy (BIND's `response-policy`,
Unbound's `rpz:` clause, PowerDNS Recursor's `rpzFile`). tests/urllist/test_rpz.py checks the
export with BIND's `named-checkzone` and serves it from Unbound.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings

# How long a resolver may cache the zone's answers and how often secondaries ask for a new
# serial: a domain that leaves the list should stop being blocked within minutes.
TTL = timedelta(minutes=5)
REFRESH = timedelta(minutes=10)
RETRY = timedelta(minutes=2)
EXPIRE = timedelta(days=7)

# What a domain entry holds: punycode labels of letters, digits and hyphens (the canonical
# form). Anything else never reaches a zone file, where it could change the zone's meaning.
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def zone_origin() -> str:
    """The zone's name, as members configure it in their resolver (with its final dot)."""
    origin: str = settings.HOTLINE_RPZ_ZONE
    return origin if origin.endswith(".") else f"{origin}."


def is_zone_safe(domain: str) -> bool:
    labels = domain.split(".")
    return len(domain) <= 253 and len(labels) >= 2 and all(_LABEL.fullmatch(x) for x in labels)


def rpz_header(version: int) -> bytes:
    """The zone's start: origin, TTL, SOA (serial = the list version) and NS."""
    seconds = int(TTL.total_seconds())
    return (
        f"; Hotline URL list, domain-level entries, version {version}\n"
        f"$ORIGIN {zone_origin()}\n"
        f"$TTL {seconds}\n"
        f"@ SOA localhost. hostmaster.invalid. ({version % 2**32} "
        f"{int(REFRESH.total_seconds())} {int(RETRY.total_seconds())} "
        f"{int(EXPIRE.total_seconds())} {seconds})\n"
        "@ NS localhost.\n"
    ).encode()


def rpz_records(domain: str) -> bytes:
    """The two policy records of one listed domain (b"" for a name unsafe in a zone file)."""
    if not is_zone_safe(domain):
        return b""
    return f"{domain} CNAME .\n*.{domain} CNAME .\n".encode()


def render_rpz(domains: Iterable[str], *, version: int) -> Iterator[bytes]:
    """The whole zone for `domains` (canonical: lower-case punycode; any other is skipped)."""
    yield rpz_header(version)
    for domain in domains:
        yield rpz_records(domain)
