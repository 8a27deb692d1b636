"""Rendering, storing and reading a list's published full feeds, and rendering its diffs.

One `Publication` per list names the list's tables and how to read it. `render_snapshots` reads
the list once, in one statement (so one consistent snapshot of the database on every engine),
with the version and count of that same snapshot beside every row (`consistent_read`), and
feeds the rows to every format's renderer in turn. Each format's bytes go to chunk rows of at
most `chunk_size` bytes as they come, hashed on the way, so nothing holds a whole feed.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from django.db import models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from hotline.core.publication.formats import AnyFormat, DiffMeta, FullMeta, Registry
from hotline.core.publication.models import SnapshotBase, SnapshotChunkBase
from hotline.core.publication.signing import manifest_bytes, sign

CHUNK_SIZE = 1024 * 1024
ROWS_PER_FETCH = 5000
# How many bytes of a diff are kept in memory before it spills to a temporary file.
DIFF_IN_MEMORY = 4 * 1024 * 1024
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Progress = Callable[[str], None]
# The list's version, its entry count and its entries, from one statement.
ListRead = tuple[int, int, Iterator[Any]]


def consistent_read(
    *,
    active: models.QuerySet[Any],
    version_model: type[models.Model],
    active_where: str,
    fields: Sequence[str],
    make: Callable[[tuple[Any, ...]], Any],
    what: str,
) -> ListRead:
    """The list's version, its entry count and its entries (`make` of each row of `fields`),
    all from one statement: the version (the highest `number` of `version_model`) and the count
    (rows of `active`'s table matching the SQL `active_where`, which must say what `active`
    filters) are subqueries beside every row."""
    version_sql = f"SELECT COALESCE(MAX(number), 0) FROM {version_model._meta.db_table}"  # noqa: S608
    count_sql = f"SELECT COUNT(*) FROM {active.model._meta.db_table} WHERE {active_where}"  # noqa: S608
    width = len(fields)
    for _ in range(3):
        rows = (
            active.annotate(
                list_version=RawSQL(version_sql, ()),  # noqa: S611
                list_count=RawSQL(count_sql, ()),  # noqa: S611
            )
            .order_by("pk")
            .values_list(*fields, "list_version", "list_count")
            .iterator(chunk_size=ROWS_PER_FETCH)
        )
        first = next(rows, None)
        if first is not None:
            entries = (make(row[:width]) for row in itertools.chain((first,), rows))
            return int(first[width]), int(first[width + 1]), entries
        # Empty: the version is read apart, so check it is the version of an empty list (a
        # change could have committed between the two reads; then read again).
        version = latest_number(version_model)
        if not active.exists() and latest_number(version_model) == version:
            return version, 0, iter(())
    raise RuntimeError(f"the {what} kept changing while it was being read; publish again")


def latest_number(version_model: type[models.Model]) -> int:
    """The highest version `number` of a list (0 before its first change)."""
    number = (
        version_model._default_manager.order_by("-number").values_list("number", flat=True).first()
    )
    return int(number or 0)


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


def render_signed(pieces: Iterable[bytes], manifest: Callable[[], dict[str, Any]]) -> Rendered:
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


def manifest_header(manifest: bytes) -> str:
    return base64.b64encode(manifest).decode("ascii")


@dataclass
class _Writer:
    """Takes one format's pieces, stores them in chunks, then signs the manifest."""

    publication: Publication
    fmt: AnyFormat
    meta: FullMeta
    progress: Progress | None
    chunk_size: int
    count: int = 0

    def __post_init__(self) -> None:
        self.snapshot = self.publication.snapshot_model._default_manager.create(
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

    def counted(self, entries: Iterable[Any]) -> Iterator[Any]:
        selects = self.fmt.selects
        for entry in entries:
            if selects is None or selects(entry):
                self.count += 1
            yield entry

    def write(self, piece: bytes) -> None:
        self.buffer += piece
        if len(self.buffer) >= self.chunk_size:
            self._flush(self.chunk_size)

    def _flush(self, size: int) -> None:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.digest.update(data)
        self.size += len(data)
        # `snapshot` is the concrete chunk model's foreign key (the abstract base has none).
        row: dict[str, Any] = {"snapshot": self.snapshot, "index": self.chunks, "data": data}
        self.publication.chunk_model._default_manager.create(**row)
        self.chunks += 1
        if self.progress is not None and self.chunks % 16 == 0:
            self.progress(f"  {self.fmt.name}: {self.size / 1048576:.0f} MiB")

    def finish(self) -> SnapshotBase:
        while self.buffer:
            self._flush(self.chunk_size)
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


@dataclass(frozen=True)
class Publication:
    """One published list: its formats, its tables, and how to read it.

    `read()` is the list now, from one statement (`consistent_read`); `changes(since, version)`
    the changes after `since` up to `version`, in the order they were made, as the diff
    renderers take them.
    """

    what: str  # "URL list", for messages
    registry: Registry
    version_model: type[models.Model]
    snapshot_model: type[SnapshotBase]
    chunk_model: type[SnapshotChunkBase]
    read: Callable[[], ListRead]
    changes: Callable[[int, int], Iterator[Any]]

    def current_version(self) -> int:
        return latest_number(self.version_model)

    def render_snapshots(
        self, *, progress: Progress | None = None, chunk_size: int = CHUNK_SIZE
    ) -> list[SnapshotBase]:
        """Render and store every full format not yet published at the list's current version.

        Runs inside the list's publish action's transaction. The renderers take turns, one
        piece each, over one read of the list (itertools.tee keeps only the few rows between
        the slowest and the fastest of them).
        """
        version, count, entries = self.read()
        done = set(
            self.snapshot_model._default_manager.filter(version=version).values_list(
                "format", flat=True
            )
        )
        todo = [f for f in self.registry.formats.values() if f.name not in done]
        if not todo:
            if progress is not None:
                progress(f"Version {version} is already published in every format.")
            return []
        if progress is not None:
            progress(
                f"Publishing version {version}: {count} entries, {', '.join(f.name for f in todo)}"
            )
        meta = FullMeta(version=version, published_at=timezone.now(), count=count)
        writers = [_Writer(self, fmt, meta, progress, chunk_size) for fmt in todo]
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

    def prune_snapshots(self, *, keep_from: int) -> int:
        """Delete the snapshots older than the one published before `keep_from`: a member may
        still be downloading that one. Returns how many were deleted."""
        snapshots = self.snapshot_model._default_manager
        previous = (
            snapshots.filter(version__lt=keep_from)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        if previous is None:
            return 0
        deleted, _ = snapshots.filter(version__lt=previous).delete()
        return deleted

    def latest_snapshot(self, fmt: AnyFormat) -> SnapshotBase | None:
        return (
            self.snapshot_model._default_manager.filter(format=fmt.name)
            .exclude(signature="")
            .order_by("-version")
            .defer("manifest")
            .first()
        )

    def snapshot_manifest(self, snapshot_id: int) -> bytes:
        manifest = self.snapshot_model._default_manager.filter(pk=snapshot_id).values_list(
            "manifest", flat=True
        )
        return bytes(manifest.get())

    def snapshot_chunks(self, snapshot_id: int) -> Iterator[bytes]:
        """The snapshot's bytes, one chunk (one query) at a time."""
        chunks = self.chunk_model._default_manager
        of_snapshot: dict[str, Any] = {"snapshot_id": snapshot_id}
        ids = list(chunks.filter(**of_snapshot).order_by("index").values_list("pk", flat=True))
        for pk in ids:
            yield bytes(chunks.filter(pk=pk).values_list("data", flat=True).get())

    def render_empty(self, fmt: AnyFormat) -> Rendered:
        """Version 0: the list before its first publication, empty."""
        meta = FullMeta(version=0, published_at=EPOCH, count=0)
        return render_signed(
            fmt.render_full(meta, ()),
            lambda: {
                "format": fmt.name,
                "version": 0,
                "published_at": EPOCH.isoformat(),
                "count": 0,
            },
        )

    def render_diff(self, fmt: AnyFormat, *, since: int, version: int) -> Rendered:
        """The changes after `since` up to `version` in `fmt`'s diff form, signed. Every version
        up to the latest has committed all its changes (each takes the next number, unique), so
        the same request always gives the same bytes."""
        assert fmt.render_diff is not None
        published = (
            self.version_model._default_manager.filter(number=version)
            .values_list("published_at", flat=True)
            .first()
        )
        meta = DiffMeta(since=since, version=version, published_at=published)
        count = 0

        def counted() -> Iterator[Any]:
            nonlocal count
            for change in self.changes(since, version):
                count += 1
                yield change

        return render_signed(
            fmt.render_diff(meta, counted()),
            lambda: {
                "format": fmt.name,
                "from": since,
                "version": version,
                "published_at": published.isoformat() if published else None,
                "count": count,
            },
        )


def replay_change_log(
    change_model: type[models.Model], *, version: int, removed: str
) -> dict[int, str]:
    """The entries on a list at `version`, each with its category: the replay of its change
    log (rows with `version`, `entry_id`, `change` and `category`) up to that version, in the
    order the changes were made. A change of kind `removed` takes an entry off; any other
    (added, re-activated, recategorised) leaves it on with the change's category."""
    state: dict[int, str] = {}
    changes = (
        change_model._default_manager.filter(version__lte=version)
        .order_by("version", "id")
        .values_list("entry_id", "change", "category")
        .iterator(chunk_size=5000)
    )
    for entry_id, change, category in changes:
        if change == removed:
            state.pop(entry_id, None)
        else:
            state[entry_id] = category
    return state
