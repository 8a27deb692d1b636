"""The hash list's publication: how the machinery it shares with the URL list
(hotline/core/publication/) reads this list."""

from __future__ import annotations

from collections.abc import Iterator

from hotline.core.publication import store
from hotline.core.publication.store import Progress, Publication, consistent_read
from hotline.hashlist.formats import REGISTRY, HashEntry, HashFeedChange
from hotline.hashlist.history import OPS
from hotline.hashlist.models import (
    ChangeKind,
    EntryState,
    HashListChange,
    HashListEntry,
    HashListSnapshot,
    HashListSnapshotChunk,
    HashListVersion,
)

# Read at each publication, so a test may make it small.
CHUNK_SIZE = store.CHUNK_SIZE


def _consistent_read() -> tuple[int, int, Iterator[HashEntry]]:
    """The list's version, its entry count and its entries, all from one statement."""
    return consistent_read(
        active=HashListEntry.objects.filter(state=EntryState.ACTIVE),
        version_model=HashListVersion,
        active_where="state = 'active'",
        fields=("pk", "signal_type", "value", "category", "added_at", "added_in__number"),
        make=lambda row: HashEntry(*row),
        what="hash list",
    )


def changes_between(since: int, version: int) -> Iterator[HashFeedChange]:
    """The changes after `since` up to `version`, in the order they were made."""
    rows = (
        HashListChange.objects.filter(version__gt=since, version__lte=version)
        .order_by("version", "id")
        .values_list(
            "version", "change", "entry__signal_type", "entry__value", "category", "reason"
        )
        .iterator(chunk_size=store.ROWS_PER_FETCH)
    )
    for number, change, signal_type, value, category, reason in rows:
        yield HashFeedChange(number, OPS[ChangeKind(change)], signal_type, value, category, reason)


HASH_LIST = Publication(
    what="hash list",
    registry=REGISTRY,
    version_model=HashListVersion,
    snapshot_model=HashListSnapshot,
    chunk_model=HashListSnapshotChunk,
    read=_consistent_read,
    changes=changes_between,
)


def render_snapshots(*, progress: Progress | None = None) -> list[HashListSnapshot]:
    """Render and store every full format not yet published at the list's current version."""
    snapshots = HASH_LIST.render_snapshots(progress=progress, chunk_size=CHUNK_SIZE)
    return [s for s in snapshots if isinstance(s, HashListSnapshot)]
