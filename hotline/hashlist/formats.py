"""The hash list's feed formats: one registry (the publication machinery's shape,
hotline/core/publication/formats.py), so adding a format touches this file only.

Every format needs the `hashlist:read` licence: hashes of abuse images go to members licensed
for them and to nobody else (not to partners, not with a URL list licence).
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


class HashEntry(NamedTuple):
    """One entry on the list, as every full renderer receives it."""

    id: int
    signal_type: str
    value: str
    category: str
    added_at: datetime
    added_in_version: int


class HashFeedChange(NamedTuple):
    """One change after `since`, as every diff renderer receives it, in version order."""

    version: int
    op: str  # "add" (added, re-activated, recategorised: hold it with this category) | "remove"
    signal_type: str
    value: str
    category: str
    reason: str


HashFormat = FeedFormat[HashEntry, HashFeedChange]


def json_full(meta: FullMeta, entries: Iterable[HashEntry]) -> Iterator[bytes]:
    yield (
        f'{{"version":{meta.version},"published_at":"{iso(meta.published_at)}",'
        f'"count":{meta.count},"entries":['
    ).encode()
    separator = ""
    for e in entries:
        yield (
            f'{separator}{{"signal_type":"{e.signal_type}","hash":"{e.value}",'
            f'"category":{json_str(e.category)},"added_at":"{iso(e.added_at)}",'
            f'"added_in_version":{e.added_in_version}}}'
        ).encode()
        separator = ","
    yield b"]}\n"


def json_diff(meta: DiffMeta, changes: Iterable[HashFeedChange]) -> Iterator[bytes]:
    published = f'"{iso(meta.published_at)}"' if meta.published_at else "null"
    yield (
        f'{{"from":{meta.since},"to":{meta.version},"published_at":{published},"changes":['
    ).encode()
    separator = ""
    for c in changes:
        reason = f',"reason":{json_str(c.reason)}' if c.op == "remove" else ""
        yield (
            f'{separator}{{"op":"{c.op}","version":{c.version},"signal_type":"{c.signal_type}",'
            f'"hash":"{c.value}","category":{json_str(c.category)}{reason}}}'
        ).encode()
        separator = ","
    yield b"]}\n"


def csv_full(meta: FullMeta, entries: Iterable[HashEntry]) -> Iterator[bytes]:
    yield b"signal_type,hash,category,added_at,added_in_version\n"
    for e in entries:
        yield (
            f"{e.signal_type},{e.value},{csv_field(e.category)},{iso(e.added_at)},"
            f"{e.added_in_version}\n"
        ).encode()


def csv_diff(meta: DiffMeta, changes: Iterable[HashFeedChange]) -> Iterator[bytes]:
    yield b"op,version,signal_type,hash,category,reason\n"
    for c in changes:
        yield (
            f"{c.op},{c.version},{c.signal_type},{c.value},{csv_field(c.category)},"
            f"{csv_field(c.reason)}\n"
        ).encode()


REGISTRY = Registry(
    (
        HashFormat(
            name="json",
            content_type="application/json",
            scopes=(Scope.HASHLIST_READ,),
            description="JSON: {version, published_at, count, entries: [{signal_type, hash, "
            "category, added_at, added_in_version}]}. With since: {from, to, published_at, "
            "changes: [{op: add|remove, version, signal_type, hash, category, reason "
            "(removals)}]}. signal_type is pdq, md5, sha1 or sha256; hash is lower-case hex.",
            render_full=json_full,
            render_diff=json_diff,
        ),
        HashFormat(
            name="csv",
            content_type="text/csv; charset=utf-8",
            scopes=(Scope.HASHLIST_READ,),
            description="CSV with a header row: signal_type, hash, category, added_at, "
            "added_in_version. With since: op, version, signal_type, hash, category, reason.",
            render_full=csv_full,
            render_diff=csv_diff,
        ),
    )
)
FORMATS: dict[str, HashFormat] = REGISTRY.formats
