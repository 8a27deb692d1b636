"""The URL list's feed formats: one registry, so adding a format touches this file only.

The shape of a format (`FeedFormat`: name, content type, licences, description, renderers of
the full list and of the changes since a version) and the rules renderers follow are the
publication machinery's, shared with the hash list: hotline/core/publication/formats.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from hotline.core.publication.formats import (
    DiffMeta,
    FeedFormat,
    FullMeta,
    Registry,
    csv_field,
    iso,
    json_str,
)
from hotline.members.models import Scope
from hotline.urllist.rpz import rpz_header, rpz_records


class FeedEntry(NamedTuple):
    """One entry on the list, as every full renderer receives it."""

    id: int
    kind: str  # "url" | "domain"
    url: str  # canonical; a domain entry's is http://<domain>/
    url_sha256: str
    domain: str  # domain entries only
    category: str
    added_at: datetime
    added_in_version: int


class FeedChange(NamedTuple):
    """One change after `since`, as every diff renderer receives it, in version order."""

    version: int
    op: str  # "add" (added, re-activated, or recategorised: hold it with this category) | "remove"
    kind: str
    url: str
    url_sha256: str
    domain: str
    category: str
    reason: str


UrlFormat = FeedFormat[FeedEntry, FeedChange]


# JSON ------------------------------------------------------------------------------------


def _json_entry(e: FeedEntry) -> str:
    domain = f',"domain":{json_str(e.domain)}' if e.domain else ""
    return (
        f'{{"url":{json_str(e.url)},"category":{json_str(e.category)},"kind":"{e.kind}"'
        f'{domain},"added_at":"{iso(e.added_at)}","added_in_version":{e.added_in_version}}}'
    )


def json_full(meta: FullMeta, entries: Iterable[FeedEntry]) -> Iterator[bytes]:
    yield (
        f'{{"version":{meta.version},"published_at":"{iso(meta.published_at)}",'
        f'"count":{meta.count},"entries":['
    ).encode()
    separator = ""
    for entry in entries:
        yield (separator + _json_entry(entry)).encode()
        separator = ","
    yield b"]}\n"


def json_diff(meta: DiffMeta, changes: Iterable[FeedChange]) -> Iterator[bytes]:
    published = f'"{iso(meta.published_at)}"' if meta.published_at else "null"
    yield (
        f'{{"from":{meta.since},"to":{meta.version},"published_at":{published},"changes":['
    ).encode()
    separator = ""
    for c in changes:
        domain = f',"domain":{json_str(c.domain)}' if c.domain else ""
        reason = f',"reason":{json_str(c.reason)}' if c.op == "remove" else ""
        yield (
            f'{separator}{{"op":"{c.op}","version":{c.version},"url":{json_str(c.url)},'
            f'"category":{json_str(c.category)},"kind":"{c.kind}"{domain}{reason}}}'
        ).encode()
        separator = ","
    yield b"]}\n"


# CSV (RFC 4180, "\n" line ends) ----------------------------------------------------------


def csv_full(meta: FullMeta, entries: Iterable[FeedEntry]) -> Iterator[bytes]:
    yield b"url,category,kind,domain,added_at,added_in_version\n"
    for e in entries:
        yield (
            f"{csv_field(e.url)},{csv_field(e.category)},{e.kind},{e.domain},{iso(e.added_at)},"
            f"{e.added_in_version}\n"
        ).encode()


def csv_diff(meta: DiffMeta, changes: Iterable[FeedChange]) -> Iterator[bytes]:
    yield b"op,version,url,category,kind,domain,reason\n"
    for c in changes:
        yield (
            f"{c.op},{c.version},{csv_field(c.url)},{csv_field(c.category)},{c.kind},{c.domain},"
            f"{csv_field(c.reason)}\n"
        ).encode()


# Plain text and SHA-256: one line per entry, "#" lines are comments ----------------------


def txt_full(meta: FullMeta, entries: Iterable[FeedEntry]) -> Iterator[bytes]:
    yield f"# Hotline URL list version {meta.version}\n".encode()
    for e in entries:
        yield f"{e.url}\n".encode()


def txt_diff(meta: DiffMeta, changes: Iterable[FeedChange]) -> Iterator[bytes]:
    yield f"# Hotline URL list changes from version {meta.since} to {meta.version}\n".encode()
    for c in changes:
        yield f"{'+' if c.op == 'add' else '-'}{c.url}\n".encode()


def sha256_full(meta: FullMeta, entries: Iterable[FeedEntry]) -> Iterator[bytes]:
    yield f"# Hotline URL list version {meta.version}: SHA-256 of each canonical URL\n".encode()
    for e in entries:
        yield f"{e.url_sha256}\n".encode()


def sha256_diff(meta: DiffMeta, changes: Iterable[FeedChange]) -> Iterator[bytes]:
    yield (
        f"# Hotline URL list changes from version {meta.since} to {meta.version}: "
        "SHA-256 of each canonical URL\n"
    ).encode()
    for c in changes:
        yield f"{'+' if c.op == 'add' else '-'}{c.url_sha256}\n".encode()


# DNS response policy zone: domain entries only ----------------------------------------


def rpz_full(meta: FullMeta, entries: Iterable[FeedEntry]) -> Iterator[bytes]:
    yield rpz_header(meta.version)
    for e in entries:
        # b"" for a URL entry: see the module's docstring on pulling one piece per entry.
        yield rpz_records(e.domain) if e.kind == "domain" else b""


REGISTRY = Registry(
    (
        UrlFormat(
            name="json",
            content_type="application/json",
            scopes=(Scope.URLLIST_READ,),
            description="JSON: {version, published_at, count, entries: [{url, category, kind, "
            "domain (domain entries), added_at, added_in_version}]}. With since: {from, to, "
            "published_at, changes: [{op: add|remove, version, url, category, kind, domain, "
            "reason (removals)}]}.",
            render_full=json_full,
            render_diff=json_diff,
        ),
        UrlFormat(
            name="csv",
            content_type="text/csv; charset=utf-8",
            scopes=(Scope.URLLIST_READ,),
            description="CSV with a header row: url, category, kind, domain, added_at, "
            "added_in_version. With since: op, version, url, category, kind, domain, reason.",
            render_full=csv_full,
            render_diff=csv_diff,
        ),
        UrlFormat(
            name="txt",
            content_type="text/plain; charset=utf-8",
            scopes=(Scope.URLLIST_READ,),
            description="Plain text, one canonical URL a line after a '#' comment line (a "
            "domain entry as http://<domain>/). With since: '+URL' added, '-URL' removed, in "
            "order. 'text' is accepted for 'txt'.",
            render_full=txt_full,
            render_diff=txt_diff,
            aliases=("text",),
        ),
        UrlFormat(
            name="sha256",
            content_type="text/plain; charset=utf-8",
            scopes=(Scope.URLLIST_HASHED_READ, Scope.URLLIST_READ),
            description="For members that must not hold the URLs: the SHA-256 (hex) of each "
            "canonical URL, one a line after a '#' comment line; hotline.core.canonical is the "
            "canonical form. With since: '+HASH' added, '-HASH' removed, in order.",
            render_full=sha256_full,
            render_diff=sha256_diff,
        ),
        UrlFormat(
            name="rpz",
            content_type="text/dns; charset=utf-8",
            scopes=(Scope.DOMAINLIST_READ,),
            description="A DNS Response Policy Zone (RFC-style zone file) of the domain-level "
            "entries only: each listed domain and every name under it answered NXDOMAIN by a "
            "resolver that loads it (BIND response-policy, Unbound rpz, PowerDNS). The zone's "
            "serial is the list version. Whole list only (no since).",
            render_full=rpz_full,
            render_diff=None,
            selects=lambda e: e.kind == "domain",
        ),
    )
)
# The registry's formats by name (FORMATS) and the lookups, as the rest of the list reads them.
FORMATS: dict[str, UrlFormat] = REGISTRY.formats
ALIASES: dict[str, str] = REGISTRY.aliases


def find_format(name: str) -> UrlFormat | None:
    """The format called `name` (or one of its aliases), or None."""
    return REGISTRY.find(name)


def accepted_names() -> list[str]:
    return REGISTRY.accepted_names()
