"""The PDQ index every process matches against, as fresh as the hash list.

One file, `HOTLINE_HASHLIST_INDEX_PATH` (default `var/hashlist/pdq.index`), holds the index of
every active PDQ entry at some version of the list. Each process memory-maps it (so web
workers share its pages instead of holding a copy each) and follows the change log from the
file's version on: at most every REFRESH_SECONDS it reads the list's version (one indexed
query) and, if it moved, applies the PDQ changes since to the index's in-memory delta. So an
entry added or removed anywhere is matchable, or gone, within REFRESH_SECONDS.

The periodic job `hashlist-index` (`refresh_index_file`) writes a new file when the changes
since the file's version are many, or old; processes see the file replaced and map the new
one. With no file yet (a new install), the first process to match builds it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from hotline.hashlist.history import active_hashes, changes_since, current_version
from hotline.hashlist.index import DEFAULT_PREFIX_BITS, IndexFileError, PdqIndex

# How often (seconds) a process asks whether the list has moved on: the "within 1 s".
REFRESH_SECONDS = 0.5
# The file is written again when this many PDQ changes were made since its version ...
REBUILD_AFTER_CHANGES = 50_000
# ... or when any were made and the file is older than this (seconds).
REBUILD_AFTER_SECONDS = 6 * 3600


def index_path() -> Path:
    return Path(settings.HOTLINE_HASHLIST_INDEX_PATH)


def _codes(values: list[str]) -> np.ndarray:
    if not values:
        return np.zeros((0, 32), np.uint8)
    return np.frombuffer(bytes.fromhex("".join(values)), np.uint8).reshape(-1, 32)


def prefix_bits_for(entries: int) -> int:
    """How many leading bits of each substring address its table: about one entry in eight
    slots, up to the 20 measured best at 10 million (docs/hashlist.md). A table's offsets take
    4 bytes a slot, so a small list keeps a small file (about 3 MB rather than 46)."""
    return min(DEFAULT_PREFIX_BITS, max(8, entries.bit_length() - 3))


def build_index_file(path: Path | None = None) -> PdqIndex:
    """Index every active PDQ entry, at the version they are the list of, into the file (an
    atomic replace), and map it."""
    path = path or index_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    listed = active_hashes("pdq")
    ids = np.fromiter((pk for pk, _ in listed.hashes), np.int64, count=len(listed.hashes))
    codes = _codes([value for _, value in listed.hashes])
    index = PdqIndex.build(
        ids, codes, version=listed.version, prefix_bits=prefix_bits_for(len(ids))
    )
    return PdqIndex.load(index.save(path), verify=False)


def _follow(index: PdqIndex) -> None:
    """Bring `index` to the list's current version through its delta."""
    version = current_version()
    if version == index.version:
        return
    if version < index.version:
        # The list is behind the file (a database restored from a backup): the file lies.
        raise IndexFileError(f"the index is at version {index.version}, the list at {version}")
    latest: dict[int, str | None] = {}  # entry id -> its code now, None when removed
    newest = version
    for change in changes_since(index.version, signal_type="pdq"):
        latest[change.entry_id] = change.value if change.op == "add" else None
        newest = max(newest, change.version)
    added = [(pk, value) for pk, value in latest.items() if value is not None]
    removed = [pk for pk, value in latest.items() if value is None]
    if added:
        index.add([pk for pk, _ in added], _codes([value for _, value in added]))
    if removed:
        index.remove(removed)
    index.version = newest


@dataclass
class _Live:
    index: PdqIndex | None = None
    checked_at: float = float("-inf")


_live = _Live()
_lock = threading.Lock()


def live_index(*, fresh: bool = False) -> PdqIndex:
    """This process's index, brought up to date if REFRESH_SECONDS have passed (or now, when
    `fresh`: for work that must see a change made a moment ago, like resolving a capture)."""
    with _lock:
        now = time.monotonic()
        if _live.index is None or _live.index.is_stale():
            _live.index = _open()
            _live.checked_at = float("-inf")
        if fresh or now - _live.checked_at >= REFRESH_SECONDS:
            try:
                _follow(_live.index)
            except IndexFileError:
                _live.index = build_index_file()
            held = _live.index
            if held.delta_added + held.delta_removed > 2 * REBUILD_AFTER_CHANGES:
                # No job has written the file lately (a machine whose worker does not run the
                # periodic jobs): the process writes it itself rather than carry the delta.
                _live.index = build_index_file()
            _live.checked_at = now
        return _live.index


def _open() -> PdqIndex:
    try:
        return PdqIndex.load(index_path(), verify=False)
    except (FileNotFoundError, IndexFileError):
        # None yet (a new install), or damaged: index the list as it is now.
        return build_index_file()


def forget_index(*, delete_file: bool = False) -> None:
    """Forget this process's index (tests; after restoring a database, with `delete_file`)."""
    with _lock:
        _live.index = None
        _live.checked_at = float("-inf")
        if delete_file:
            index_path().unlink(missing_ok=True)


@dataclass(frozen=True)
class IndexStatus:
    size: int  # live PDQ entries the index holds
    version: int  # the hash list version it holds
    list_version: int  # the hash list's version now
    base_size: int
    delta: int  # entries added or removed since the file was written
    file_written_at: str
    kernel: str
    nbytes: int


def index_status() -> IndexStatus:
    index = live_index()
    return IndexStatus(
        size=index.size,
        version=index.version,
        list_version=current_version(),
        base_size=index.base_size,
        delta=index.delta_added + index.delta_removed,
        file_written_at=index.created,
        kernel=index.kernel,
        nbytes=index.nbytes,
    )


def held_index_health() -> dict[str, int | float] | None:
    """For /healthz (core/health.py): the index this process holds, without a query: its
    size, the list version it holds and how many seconds ago it last caught up. None before
    the process has matched anything."""
    index, checked_at = _live.index, _live.checked_at
    if index is None:
        return None
    return {
        "size": index.size,
        "version": index.version,
        "checked_seconds_ago": round(time.monotonic() - checked_at, 3),
    }


def refresh_index_file(*, force: bool = False) -> dict[str, int | bool]:
    """Write the file again when the PDQ changes since its version are many or old (or
    `force`); processes map the new one at their next match. For the periodic job."""
    path = index_path()
    try:
        held = PdqIndex.load(path, verify=False)
    except (FileNotFoundError, IndexFileError):
        held = None
    pending = 0 if held is None else len(changes_since(held.version, signal_type="pdq"))
    age = 0.0 if held is None else time.time() - path.stat().st_mtime
    stale = held is None or pending >= REBUILD_AFTER_CHANGES
    stale = stale or (pending > 0 and age >= REBUILD_AFTER_SECONDS)
    if not (stale or force):
        return {"rebuilt": False, "pending": pending}
    index = build_index_file(path)
    return {"rebuilt": True, "pending": pending, "size": index.size, "version": index.version}
