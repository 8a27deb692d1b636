"""Reading the hash list: any version rebuilt from the change log, the list now, and the two
cheap reads the match index needs to hold every active hash and stay fresh.

The match index (`POST /api/v1/hashes/match`, built elsewhere) loads `active_hashes("pdq")`
once, which gives the list's version from the same statement as the rows, then asks
`current_version()` (one indexed read) as often as it likes and, when it moved, applies
`changes_since(held)`: changes are numbered by version, and a version becomes visible only
after every earlier one (hotline/hashlist/actions.py, `_next_version`), so nothing is skipped.
"""

from __future__ import annotations

from typing import NamedTuple

from hotline.core.publication.store import consistent_read, latest_number, replay_change_log
from hotline.hashlist.models import (
    ChangeKind,
    EntryState,
    HashListChange,
    HashListEntry,
    HashListVersion,
)
from hotline.hashlist.signals import SIGNAL_TYPES


class ListedHash(NamedTuple):
    entry_id: int
    signal_type: str
    value: str
    category: str


class ActiveHashes(NamedTuple):
    """Every active hash of one signal type at `version`: (entry id, value), by entry id."""

    version: int
    hashes: list[tuple[int, str]]


class HashChange(NamedTuple):
    """One change, in the order of the log: `op` "add" (hold this hash with this category:
    added, re-activated or recategorised) or "remove"."""

    version: int
    op: str
    entry_id: int
    signal_type: str
    value: str
    category: str


OPS = {
    ChangeKind.ADDED: "add",
    ChangeKind.REACTIVATED: "add",
    ChangeKind.RECATEGORISED: "add",
    ChangeKind.REMOVED: "remove",
}


def current_version() -> int:
    """The list's latest version (0 before its first change): one read of a unique index."""
    return latest_number(HashListVersion)


def entries_at(version: int) -> list[ListedHash]:
    """The entries on the list at `version`, by entry id: the replay of every change up to it.

    Exact for every version, because each change is logged with its version when it is made;
    an audit or a dispute ("was this hash listed on 3 March, and as what?") reads it here.
    """
    state = replay_change_log(HashListChange, version=version, removed=ChangeKind.REMOVED)
    details: dict[int, tuple[str, str]] = {}
    ids = sorted(state)
    for start in range(0, len(ids), 500):
        for pk, signal_type, value in HashListEntry.objects.filter(
            pk__in=ids[start : start + 500]
        ).values_list("pk", "signal_type", "value"):
            details[pk] = (signal_type, value)
    return [ListedHash(pk, *details[pk], state[pk]) for pk in ids]


def live_entries() -> list[ListedHash]:
    """The entries on the list now, in the same form as `entries_at`."""
    return [
        ListedHash(*row)
        for row in HashListEntry.objects.filter(state=EntryState.ACTIVE)
        .order_by("pk")
        .values_list("pk", "signal_type", "value", "category")
    ]


def active_hashes(signal_type: str) -> ActiveHashes:
    """Every active hash of `signal_type` with its entry id, and the version they are the list
    of, from one statement (so a change committing meanwhile is either in both or in
    neither). For the match index: `active_hashes("pdq")`, then `changes_since(version)`."""
    if signal_type not in SIGNAL_TYPES:
        raise ValueError(f"unknown signal type {signal_type!r}")
    version, _, rows = consistent_read(
        active=HashListEntry.objects.filter(state=EntryState.ACTIVE, signal_type=signal_type),
        version_model=HashListVersion,
        # The name is one of the registry's (checked above), so it may be written into the SQL.
        active_where=f"state = 'active' AND signal_type = '{signal_type}'",
        fields=("pk", "value"),
        make=tuple,
        what="hash list",
    )
    return ActiveHashes(version, list(rows))


def changes_since(
    version: int, *, signal_type: str | None = None, limit: int | None = None
) -> list[HashChange]:
    """The changes after `version`, in the order they were made (of one signal type if given;
    at most `limit`, whole versions are not guaranteed then: ask again from the last one's
    version minus one, or without a limit)."""
    rows = HashListChange.objects.filter(version__gt=version).order_by("version", "id")
    if signal_type is not None:
        rows = rows.filter(entry__signal_type=signal_type)
    values = rows.values_list(
        "version", "change", "entry_id", "entry__signal_type", "entry__value", "category"
    )
    if limit is not None:
        values = values[:limit]
    return [
        HashChange(number, OPS[ChangeKind(change)], entry_id, kind, value, category)
        for number, change, entry_id, kind, value, category in values
    ]
