"""The feed formats: one registry, so adding a format touches this file only.

Each `FeedFormat` names its content type, the member scopes (licences) any one of which lets a
member download it, the text the OpenAPI
document shows, and its renderers:

- `render_full(meta, entries)`: the whole list at `meta.version`, for `publish_url_list()`
  (which stores the bytes; feeds never render the full list per request);
- `render_diff(meta, changes)`: the changes after `meta.since` up to `meta.version`, for
  `?since=`; None if the format has no incremental form.

Renderers are generators of bytes and never hold the whole feed. The publisher renders every
format in one pass over one read of the list, pulling one piece from each renderer in turn, so
a full renderer must yield at least once per entry it reads (b"" for an entry it leaves out),
or the read ahead of it piles up in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring
from typing import NamedTuple

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


@dataclass(frozen=True)
class FullMeta:
    version: int
    published_at: datetime
    count: int


@dataclass(frozen=True)
class DiffMeta:
    since: int
    version: int
    published_at: datetime | None


FullRenderer = Callable[[FullMeta, Iterable[FeedEntry]], Iterator[bytes]]
DiffRenderer = Callable[[DiffMeta, Iterable[FeedChange]], Iterator[bytes]]


@dataclass(frozen=True)
class FeedFormat:
    name: str
    content_type: str
    scopes: tuple[str, ...]
    description: str
    render_full: FullRenderer
    render_diff: DiffRenderer | None
    aliases: tuple[str, ...] = ()
    # Which entries the format holds (the manifest's count); None: every entry.
    selects: Callable[[FeedEntry], bool] | None = None


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _json_str(text: str) -> str:
    return encode_basestring(text)


# JSON ------------------------------------------------------------------------------------


def _json_entry(e: FeedEntry) -> str:
    domain = f',"domain":{_json_str(e.domain)}' if e.domain else ""
    return (
        f'{{"url":{_json_str(e.url)},"category":{_json_str(e.category)},"kind":"{e.kind}"'
        f'{domain},"added_at":"{_iso(e.added_at)}","added_in_version":{e.added_in_version}}}'
    )


def json_full(meta: FullMeta, entries: Iterable[FeedEntry]) -> Iterator[bytes]:
    yield (
        f'{{"version":{meta.version},"published_at":"{_iso(meta.published_at)}",'
        f'"count":{meta.count},"entries":['
    ).encode()
    separator = ""
    for entry in entries:
        yield (separator + _json_entry(entry)).encode()
        separator = ","
    yield b"]}\n"


def json_diff(meta: DiffMeta, changes: Iterable[FeedChange]) -> Iterator[bytes]:
    published = f'"{_iso(meta.published_at)}"' if meta.published_at else "null"
    yield (
        f'{{"from":{meta.since},"to":{meta.version},"published_at":{published},"changes":['
    ).encode()
    separator = ""
    for c in changes:
        domain = f',"domain":{_json_str(c.domain)}' if c.domain else ""
        reason = f',"reason":{_json_str(c.reason)}' if c.op == "remove" else ""
        yield (
            f'{separator}{{"op":"{c.op}","version":{c.version},"url":{_json_str(c.url)},'
            f'"category":{_json_str(c.category)},"kind":"{c.kind}"{domain}{reason}}}'
        ).encode()
        separator = ","
    yield b"]}\n"


# CSV (RFC 4180, "\n" line ends) ----------------------------------------------------------


def _csv(field: str) -> str:
    if "," in field or '"' in field or "\n" in field or "\r" in field:
        return '"' + field.replace('"', '""') + '"'
    return field


def csv_full(meta: FullMeta, entries: Iterable[FeedEntry]) -> Iterator[bytes]:
    yield b"url,category,kind,domain,added_at,added_in_version\n"
    for e in entries:
        yield (
            f"{_csv(e.url)},{_csv(e.category)},{e.kind},{e.domain},{_iso(e.added_at)},"
            f"{e.added_in_version}\n"
        ).encode()


def csv_diff(meta: DiffMeta, changes: Iterable[FeedChange]) -> Iterator[bytes]:
    yield b"op,version,url,category,kind,domain,reason\n"
    for c in changes:
        yield (
            f"{c.op},{c.version},{_csv(c.url)},{_csv(c.category)},{c.kind},{c.domain},"
            f"{_csv(c.reason)}\n"
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


FORMATS: dict[str, FeedFormat] = {
    f.name: f
    for f in (
        FeedFormat(
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
        FeedFormat(
            name="csv",
            content_type="text/csv; charset=utf-8",
            scopes=(Scope.URLLIST_READ,),
            description="CSV with a header row: url, category, kind, domain, added_at, "
            "added_in_version. With since: op, version, url, category, kind, domain, reason.",
            render_full=csv_full,
            render_diff=csv_diff,
        ),
        FeedFormat(
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
        FeedFormat(
            name="sha256",
            content_type="text/plain; charset=utf-8",
            scopes=(Scope.URLLIST_HASHED_READ, Scope.URLLIST_READ),
            description="For members that must not hold the URLs: the SHA-256 (hex) of each "
            "canonical URL, one a line after a '#' comment line; hotline.core.canonical is the "
            "canonical form. With since: '+HASH' added, '-HASH' removed, in order.",
            render_full=sha256_full,
            render_diff=sha256_diff,
        ),
        FeedFormat(
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
}
ALIASES: dict[str, str] = {alias: f.name for f in FORMATS.values() for alias in f.aliases}


def find_format(name: str) -> FeedFormat | None:
    """The format called `name` (or one of its aliases), or None."""
    return FORMATS.get(ALIASES.get(name, name))


def accepted_names() -> list[str]:
    return [*FORMATS, *ALIASES]
