"""Is a URL on the list right now? The one lookup every caller uses.

`check(url)` canonicalises the address exactly as the list does (`canonicalise_url`) and
answers the entry that lists it: a URL entry for that canonical URL, or a domain entry for its
host or any domain above it (label by label: `abuse.test` lists `www.abuse.test`, not
`notabuse.test`). A URL entry wins over a domain entry, and a nearer domain over a farther one.

Fast path: each process keeps an index in memory (`_Index`): the first 8 bytes of the SHA-256
of every active URL entry, as ints, and the set of listed domains. An address in neither is
answered without the database; one in either is confirmed by one indexed query (8-byte
prefixes can collide, and the index may lag a removal), which also gives the entry.

The index follows the list's version: at most once every REFRESH_SECONDS a process reads the
current version (one indexed query) and, if it moved, applies the change log since its own
version (added and re-activated entries join; removed ones stay until the next full build, and
their confirmation answers "not listed"). So an entry added in another process is found within
REFRESH_SECONDS; a removal is seen at once. The prefixes take 8 bytes an entry (a sorted array;
those added since the build in a set): docs/benchmarks.md, "The URL list lookup".

`on_url_list` / `listed_digests` answer for canonical URLs from the database, inside the
caller's transaction (cases use them while they hold their rows).
"""

from __future__ import annotations

import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import connection

from hotline.core.canonical import NotAWebAddress, canonicalise_url
from hotline.core.hashing import url_digest
from hotline.urllist.actions import domain_entry_url
from hotline.urllist.models import ChangeKind, EntryKind, UrlListChange, UrlListEntry
from hotline.urllist.snapshots import current_version

__all__ = ["Match", "NotAWebAddress", "check", "check_canonical", "listed_digests", "on_url_list"]

# How often (seconds) a process asks whether the list has moved on.
REFRESH_SECONDS = 1.0
# Entries added or removed since the last build that the index holds as patches; past this, it
# is built again (removed entries stay in it until then: harmless, confirmation says no).
MAX_PATCHED = 50_000
ROWS_PER_FETCH = 10_000


@dataclass(frozen=True)
class Match:
    """The entry that lists an address."""

    entry_id: int
    category: str
    kind: str  # EntryKind: "url" or "domain"
    domain: str  # the listed domain, for a domain entry; "" for a URL entry


def prefix(digest: str) -> int:
    """The index's key for a URL's SHA-256 (hex): its first 8 bytes as an int."""
    return int(digest[:16], 16)


@dataclass
class _Index:
    """The prefixes of the active URL entries at the last build, sorted in an array (8 bytes
    each: a set of Python ints takes about 70 MB a million), those added since in a set, and
    the listed domains."""

    version: int = -1
    built: array[int] = field(default_factory=lambda: array("Q"))
    added: set[int] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    patched: int = 0
    checked_at: float = float("-inf")

    def has(self, key: int) -> bool:
        if key in self.added:
            return True
        at = bisect_left(self.built, key)
        return at < len(self.built) and self.built[at] == key


_index = _Index()
_lock = threading.Lock()


def reset_index() -> None:
    """Forget this process's index: the next check builds it again (tests; a new process)."""
    global _index
    with _lock:
        _index = _Index()


def _build(version: int) -> _Index:
    active = UrlListEntry.objects.filter(removed_at__isnull=True).order_by()
    digests = (
        active.filter(kind=EntryKind.URL)
        .values_list("url_sha256", flat=True)
        .iterator(chunk_size=ROWS_PER_FETCH)
    )
    domains = active.filter(kind=EntryKind.DOMAIN).values_list("domain", flat=True)
    return _Index(
        version=version,
        built=array("Q", sorted(prefix(digest) for digest in digests)),
        domains=set(domains.iterator(chunk_size=ROWS_PER_FETCH)),
    )


def _apply_changes(index: _Index, version: int) -> bool:
    """Patch `index` with the change log after its version; False if a build is better."""
    changes = UrlListChange.objects.filter(version__gt=index.version)
    if index.patched + changes.count() > MAX_PATCHED:
        return False
    rows = changes.order_by("version", "id").values_list(
        "change", "entry__kind", "entry__url_sha256", "entry__domain"
    )
    for change, kind, digest, domain in rows:
        index.patched += 1
        if change in (ChangeKind.ADDED, ChangeKind.REACTIVATED):
            if kind == EntryKind.DOMAIN:
                index.domains.add(domain)
            else:
                index.added.add(prefix(digest))
        # A removed entry stays: another active entry may share its prefix (or, for a
        # domain, nothing else can tell), and confirmation answers for it.
    index.version = max(index.version, version)
    return True


def _current_index() -> _Index:
    global _index
    index = _index
    now = time.monotonic()
    if now - index.checked_at < REFRESH_SECONDS:
        return index
    with _lock:
        index = _index
        if now - index.checked_at < REFRESH_SECONDS:
            return index
        version = current_version()
        # Patched in place from the change log when it can be; else built anew, while readers
        # keep the old index until the swap below.
        patchable = 0 <= index.version <= version
        if version != index.version and not (patchable and _apply_changes(index, version)):
            index = _build(version)
        index.checked_at = now
        _index = index
        return index


def _domains_above(host: str) -> list[str]:
    """`host` and every domain it is under, nearest first (`a.b.test`, `b.test`, `test`)."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _active_entries(wanted: list[tuple[str, str]]) -> list[tuple[int, str, str, str]]:
    """(id, kind, category, domain) of the active entries of each (kind, url_sha256)."""
    table = UrlListEntry._meta.db_table
    either = " OR ".join(["(kind = %s AND url_sha256 = %s)"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, kind, category, domain FROM {table} "  # noqa: S608 (our own names)
            f"WHERE removed_at IS NULL AND ({either})",
            [value for pair in wanted for value in pair],
        )
        return list(cursor.fetchall())


def check_canonical(canonical_url: str) -> Match | None:
    """`check` for an address already in canonical form."""
    index = _current_index()
    digest = url_digest(canonical_url)
    url_hit = index.has(prefix(digest))
    host = urlsplit(canonical_url).hostname or ""
    domains = [d for d in _domains_above(host) if d in index.domains] if index.domains else []
    if not url_hit and not domains:
        return None
    # Both kinds in one query on the url_sha256 index. Plain SQL: the ORM would build the
    # same statement at three times the cost of running it, on the path of every hit.
    wanted = [(EntryKind.DOMAIN.value, url_digest(domain_entry_url(d))) for d in domains]
    if url_hit:
        wanted.append((EntryKind.URL.value, digest))
    found = _active_entries(wanted)
    if not found:
        return None
    # The URL entry first, then the nearest domain.
    nearest = {d: i for i, d in enumerate(domains)}
    pk, kind, category, domain = min(
        found, key=lambda row: -1 if row[1] == EntryKind.URL else nearest.get(row[3], len(nearest))
    )
    return Match(entry_id=pk, category=category, kind=kind, domain=domain)


def check(url: str) -> Match | None:
    """The entry that lists `url` now, or None; NotAWebAddress (with the reason) if `url` is
    not an http(s) address. Canonicalises exactly as the list does."""
    return check_canonical(canonicalise_url(url))


def on_url_list(canonical_url: str) -> bool:
    """Whether `canonical_url` has an entry on the list now (not removed)."""
    return bool(listed_digests([url_digest(canonical_url)]))


def listed_digests(digests: Collection[str]) -> set[str]:
    """Those of `digests` (url_digest of canonical URLs) with an entry on the list now."""
    listed = UrlListEntry.objects.filter(url_sha256__in=digests, removed_at__isnull=True)
    return set(listed.values_list("url_sha256", flat=True))
