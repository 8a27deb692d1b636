"""Rendering, storing and reading the published full feeds, and rendering diffs.

`render_snapshots` reads the list once, in one statement (so one consistent snapshot of the
database on every engine), with the version and count of that same snapshot beside every row,
and feeds the rows to every format's renderer in turn (formats.py). Each format's bytes go to
`UrlListSnapshotChunk` rows of at most CHUNK_SIZE bytes as they come, hashed on the way, so
nothing holds a whole feed.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from django.db.models.expressions import RawSQL
from django.utils import timezone

from hotline.urllist.formats import (
    FORMATS,
    DiffMeta,
    FeedChange,
    FeedEntry,
    FeedFormat,
    FullMeta,
)
from hotline.urllist.models import (
    ChangeKind,
    UrlListChange,
    UrlListEntry,
    UrlListSnapshot,
    UrlListSnapshotChunk,
    UrlListVersion,
)
from hotline.urllist.signing import manifest_bytes, sign

CHUNK_SIZE = 1024 * 1024
ROWS_PER_FETCH = 5000
# How many bytes of a diff are kept in memory before it spills to a temporary file.
DIFF_IN_MEMORY = 4 * 1024 * 1024

Progress = Callable[[str], None]


def _current_version_sql() -> str:
    return f"SELECT COALESCE(MAX(number), 0) FROM {UrlListVersion._meta.db_table}"  # noqa: S608


def current_version() -> int:
    number = UrlListVersion.objects.order_by("-number").values_list("number", flat=True).first()
    return int(number or 0)


def _consistent_read() -> tuple[int, int, Iterator[FeedEntry]]:
    """The list's version, its entry count and its entries, all from one statement."""
    active = UrlListEntry.objects.filter(removed_at__isnull=True)
    for _ in range(3):
        rows = (
            active.annotate(
                list_version=RawSQL(_current_version_sql(), ()),  # noqa: S611
                list_count=RawSQL(  # noqa: S611
                    f"SELECT COUNT(*) FROM {UrlListEntry._meta.db_table} "  # noqa: S608
                    "WHERE removed_at IS NULL",
                    (),
                ),
            )
            .order_by("pk")
            .values_list(
                "pk",
                "kind",
                "url",
                "url_sha256",
                "domain",
                "category",
                "added_at",
                "added_in__number",
                "list_version",
                "list_count",
            )
            .iterator(chunk_size=ROWS_PER_FETCH)
        )
        first = next(rows, None)
        if first is not None:
            entries = (FeedEntry(*row[:8]) for row in itertools.chain((first,), rows))
            return int(first[8]), int(first[9]), entries
        # Empty: the version is read apart, so check it is the version of an empty list (a
        # change could have committed between the two reads; then read again).
        version = current_version()
        if not active.exists() and current_version() == version:
            return version, 0, iter(())
    raise RuntimeError("the URL list kept changing while it was being read; publish again")


@dataclass
class _Writer:
    """Takes one format's pieces, stores them in chunks, then signs the manifest."""

    fmt: FeedFormat
    meta: FullMeta
    progress: Progress | None
    count: int = 0

    def __post_init__(self) -> None:
        self.snapshot = UrlListSnapshot.objects.create(
            version=self.meta.version,
            format=self.fmt.name,
            published_at=self.meta.published_at,
            count=0,
            size=0,
            sha256="",
            manifest=b"",
            signature="",
        )
        self.buffer = bytearray()
        self.digest = hashlib.sha256()
        self.size = 0
        self.chunks = 0

    def counted(self, entries: Iterable[FeedEntry]) -> Iterator[FeedEntry]:
        selects = self.fmt.selects
        for entry in entries:
            if selects is None or selects(entry):
                self.count += 1
            yield entry

    def write(self, piece: bytes) -> None:
        self.buffer += piece
        if len(self.buffer) >= CHUNK_SIZE:
            self._flush(CHUNK_SIZE)

    def _flush(self, size: int) -> None:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.digest.update(data)
        self.size += len(data)
        UrlListSnapshotChunk.objects.create(snapshot=self.snapshot, index=self.chunks, data=data)
        self.chunks += 1
        if self.progress is not None and self.chunks % 16 == 0:
            self.progress(f"  {self.fmt.name}: {self.size / 1048576:.0f} MiB")

    def finish(self) -> UrlListSnapshot:
        while self.buffer:
            self._flush(CHUNK_SIZE)
        snapshot = self.snapshot
        snapshot.count = self.count
        snapshot.size = self.size
        snapshot.sha256 = self.digest.hexdigest()
        snapshot.manifest = manifest_bytes(
            {
                "format": self.fmt.name,
                "version": self.meta.version,
                "published_at": self.meta.published_at.isoformat(),
                "count": self.count,
                "size": self.size,
                "sha256": snapshot.sha256,
            }
        )
        snapshot.signature = sign(bytes(snapshot.manifest))
        snapshot.save(update_fields=["count", "size", "sha256", "manifest", "signature"])
        if self.progress is not None:
            self.progress(
                f"{self.fmt.name}: {self.count} entries, {self.size} bytes, sha256 "
                f"{snapshot.sha256}"
            )
        return snapshot


def render_snapshots(*, progress: Progress | None = None) -> list[UrlListSnapshot]:
    """Render and store every full format not yet published at the list's current version.

    Runs inside publish_url_list's transaction. The renderers take turns, one piece each, over
    one read of the list (itertools.tee keeps only the few rows between the slowest and the
    fastest of them).
    """
    version, count, entries = _consistent_read()
    done = set(UrlListSnapshot.objects.filter(version=version).values_list("format", flat=True))
    todo = [f for f in FORMATS.values() if f.name not in done]
    if not todo:
        if progress is not None:
            progress(f"Version {version} is already published in every format.")
        return []
    if progress is not None:
        progress(
            f"Publishing version {version}: {count} entries, {', '.join(f.name for f in todo)}"
        )
    meta = FullMeta(version=version, published_at=timezone.now(), count=count)
    writers = [_Writer(fmt, meta, progress) for fmt in todo]
    sources = itertools.tee(entries, len(todo))
    running = [
        (writer, iter(writer.fmt.render_full(meta, writer.counted(source))))
        for writer, source in zip(writers, sources, strict=True)
    ]
    while running:
        still = []
        for writer, pieces in running:
            piece = next(pieces, None)
            if piece is None:
                continue
            writer.write(piece)
            still.append((writer, pieces))
        running = still
    return [writer.finish() for writer in writers]


def prune_snapshots(*, keep_from: int) -> int:
    """Delete the snapshots older than the one published before `keep_from`: a member may still
    be downloading that one. Returns how many were deleted."""
    previous = (
        UrlListSnapshot.objects.filter(version__lt=keep_from)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if previous is None:
        return 0
    deleted, _ = UrlListSnapshot.objects.filter(version__lt=previous).delete()
    return deleted


def latest_snapshot(fmt: FeedFormat) -> UrlListSnapshot | None:
    return (
        UrlListSnapshot.objects.filter(format=fmt.name)
        .exclude(signature="")
        .order_by("-version")
        .defer("manifest")
        .first()
    )


def snapshot_chunks(snapshot_id: int) -> Iterator[bytes]:
    """The snapshot's bytes, one chunk (one query) at a time."""
    ids = list(
        UrlListSnapshotChunk.objects.filter(snapshot_id=snapshot_id)
        .order_by("index")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        data = UrlListSnapshotChunk.objects.filter(pk=pk).values_list("data", flat=True).get()
        yield bytes(data)


@dataclass
class Rendered:
    """A feed rendered on request (a diff, or the empty list before any publication): its
    bytes in memory or in a temporary file, and its signed manifest."""

    body: IO[bytes]
    size: int
    manifest: bytes
    signature: str

    def pieces(self, block: int = 65536) -> Iterator[bytes]:
        try:
            self.body.seek(0)
            while piece := self.body.read(block):
                yield piece
        finally:
            self.body.close()


def _render(pieces: Iterable[bytes], manifest: Callable[[], dict[str, Any]]) -> Rendered:
    """Write `pieces` out (memory, then a temporary file past DIFF_IN_MEMORY) while hashing;
    then sign `manifest()` (called after rendering, so it may hold counts) with the size and
    digest of the body added."""
    body = tempfile.SpooledTemporaryFile(max_size=DIFF_IN_MEMORY)  # noqa: SIM115
    digest = hashlib.sha256()
    size = 0
    for piece in pieces:
        body.write(piece)
        digest.update(piece)
        size += len(piece)
    data = manifest_bytes({**manifest(), "size": size, "sha256": digest.hexdigest()})
    return Rendered(body=body, size=size, manifest=data, signature=sign(data))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def render_empty(fmt: FeedFormat) -> Rendered:
    """Version 0: the list before its first publication, empty."""
    meta = FullMeta(version=0, published_at=EPOCH, count=0)
    return _render(
        fmt.render_full(meta, ()),
        lambda: {"format": fmt.name, "version": 0, "published_at": EPOCH.isoformat(), "count": 0},
    )


_OPS = {
    ChangeKind.ADDED: "add",
    ChangeKind.REACTIVATED: "add",
    ChangeKind.RECATEGORISED: "add",
    ChangeKind.REMOVED: "remove",
}


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


def render_diff(fmt: FeedFormat, *, since: int, version: int) -> Rendered:
    """The changes after `since` up to `version` in `fmt`'s diff form, signed. Every version up
    to the latest has committed all its changes (each takes the next number, unique), so the
    same request always gives the same bytes."""
    assert fmt.render_diff is not None
    published = (
        UrlListVersion.objects.filter(number=version).values_list("published_at", flat=True).first()
    )
    meta = DiffMeta(since=since, version=version, published_at=published)
    count = 0

    def counted() -> Iterator[FeedChange]:
        nonlocal count
        for change in changes_between(since, version):
            count += 1
            yield change

    return _render(
        fmt.render_diff(meta, counted()),
        lambda: {
            "format": fmt.name,
            "from": since,
            "version": version,
            "published_at": published.isoformat() if published else None,
            "count": count,
        },
    )


def manifest_header(manifest: bytes) -> str:
    return base64.b64encode(manifest).decode("ascii")
