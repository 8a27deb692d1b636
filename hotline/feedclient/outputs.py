"""The files a proxy or a resolver reads, rendered from the local copy.

- `squid`: POSIX extended regular expressions, one a line, for
  `acl hotline_urls url_regex -i "/path"`: a URL entry matches its canonical address exactly; a
  domain entry matches any address on the domain or under it (and a CONNECT to it).
- `squid-domains`: the domain entries as `.domain` lines, for
  `acl hotline_domains dstdomain "/path"` (the domain and every name under it).
- `rpz`: a DNS Response Policy Zone of the domain entries, the same records as the hotline's
  own `rpz` feed (hotline/urllist/rpz.py, which needs Django and so is not imported here).
- `plain`: one canonical URL a line, as the `txt` feed.
- `sha256`: the SHA-256 (hex) of each canonical URL, one a line, as the `sha256` feed.

Lines are sorted, so two runs over the same list write the same bytes; a file is replaced only
when its bytes change (a reload hook can watch its modification time).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hotline.feedclient.state import State

DEFAULT_RPZ_ZONE = "urllist.hotline.rpz."
# The hotline's zone timers (hotline/urllist/rpz.py): TTL 5 min, refresh 10 min, retry 2 min,
# expire 7 days.
TTL, REFRESH, RETRY, EXPIRE = 300, 600, 120, 7 * 86400
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_ERE_SPECIAL = re.compile(r"([\\.\[\](){}*+?|^$])")


@dataclass(frozen=True)
class Options:
    rpz_zone: str = DEFAULT_RPZ_ZONE


def is_zone_safe(domain: str) -> bool:
    """Lower-case punycode labels only: anything else could change a zone file's meaning."""
    labels = domain.split(".")
    return len(domain) <= 253 and len(labels) >= 2 and all(_LABEL.fullmatch(x) for x in labels)


def ere_escape(text: str) -> str:
    """`text` as a literal in a POSIX extended regular expression (what Squid compiles)."""
    return _ERE_SPECIAL.sub(r"\\\1", text)


def _domains(state: State) -> list[str]:
    return sorted({e.domain for k, e in state.entries.items() if k.kind == "domain"})


def _urls(state: State) -> list[str]:
    return sorted({k.url for k in state.entries})


def squid_patterns(state: State, options: Options) -> Iterator[bytes]:
    yield f"# Hotline URL list version {state.version}: url_regex -i patterns\n".encode()
    for url in sorted(k.url for k in state.entries if k.kind == "url"):
        yield f"^{ere_escape(url)}$\n".encode()
    for domain in _domains(state):
        if is_zone_safe(domain):
            # Scheme optional: a CONNECT request's URL is "host:port".
            yield f"^([a-z][a-z0-9+.-]*://)?([^/?#@]*\\.)?{ere_escape(domain)}(:[0-9]+)?(/|$)\n".encode()


def squid_domains(state: State, options: Options) -> Iterator[bytes]:
    """`.domain` lines; a domain under another listed one is left out (Squid refuses a
    dstdomain list where one entry covers another)."""
    yield f"# Hotline URL list version {state.version}: dstdomain entries\n".encode()
    domains = [d for d in _domains(state) if is_zone_safe(d)]
    listed = set(domains)
    for domain in domains:
        labels = domain.split(".")
        if any(".".join(labels[n:]) in listed for n in range(1, len(labels) - 1)):
            continue
        yield f".{domain}\n".encode()


def rpz_zone(state: State, options: Options) -> Iterator[bytes]:
    origin = options.rpz_zone if options.rpz_zone.endswith(".") else f"{options.rpz_zone}."
    yield (
        f"; Hotline URL list, domain-level entries, version {state.version}\n"
        f"$ORIGIN {origin}\n"
        f"$TTL {TTL}\n"
        f"@ SOA localhost. hostmaster.invalid. ({state.version % 2**32} "
        f"{REFRESH} {RETRY} {EXPIRE} {TTL})\n"
        "@ NS localhost.\n"
    ).encode()
    for domain in _domains(state):
        if is_zone_safe(domain):
            yield f"{domain} CNAME .\n*.{domain} CNAME .\n".encode()


def plain(state: State, options: Options) -> Iterator[bytes]:
    yield f"# Hotline URL list version {state.version}\n".encode()
    for url in _urls(state):
        yield f"{url}\n".encode()


def sha256(state: State, options: Options) -> Iterator[bytes]:
    yield f"# Hotline URL list version {state.version}: SHA-256 of each canonical URL\n".encode()
    for digest in sorted(hashlib.sha256(url.encode()).hexdigest() for url in _urls(state)):
        yield f"{digest}\n".encode()


Renderer = Callable[[State, Options], Iterator[bytes]]
OUTPUTS: dict[str, Renderer] = {
    "squid": squid_patterns,
    "squid-domains": squid_domains,
    "rpz": rpz_zone,
    "plain": plain,
    "sha256": sha256,
}


def render(kind: str, state: State, options: Options) -> bytes:
    return b"".join(OUTPUTS[kind](state, options))


def is_current(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False
