"""Who to tell about an address: the network's abuse contact from RDAP (RFC 9082/9083), the
registries' structured successor to WHOIS.

The registry that holds an address is found with an RFC 9224 bootstrap file (IANA's ipv4.json
and ipv6.json format). The shipped default, data/rdap-bootstrap.json, lists the five regional
registries' RDAP services but no address blocks, and asks ARIN's service for every address:
the registries answer a query for another registry's space with a redirect to the right one
(followed here up to MAX_REDIRECTS), so this works without a copy of IANA's allocations. An
operator who wants one fewer hop points HOTLINE_RDAP_BOOTSTRAP at IANA's files
(https://data.iana.org/rdap/ipv4.json and ipv6.json, kept up to date by a cron job).

Answers are kept per network (the range the registry returned) for HOTLINE_RDAP_CACHE_SECONDS,
so the hundred URLs of one host cost one query.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

DEFAULT_BOOTSTRAP = Path(__file__).resolve().parent / "data" / "rdap-bootstrap.json"
MAX_REDIRECTS = 3
MAX_RESPONSE_BYTES = 1 << 20  # RDAP answers for a network are a few kB
CACHE_SIZE = 4096
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class RdapResult:
    """The abuse contact of a network as its registry publishes it; `error` says why not."""

    abuse_email: str = ""
    network_name: str = ""
    country: str = ""
    source_url: str = ""  # the RDAP URL that answered (after redirects)
    error: str = ""  # "" or rdap_not_public, rdap_no_server, rdap_unreachable, ...


# --- Bootstrap (RFC 9224) ------------------------------------------------------------------


@dataclass(frozen=True)
class Bootstrap:
    services: tuple[tuple[IpNetwork, str], ...]  # longest prefixes first
    fallback: str  # the base URL asked for addresses no service lists; "" for none

    def base_for(self, address: IpAddress) -> tuple[str, bool]:
        """(base URL, whether a service lists the address explicitly)."""
        for network, base in self.services:
            if network.version == address.version and address in network:
                return base, True
        return self.fallback, False


def _choose(urls: list[Any]) -> str:
    # RFC 9224 section 3: prefer HTTPS when a service offers several.
    texts = [u for u in urls if isinstance(u, str) and u.startswith(("https://", "http://"))]
    secure = [u for u in texts if u.startswith("https://")]
    chosen = (secure or texts or [""])[0]
    return chosen if not chosen or chosen.endswith("/") else chosen + "/"


def parse_bootstrap(documents: list[tuple[Path, Any]]) -> Bootstrap:
    """A Bootstrap from IANA-format documents; ValueError naming the file when one is not."""
    services: list[tuple[IpNetwork, str]] = []
    fallback = ""
    for path, document in documents:
        try:
            for prefixes, urls in document["services"]:
                base = _choose(urls)
                for prefix in prefixes:
                    if base:
                        services.append((ipaddress.ip_network(prefix, strict=False), base))
            if "fallback" in document:  # ours, not IANA's: see the module docstring
                fallback = _choose(document["fallback"])
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(
                f"{path} is not an RDAP bootstrap file in IANA's format "
                f'({{"services": [[["prefix", ...], ["https://rdap.example/"]], ...]}}): {error}'
            ) from None
    services.sort(key=lambda entry: entry[0].prefixlen, reverse=True)
    return Bootstrap(tuple(services), fallback)


_bootstrap_cache: dict[tuple[str, float], Bootstrap] = {}


def bootstrap() -> Bootstrap:
    """The bootstrap named by HOTLINE_RDAP_BOOTSTRAP (file, or directory with ipv4.json and
    ipv6.json), or the shipped one; reread when a file changes."""
    configured = settings.HOTLINE_RDAP_BOOTSTRAP
    root = Path(configured) if configured else DEFAULT_BOOTSTRAP
    files = [root / "ipv4.json", root / "ipv6.json"] if root.is_dir() else [root]
    files = [f for f in files if f.exists()] if root.is_dir() else files
    try:
        key = (str(root), max(f.stat().st_mtime for f in files))
    except (OSError, ValueError):
        raise ValueError(
            f"HOTLINE_RDAP_BOOTSTRAP={configured!r}: no bootstrap file there (give a JSON file "
            "or a directory with IANA's ipv4.json and ipv6.json)"
        ) from None
    if key not in _bootstrap_cache:
        documents = []
        for path in files:
            try:
                documents.append((path, json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError) as error:
                raise ValueError(f"{path} cannot be read as JSON: {error}") from None
        _bootstrap_cache.clear()
        _bootstrap_cache[key] = parse_bootstrap(documents)
    return _bootstrap_cache[key]


# --- Reading an RDAP answer ----------------------------------------------------------------


def _entities(node: Any) -> Iterator[dict[str, Any]]:
    """Every entity in an object, depth first (registries nest abuse under the organisation)."""
    if isinstance(node, dict):
        for entity in node.get("entities") or []:
            if isinstance(entity, dict):
                yield entity
                yield from _entities(entity)


def _emails(entity: dict[str, Any]) -> list[str]:
    card = entity.get("vcardArray")
    found = []
    if isinstance(card, list) and len(card) == 2 and isinstance(card[1], list):
        for item in card[1]:
            if isinstance(item, list) and len(item) >= 4 and item[0] == "email":
                value = item[3]
                if isinstance(value, str):
                    value = value.removeprefix("mailto:").strip()
                    if EMAIL.fullmatch(value):
                        found.append(value)
    return found


def _remark_abuse_mailboxes(node: Any) -> Iterator[str]:
    """Addresses given in remarks as the abuse mailbox ("abuse-mailbox: ...", or a remark
    titled for abuse), in the object and its entities."""
    objects = [node, *_entities(node)] if isinstance(node, dict) else []
    for item in objects:
        for remark in item.get("remarks") or []:
            if not isinstance(remark, dict):
                continue
            title = str(remark.get("title", "")).lower()
            for line in remark.get("description") or []:
                text = str(line)
                if "abuse" in title or "abuse" in text.lower():
                    yield from EMAIL.findall(text)


def abuse_email_of(document: dict[str, Any]) -> str:
    """The abuse e-mail an RDAP network object gives: an entity with the "abuse" role; else an
    abuse mailbox in remarks; else the registrant's or technical contact's e-mail."""
    entities = list(_entities(document))
    for entity in entities:
        if "abuse" in (entity.get("roles") or []) and _emails(entity):
            return _emails(entity)[0]
    for email in _remark_abuse_mailboxes(document):
        return email
    for role in ("registrant", "technical"):
        for entity in entities:
            if role in (entity.get("roles") or []) and _emails(entity):
                return _emails(entity)[0]
    return ""


# --- Querying, with a per-network cache ----------------------------------------------------


@dataclass
class _Cached:
    version: int
    first: int
    last: int
    expires: float
    result: RdapResult


_cache: OrderedDict[tuple[str, str], _Cached] = OrderedDict()
_cache_lock = threading.Lock()


def forget_cache() -> None:
    """Forget every cached answer (tests, and after changing the bootstrap)."""
    with _cache_lock:
        _cache.clear()
        _bootstrap_cache.clear()


def _cached(address: IpAddress) -> RdapResult | None:
    now = time.monotonic()
    with _cache_lock:
        for key, entry in list(_cache.items()):
            if entry.expires < now:
                del _cache[key]
            elif entry.version == address.version and entry.first <= int(address) <= entry.last:
                _cache.move_to_end(key)
                return entry.result
    return None


def _remember(document: dict[str, Any], address: IpAddress, result: RdapResult) -> None:
    try:
        start = ipaddress.ip_address(document["startAddress"])
        end = ipaddress.ip_address(document["endAddress"])
        first, last = int(start), int(end)
        if start.version != address.version or not first <= int(address) <= last:
            raise ValueError("the network does not hold the address asked about")
    except (KeyError, TypeError, ValueError):
        first = last = int(address)
    expires = time.monotonic() + settings.HOTLINE_RDAP_CACHE_SECONDS
    with _cache_lock:
        _cache[(f"{address.version}:{first}", str(last))] = _Cached(
            address.version, first, last, expires, result
        )
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _fetch(client: httpx.Client, url: str) -> tuple[int, bytes, str]:
    """(status, body, final URL) following at most MAX_REDIRECTS redirects; an https service
    is never redirected to plain http."""
    secure = url.startswith("https://")
    # The whole answer, redirects included, within one deadline: a registry that trickles
    # bytes must not hold a worker for long.
    deadline = time.monotonic() + 3 * float(settings.HOTLINE_RDAP_TIMEOUT)
    for _ in range(MAX_REDIRECTS + 1):
        with client.stream("GET", url) as response:
            if response.is_redirect and "Location" in response.headers:
                target = urljoin(url, response.headers["Location"])
                scheme = urlsplit(target).scheme
                if scheme not in {"http", "https"} or (secure and scheme != "https"):
                    return 0, b"", url
                url = target
                continue
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_RESPONSE_BYTES or time.monotonic() > deadline:
                    return -1, b"", url
            return response.status_code, body, url
    return 0, b"", url


def abuse_contact(ip: str) -> RdapResult:
    """The abuse contact of the network holding `ip`, from its registry's RDAP service.

    Never raises for network trouble: the error field says what went wrong (rdap_not_public:
    a private or reserved address no bootstrap entry lists; rdap_no_server; rdap_unreachable;
    rdap_not_found: the registry knows no such network; rdap_refused: another HTTP status or
    a redirect this will not follow; rdap_bad_response).
    """
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return RdapResult(error="rdap_not_public")
    cached = _cached(address)
    if cached is not None:
        return cached
    try:
        base, listed = bootstrap().base_for(address)
    except ValueError as error:
        logger.error("RDAP bootstrap: %s", error)
        return RdapResult(error="rdap_no_server")
    # Private and reserved addresses belong to no registry: asking about them leaks them for
    # nothing (unless a bootstrap names a service for them, as a test world or a lab does).
    if not listed and not address.is_global:
        return RdapResult(error="rdap_not_public")
    if not base:
        return RdapResult(error="rdap_no_server")
    url = f"{base}ip/{address}"
    timeout = float(settings.HOTLINE_RDAP_TIMEOUT)
    headers = {"Accept": "application/rdap+json, application/json;q=0.9"}
    try:
        # trust_env off: no proxy or certificate settings from the environment are followed.
        with httpx.Client(
            timeout=timeout, headers=headers, follow_redirects=False, trust_env=False
        ) as client:
            status, body, url = _fetch(client, url)
    except httpx.HTTPError as error:
        logger.info("RDAP %s unreachable: %s", base, error.__class__.__name__)
        return RdapResult(source_url=url, error="rdap_unreachable")
    if status == 404:
        return RdapResult(source_url=url, error="rdap_not_found")
    if status != 200:
        return RdapResult(
            source_url=url, error="rdap_refused" if status >= 0 else "rdap_bad_response"
        )
    try:
        document = json.loads(body)
        if not isinstance(document, dict):
            raise ValueError("not an object")
    except ValueError:
        return RdapResult(source_url=url, error="rdap_bad_response")
    country = document.get("country")
    name = document.get("name")
    result = RdapResult(
        abuse_email=abuse_email_of(document),
        network_name=name.strip() if isinstance(name, str) else "",
        country=country.strip().upper() if isinstance(country, str) else "",
        source_url=url,
    )
    _remember(document, address, result)
    return result
