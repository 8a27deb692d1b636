"""The hash list's entries and its one change log: what each action does, that any version is
rebuilt from the log, and the reads the match index follows."""

from __future__ import annotations

import pytest

from hotline.audit.models import AuditEvent
from hotline.hashlist.actions import (
    HashListError,
    InvalidHashes,
    NewHash,
    add_hashes,
    correct_hash_category,
    reactivate_hash,
    remove_case_hashes,
    remove_hashes,
)
from hotline.hashlist.history import (
    ListedHash,
    active_hashes,
    changes_since,
    current_version,
    entries_at,
    live_entries,
)
from hotline.hashlist.models import EntryState, HashListChange, HashListEntry, HashSource
from tests.hashlist.world import add, md5, pdq


def test_a_bulk_addition_is_one_version_with_a_change_per_entry(db: None) -> None:
    result = add(("pdq", pdq(1)), ("md5", md5(1)), ("sha1", "a" * 40), category="A")
    assert result.version == 1 and len(result.added) == 3
    assert current_version() == 1
    assert HashListChange.objects.filter(version=1, change="added").count() == 3
    event = AuditEvent.objects.get(action="hashlist.entries_added")
    assert event.data["version"] == 1 and event.data["added"] == 3
    assert event.data["source"] == "senior_paste"
    entry = HashListEntry.objects.get(signal_type="pdq")
    assert (entry.state, entry.category, entry.added_by, entry.source) == (
        "active",
        "A",
        "system",
        HashSource.SENIOR_PASTE,
    )


def test_values_are_kept_in_canonical_form(db: None) -> None:
    add(("md5", "  " + md5(1).upper() + " "))
    assert HashListEntry.objects.get().value == md5(1)


def test_an_identical_active_hash_is_not_added_twice(db: None) -> None:
    first = add(("md5", md5(1)))
    again = add(("md5", md5(1).upper()), ("md5", md5(1)))
    assert again.version is None, "nothing new: no version"
    assert again.already_listed == first.added
    assert HashListEntry.objects.count() == 1
    assert current_version() == 1


def test_the_same_value_under_two_signal_types_is_two_entries(db: None) -> None:
    # A PDQ and a SHA-256 are both 64 hex characters; they are different signals.
    add(("pdq", pdq(1)), ("sha256", pdq(1)))
    assert HashListEntry.objects.count() == 2


def test_invalid_hashes_add_nothing_and_name_each_problem(db: None) -> None:
    with pytest.raises(InvalidHashes) as refused:
        add_hashes(
            entries=[
                NewHash("md5", md5(1), "A"),
                NewHash("md5", "xyz", "A"),
                NewHash("tmk", md5(2), "A"),
                NewHash("md5", md5(3), "A B"),
                NewHash("md5", md5(1), "B"),
            ],
            source=HashSource.SENIOR_PASTE,
            actor="system",
        )
    problems = {p.index: p.message for p in refused.value.problems}
    assert set(problems) == {1, 2, 3, 4}
    assert "32 hex characters" in problems[1]
    assert "unknown signal type 'tmk'" in problems[2]
    assert "not a category code" in problems[3]
    assert "same md5 hash as hash 1" in problems[4]
    assert not HashListEntry.objects.exists() and current_version() == 0


def test_removal_needs_a_reason_and_takes_a_version(db: None) -> None:
    ids = add(("md5", md5(1)), ("md5", md5(2))).added
    with pytest.raises(HashListError, match="reason"):
        remove_hashes(entry_ids=ids, reason=" ", actor="system")
    assert remove_hashes(entry_ids=ids[:1], reason="false positive", actor="system") == 1
    entry = HashListEntry.objects.get(pk=ids[0])
    assert entry.removed_in is not None
    assert (entry.state, entry.removal_reason, entry.removed_in.number) == (
        EntryState.REMOVED,
        "false positive",
        2,
    )
    assert entry.removed_at is not None
    assert remove_hashes(entry_ids=ids[:1], reason="again", actor="system") == 0
    assert current_version() == 2


def test_a_removed_hash_added_again_is_the_same_entry_reactivated(db: None) -> None:
    (entry_id,) = add(("md5", md5(1)), category="C").added
    remove_hashes(entry_ids=[entry_id], reason="appeal upheld", actor="system")
    again = add(("md5", md5(1)), category="A", case_id=7)
    assert again.reactivated == [entry_id] and not again.added
    entry = HashListEntry.objects.get()
    assert (entry.state, entry.category, entry.case_id, entry.removal_reason) == (
        "active",
        "A",
        7,
        "",
    )


def test_correct_category_and_reactivate(db: None) -> None:
    (entry_id,) = add(("pdq", pdq(1)), category="C").added
    correct_hash_category(entry_id=entry_id, category="A", reason="second look", actor="s")
    assert HashListEntry.objects.get().category == "A"
    assert current_version() == 2
    correct_hash_category(entry_id=entry_id, category="A", reason="same", actor="s")
    assert current_version() == 2, "the same category changes nothing"
    remove_hashes(entry_ids=[entry_id], reason="mistake", actor="s")
    with pytest.raises(HashListError, match="not on the list"):
        correct_hash_category(entry_id=entry_id, category="B", reason="", actor="s")
    reactivate_hash(entry_id=entry_id, reason="removal was wrong", actor="s", category="B")
    assert HashListEntry.objects.get().state == "active"
    with pytest.raises(HashListError, match="already"):
        reactivate_hash(entry_id=entry_id, reason="", actor="s")
    actions = list(
        AuditEvent.objects.filter(action__startswith="hashlist.")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "hashlist.entries_added",
        "hashlist.entry_recategorised",
        "hashlist.entries_removed",
        "hashlist.entry_reactivated",
    ]


def test_remove_a_cases_hashes(db: None) -> None:
    add(("md5", md5(1)), ("pdq", pdq(1)), case_id=5)
    add(("md5", md5(2)), case_id=6)
    assert remove_case_hashes(case_id=5, reason="appeal upheld", actor="system") == 2
    assert [e.value for e in live_entries()] == [md5(2)]


def test_every_version_is_rebuilt_from_the_change_log(db: None) -> None:
    a, b = add(("md5", md5(1)), ("md5", md5(2)), category="C").added  # v1
    (c,) = add(("pdq", pdq(1)), category="A").added  # v2
    remove_hashes(entry_ids=[a], reason="gone", actor="s")  # v3
    correct_hash_category(entry_id=b, category="A", reason="", actor="s")  # v4
    add(("md5", md5(1)), category="B")  # v5: a is back
    assert entries_at(0) == []
    assert entries_at(1) == [ListedHash(a, "md5", md5(1), "C"), ListedHash(b, "md5", md5(2), "C")]
    assert entries_at(2) == [*entries_at(1), ListedHash(c, "pdq", pdq(1), "A")]
    assert entries_at(3) == [ListedHash(b, "md5", md5(2), "C"), ListedHash(c, "pdq", pdq(1), "A")]
    assert entries_at(4) == [ListedHash(b, "md5", md5(2), "A"), ListedHash(c, "pdq", pdq(1), "A")]
    assert entries_at(5) == live_entries()
    assert [e.entry_id for e in entries_at(5)] == [a, b, c]


def test_the_match_index_loads_active_pdq_hashes_then_follows_the_changes(db: None) -> None:
    (p1, p2) = add(("pdq", pdq(1)), ("pdq", pdq(2)), ("md5", md5(1))).added[:2]
    held = active_hashes("pdq")
    assert held.version == 1
    assert held.hashes == [(p1, pdq(1)), (p2, pdq(2))]
    assert changes_since(held.version) == []
    remove_hashes(entry_ids=[p1], reason="false positive", actor="s")  # v2
    (p3,) = add(("pdq", pdq(3)), ("md5", md5(2))).added[:1]  # v3
    changes = changes_since(held.version, signal_type="pdq")
    assert [(c.version, c.op, c.entry_id, c.value) for c in changes] == [
        (2, "remove", p1, pdq(1)),
        (3, "add", p3, pdq(3)),
    ]
    assert len(changes_since(held.version)) == 3  # the md5 too, without a type
    assert active_hashes("pdq").hashes == [(p2, pdq(2)), (p3, pdq(3))]
    with pytest.raises(ValueError, match="unknown signal type"):
        active_hashes("pdq'; drop table x; --")


def test_an_empty_list_is_version_zero_for_the_index(db: None) -> None:
    assert active_hashes("pdq") == (0, [])
