"""The URL list's publication: how the shared machinery (hotline/core/publication/) reads this
list, and the functions the list's actions, API and lookup call.

`render_snapshots` reads the list once, in one statement (so one consistent snapshot of the
database on every engine), with the version and count of that same snapshot beside every row,
and feeds the rows to every format's renderer in turn (formats.py); each format's bytes go to
`UrlListSnapshotChunk` rows of at most CHUNK_SIZE bytes as they come, hashed on the way.
"""

from __future__ import annotations

from collections.abc import Iterator

from hotline.core.publication import store
from hotline.core.publication.store import (
    Progress,
    Publication,
    Rendered,
    consistent_read,
    manifest_header,
)
from hotline.urllist.formats import REGISTRY, FeedChange, FeedEntry, UrlFormat
from hotline.urllist.models import (
    ChangeKind,
    UrlListChange,
    UrlListEntry,
    UrlListSnapshot,
    UrlListSnapshotChunk,
    UrlListVersion,
)

# Read at each publication, so a test may make it small.
CHUNK_SIZE = store.CHUNK_SIZE
ROWS_PER_FETCH = store.ROWS_PER_FETCH

_OPS = {
    ChangeKind.ADDED: "add",
    ChangeKind.REACTIVATED: "add",
    ChangeKind.RECATEGORISED: "add",
    ChangeKind.REMOVED: "remove",
}


def _consistent_read() -> tuple[int, int, Iterator[FeedEntry]]:
    """The list's version, its entry count and its entries, all from one statement."""
    return consistent_read(
        active=UrlListEntry.objects.filter(removed_at__isnull=True),
        version_model=UrlListVersion,
        active_where="removed_at IS NULL",
        fields=(
            "pk",
            "kind",
            "url",
            "url_sha256",
            "domain",
            "category",
            "added_at",
            "added_in__number",
        ),
        make=lambda row: FeedEntry(*row),
        what="URL list",
    )


def changes_between(since: int, version: int) -> Iterator[FeedChange]:
    """The changes after `since` up to `version`, in the order they were made."""
    rows = (
        UrlListChange.objects.filter(version__gt=since, version__lte=version)
        .order_by("version", "id")
        .values_list(
            "version",
            "change",
            "entry__kind",
            "entry__url",
            "entry__url_sha256",
            "entry__domain",
            "category",
            "reason",
        )
        .iterator(chunk_size=ROWS_PER_FETCH)
    )
    for number, change, kind, url, digest, domain, category, reason in rows:
        yield FeedChange(
            number, _OPS[ChangeKind(change)], kind, url, digest, domain, category, reason
        )


URL_LIST = Publication(
    what="URL list",
    registry=REGISTRY,
    version_model=UrlListVersion,
    snapshot_model=UrlListSnapshot,
    chunk_model=UrlListSnapshotChunk,
    read=_consistent_read,
    changes=changes_between,
)


def current_version() -> int:
    return URL_LIST.current_version()


def render_snapshots(*, progress: Progress | None = None) -> list[UrlListSnapshot]:
    """Render and store every full format not yet published at the list's current version."""
    snapshots = URL_LIST.render_snapshots(progress=progress, chunk_size=CHUNK_SIZE)
    return [s for s in snapshots if isinstance(s, UrlListSnapshot)]


def prune_snapshots(*, keep_from: int) -> int:
    """Delete the snapshots older than the one published before `keep_from`."""
    return URL_LIST.prune_snapshots(keep_from=keep_from)


def render_diff(fmt: UrlFormat, *, since: int, version: int) -> Rendered:
    """The changes after `since` up to `version` in `fmt`'s diff form, signed."""
    return URL_LIST.render_diff(fmt, since=since, version=version)


def render_empty(fmt: UrlFormat) -> Rendered:
    """Version 0: the list before its first publication, empty."""
    return URL_LIST.render_empty(fmt)


__all__ = [
    "URL_LIST",
    "changes_between",
    "current_version",
    "manifest_header",
    "prune_snapshots",
    "render_diff",
    "render_empty",
    "render_snapshots",
]
