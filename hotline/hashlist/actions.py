"""Changing and publishing the hash list. Each action is one transaction with its audit events.

Every action that changes the list takes the next version and writes one `HashListChange` row
per entry it changes, so members (and the match index) see the change at once through
`?since=` and `entries_at(version)` can rebuild any version. A bulk addition is one version and
one audit event (its change rows name every entry), so an import of a million hashes does not
append a million events to the chain. The full feeds change only when `publish_hash_list()`
publishes a snapshot.

Callers: `hotline hashlist import` (hotline/hashlist/exchange.py), and, outside this app, the
outcomes of confirmed cases (their captured images' exact hashes) and the senior analysts'
upload and paste pages, each with its `HashSource`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Max
from django.utils import timezone

from hotline.audit.actions import audited_action, record_event
from hotline.core.classification import CATEGORY_CODE_LENGTH
from hotline.hashlist.models import (
    ChangeKind,
    EntryState,
    HashListChange,
    HashListEntry,
    HashListSnapshot,
    HashListVersion,
    HashSource,
)
from hotline.hashlist.signals import SIGNAL_TYPES

# A category code as the classification schemes write them: "A", "NPI", "not_criminal".
CATEGORY_CODE = re.compile(rf"^[A-Za-z0-9_-]{{1,{CATEGORY_CODE_LENGTH}}}$")
# Rows written per INSERT in a bulk addition.
BATCH = 2000
# Lookups of existing hashes per query (each value is a bound parameter).
LOOKUP_BATCH = 500


class HashListError(ValueError):
    """The change asked for cannot be made; the message says why and what to do."""


@dataclass(frozen=True)
class NewHash:
    """One hash to put on the list: its signal type (a name of SIGNAL_TYPES), its value in any
    case and with surrounding spaces (it is normalised), its category code, and where it came
    from, by id (the case, the captured image)."""

    signal_type: str
    value: str
    category: str
    case_id: int | None = None
    captured_image_id: int | None = None


@dataclass(frozen=True)
class Problem:
    """What is wrong with the `index`th (from 0) of the hashes given."""

    index: int
    message: str


class InvalidHashes(HashListError):
    """Some of the hashes given are not valid: nothing was added. `problems` names each."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"hash {first.index + 1}: {first.message}{more}")


@dataclass
class Added:
    """What `add_hashes` did: the version it took (None when nothing changed) and the entry
    ids, in the order the hashes were given (a hash given twice counts once)."""

    version: int | None
    added: list[int] = field(default_factory=list)
    reactivated: list[int] = field(default_factory=list)
    # Already active: left as they are (a senior corrects a category with
    # `correct_hash_category`).
    already_listed: list[int] = field(default_factory=list)


def check_category(category: str) -> str:
    """The category code, or ValueError saying what a code looks like."""
    if not CATEGORY_CODE.match(category):
        raise ValueError(
            f"the category {category[:40]!r} is not a category code (letters, digits, '_' or "
            f"'-', at most {CATEGORY_CODE_LENGTH} characters, e.g. A, B, C, NPI)"
        )
    return category


def normalised(new: NewHash) -> NewHash:
    """`new` with its value in canonical form, or ValueError saying what is wrong."""
    signal = SIGNAL_TYPES.get(new.signal_type)
    if signal is None:
        raise ValueError(
            f"unknown signal type {new.signal_type[:20]!r}; the hash list holds "
            f"{', '.join(SIGNAL_TYPES)}"
        )
    check_category(new.category)
    return NewHash(
        signal_type=new.signal_type,
        value=signal.parse(new.value),
        category=new.category,
        case_id=new.case_id,
        captured_image_id=new.captured_image_id,
    )


def validate(entries: Iterable[NewHash]) -> list[NewHash]:
    """Every hash normalised, with a hash given twice kept once; InvalidHashes naming every
    one that is wrong (an unknown type, a malformed value, a bad category, the same hash twice
    with two categories)."""
    problems: list[Problem] = []
    kept: dict[tuple[str, str], tuple[int, NewHash]] = {}
    for index, new in enumerate(entries):
        try:
            clean = normalised(new)
        except ValueError as error:
            problems.append(Problem(index, str(error)))
            continue
        key = (clean.signal_type, clean.value)
        if key in kept:
            first, earlier = kept[key]
            if earlier.category != clean.category:
                problems.append(
                    Problem(
                        index,
                        f"the same {clean.signal_type} hash as hash {first + 1}, with category "
                        f"{clean.category} instead of {earlier.category}",
                    )
                )
            continue
        kept[key] = (index, clean)
    if problems:
        raise InvalidHashes(problems)
    return [clean for _, clean in kept.values()]


def _next_version(*, added: int = 0, removed: int = 0, recategorised: int = 0) -> HashListVersion:
    # Callers hold the transaction; the unique number makes a concurrent change fail loudly
    # rather than share a version (as the URL list's, hotline/urllist/actions.py). Versions
    # therefore become visible in order, which the match index relies on when it follows the
    # change log.
    current = HashListVersion.objects.aggregate(n=Max("number"))["n"] or 0
    return HashListVersion.objects.create(
        number=current + 1, added=added, removed=removed, recategorised=recategorised
    )


def _log(
    entries: Sequence[HashListEntry],
    change: ChangeKind,
    version: HashListVersion,
    reason: str = "",
) -> None:
    now = timezone.now()
    HashListChange.objects.bulk_create(
        (
            HashListChange(
                version=version.number,
                entry=entry,
                change=change,
                category=entry.category,
                reason=reason,
                at=now,
            )
            for entry in entries
        ),
        batch_size=BATCH,
    )


def _existing(keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], HashListEntry]:
    """For each (signal type, value): its active entry, else its latest removed one; locked."""
    found: dict[tuple[str, str], HashListEntry] = {}
    by_type: dict[str, list[str]] = {}
    for signal_type, value in keys:
        by_type.setdefault(signal_type, []).append(value)
    for signal_type, values in by_type.items():
        for start in range(0, len(values), LOOKUP_BATCH):
            rows = (
                HashListEntry.objects.select_for_update()
                .filter(signal_type=signal_type, value__in=values[start : start + LOOKUP_BATCH])
                .order_by("pk")
            )
            for entry in rows:
                key = (entry.signal_type, entry.value)
                held = found.get(key)
                # The active entry wins; among removed ones, the latest.
                if held is None or held.state != EntryState.ACTIVE:
                    found[key] = entry
    return found


@audited_action
def add_hashes(
    *, entries: Sequence[NewHash], source: HashSource, actor: str, note: str = ""
) -> Added:
    """Put hashes on the list, as one new version: all of them or, if any is invalid, none
    (InvalidHashes names each problem, by position).

    A hash already active on the list (the same signal type and value) is not added twice: it
    stays as it is and is counted as already listed. A hash removed earlier is re-activated
    (the same entry, so its history stays in one place) with the new category. `source` says
    how they came (a confirmed case, a senior's upload or paste, an import), `note` where from
    (an import's file and SHA-256). With nothing new, no version is taken and nothing audited.
    Audits `hashlist.entries_added` with the version, the source, the note and the counts.
    """
    clean = validate(entries)
    existing = _existing([(new.signal_type, new.value) for new in clean])
    result = Added(version=None)
    fresh: list[NewHash] = []
    back: list[tuple[HashListEntry, NewHash]] = []
    for new in clean:
        entry = existing.get((new.signal_type, new.value))
        if entry is None:
            fresh.append(new)
        elif entry.state == EntryState.ACTIVE:
            result.already_listed.append(entry.pk)
        else:
            back.append((entry, new))
    if not fresh and not back:
        return result
    version = _next_version(added=len(fresh) + len(back))
    result.version = version.number
    created = HashListEntry.objects.bulk_create(
        (
            HashListEntry(
                signal_type=new.signal_type,
                value=new.value,
                category=new.category,
                case_id=new.case_id,
                captured_image_id=new.captured_image_id,
                source=source,
                added_by=actor,
                source_note=note,
                added_in=version,
            )
            for new in fresh
        ),
        batch_size=BATCH,
    )
    result.added = [entry.pk for entry in created]
    _log(created, ChangeKind.ADDED, version)
    reactivated = []
    for entry, new in back:
        entry.category = new.category
        entry.state = EntryState.ACTIVE
        entry.removed_at = None
        entry.removed_in = None
        entry.removal_reason = ""
        if new.case_id is not None:
            entry.case_id = new.case_id
        if new.captured_image_id is not None:
            entry.captured_image_id = new.captured_image_id
        reactivated.append(entry)
    HashListEntry.objects.bulk_update(
        reactivated,
        [
            "category",
            "state",
            "removed_at",
            "removed_in",
            "removal_reason",
            "case_id",
            "captured_image_id",
        ],
        batch_size=BATCH,
    )
    result.reactivated = [entry.pk for entry in reactivated]
    _log(reactivated, ChangeKind.REACTIVATED, version)
    record_event(
        actor=actor,
        action="hashlist.entries_added",
        target=version,
        data={
            "version": version.number,
            "source": source.value,
            "note": note,
            "added": len(result.added),
            "reactivated": len(result.reactivated),
            "already_listed": len(result.already_listed),
        },
    )
    return result


def _remove(
    entries: list[HashListEntry], *, reason: str, actor: str, data: dict[str, object]
) -> int:
    if not entries:
        return 0
    version = _next_version(removed=len(entries))
    now = timezone.now()
    for entry in entries:
        entry.state = EntryState.REMOVED
        entry.removed_at = now
        entry.removed_in = version
        entry.removal_reason = reason
    HashListEntry.objects.bulk_update(
        entries, ["state", "removed_at", "removed_in", "removal_reason"], batch_size=BATCH
    )
    _log(entries, ChangeKind.REMOVED, version, reason)
    record_event(
        actor=actor,
        action="hashlist.entries_removed",
        target=version,
        data={"version": version.number, "reason": reason, "removed": len(entries), **data},
    )
    return len(entries)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise HashListError("Give the reason the hashes leave the list.")
    return reason[:200]


@audited_action
def remove_hashes(*, entry_ids: Sequence[int], reason: str, actor: str) -> int:
    """Take the given entries off the list, in one new version, with `reason` (required: an
    appeal upheld, a false positive, an overturned assessment). Entries already removed are
    left as they are. Returns how many were removed. Audits `hashlist.entries_removed` with the
    version, the reason and the entry ids."""
    reason = _reason(reason)
    entries = list(
        HashListEntry.objects.select_for_update()
        .filter(pk__in=list(entry_ids), state=EntryState.ACTIVE)
        .order_by("pk")
    )
    return _remove(entries, reason=reason, actor=actor, data={"entries": [e.pk for e in entries]})


@audited_action
def remove_case_hashes(*, case_id: int, reason: str, actor: str) -> int:
    """Take every active hash that came from case `case_id` off the list, in one new version
    (for outcomes, when a case's confirmation is overturned). Returns how many. Audits
    `hashlist.entries_removed` with the version, the reason and the case."""
    reason = _reason(reason)
    entries = list(
        HashListEntry.objects.select_for_update()
        .filter(case_id=case_id, state=EntryState.ACTIVE)
        .order_by("pk")
    )
    return _remove(entries, reason=reason, actor=actor, data={"case_id": case_id})


@audited_action
def correct_hash_category(
    *, entry_id: int, category: str, reason: str, actor: str
) -> HashListEntry:
    """Give an active entry another category, in a new version (a senior's correction). The
    same category again changes nothing. HashListError for a removed entry (re-activate it with
    its category instead) or a malformed code. Audits `hashlist.entry_recategorised` with the
    version, both categories and the reason."""
    try:
        check_category(category)
    except ValueError as error:
        raise HashListError(str(error)) from None
    entry = HashListEntry.objects.select_for_update().get(pk=entry_id)
    if entry.state != EntryState.ACTIVE:
        raise HashListError(
            f"Entry {entry_id} is not on the list; re-activate it with the category instead."
        )
    if entry.category == category:
        return entry
    version = _next_version(recategorised=1)
    previous = entry.category
    entry.category = category
    entry.save(update_fields=["category"])
    _log([entry], ChangeKind.RECATEGORISED, version, reason[:200])
    record_event(
        actor=actor,
        action="hashlist.entry_recategorised",
        target=entry,
        data={"version": version.number, "from": previous, "to": category, "reason": reason},
    )
    return entry


@audited_action
def reactivate_hash(
    *, entry_id: int, reason: str, actor: str, category: str | None = None
) -> HashListEntry:
    """Put a removed entry back on the list, in a new version, with its category or
    `category` (a removal found mistaken). HashListError when it is active already or when
    another active entry holds the same hash. Audits `hashlist.entry_reactivated` with the
    version, the category, why it had been removed and why it returns."""
    entry = HashListEntry.objects.select_for_update().get(pk=entry_id)
    if entry.state == EntryState.ACTIVE:
        raise HashListError(f"Entry {entry_id} is on the list already.")
    if category is not None:
        try:
            check_category(category)
        except ValueError as error:
            raise HashListError(str(error)) from None
        entry.category = category
    twin = (
        HashListEntry.objects.filter(
            signal_type=entry.signal_type, value=entry.value, state=EntryState.ACTIVE
        )
        .values_list("pk", flat=True)
        .first()
    )
    if twin is not None:
        raise HashListError(f"The same hash is on the list already, as entry {twin}.")
    version = _next_version(added=1)
    removed_for = entry.removal_reason
    entry.state = EntryState.ACTIVE
    entry.removed_at = None
    entry.removed_in = None
    entry.removal_reason = ""
    entry.save(update_fields=["category", "state", "removed_at", "removed_in", "removal_reason"])
    _log([entry], ChangeKind.REACTIVATED, version, reason[:200])
    record_event(
        actor=actor,
        action="hashlist.entry_reactivated",
        target=entry,
        data={
            "version": version.number,
            "category": entry.category,
            "removed_for": removed_for,
            "reason": reason,
        },
    )
    return entry


@audited_action
def publish_hash_list(
    *, actor: str, progress: Callable[[str], None] | None = None
) -> list[HashListSnapshot]:
    """Publish the list as it stands: every full format rendered once from one consistent
    read, stored in chunks with its size, SHA-256 and signed manifest, by the publication
    machinery the URL list uses (hotline/core/publication/store.py).

    The full feeds serve these snapshots until the next publication; older snapshots but the
    previous one are deleted. Formats already published at this version are not rendered
    again; with nothing new, nothing is written or audited. Audits `hashlist.published` with
    the version, the count and the formats' sizes.
    """
    from hotline.hashlist.snapshots import HASH_LIST, render_snapshots

    snapshots = render_snapshots(progress=progress)
    if not snapshots:
        return []
    version = snapshots[0].version
    HASH_LIST.prune_snapshots(keep_from=version)
    record_event(
        actor=actor,
        action="hashlist.published",
        target=snapshots[0],
        data={
            "version": version,
            "count": snapshots[0].count,
            "formats": {s.format: s.size for s in snapshots},
        },
    )
    return snapshots
