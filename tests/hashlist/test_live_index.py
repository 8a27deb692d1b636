"""The PDQ index each process matches against follows the hash list: an entry added or
removed anywhere is matchable, or gone, within a second; the file is written again by the
periodic job and every process moves to the new one."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from django.core.management import call_command

from hotline.hashlist import live
from hotline.hashlist.actions import NewHash, add_hashes, remove_hashes
from hotline.hashlist.matching import pdq_matches
from hotline.hashlist.models import HashSource
from tests.world.pdq import random_codes

pytestmark = [pytest.mark.django_db, pytest.mark.alone]  # "within a second"


def hexes(codes: np.ndarray) -> list[str]:
    return [bytes(code).hex() for code in codes]


def add(values: list[str]) -> list[int]:
    added = add_hashes(
        entries=[NewHash("pdq", value, "A") for value in values],
        source=HashSource.SENIOR_PASTE,
        actor="senior",
    )
    return added.added


def within_a_second(check: object) -> float:
    """How long until `check()` holds, failing after one second."""
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - started < 1.0, "not seen within a second"
        time.sleep(0.02)
    return time.monotonic() - started


def test_an_entry_added_is_matchable_and_one_removed_is_gone_within_a_second() -> None:
    first, second = hexes(random_codes(np.random.default_rng(1), 2))
    (one,) = add([first])
    assert pdq_matches([first], distance=0) == [[(one, 0)]]  # the file is built now

    (two,) = add([second])
    within_a_second(lambda: pdq_matches([second], distance=0) == [[(two, 0)]])

    remove_hashes(entry_ids=[one], reason="false positive", actor="senior")
    within_a_second(lambda: pdq_matches([first], distance=0) == [[]])
    assert live.live_index().version == live.current_version()


def test_a_new_file_written_by_the_job_is_taken_up_by_a_process_holding_the_old_one() -> None:
    values = hexes(random_codes(np.random.default_rng(2), 50))
    ids = add(values[:25])
    held = live.live_index()
    assert held.base_size == 25

    add(values[25:])
    assert live.refresh_index_file()["rebuilt"] is False  # 25 changes: the delta carries them
    result = live.refresh_index_file(force=True)
    assert result["rebuilt"] is True and result["size"] == 50

    now = live.live_index()
    assert now is not held and now.base_size == 50 and now.delta_added == 0
    assert pdq_matches([values[0]], distance=0) == [[(ids[0], 0)]]


def test_a_file_ahead_of_the_list_is_not_trusted() -> None:
    """After a database is restored from a backup, the file may hold versions the list lost."""
    values = hexes(random_codes(np.random.default_rng(3), 3))
    add(values[:1])
    live.live_index()
    live.build_index_file()
    index = live.live_index()
    index.version += 10  # as if the list had gone back ten versions
    live.forget_index()
    index.save(live.index_path())

    (kept,) = add(values[1:2])
    assert pdq_matches([values[1]], distance=0) == [[(kept, 0)]]
    assert live.live_index().version == live.current_version()


def test_a_damaged_file_is_replaced_by_an_index_of_the_list() -> None:
    values = hexes(random_codes(np.random.default_rng(4), 2))
    ids = add(values)
    live.live_index()
    live.forget_index()
    live.index_path().write_bytes(b"not an index")

    assert pdq_matches(values, distance=0) == [[(ids[0], 0)], [(ids[1], 0)]]


def test_the_command_says_how_big_and_fresh_the_index_is_and_rebuilds_it() -> None:
    add(hexes(random_codes(np.random.default_rng(5), 3)))
    out = io.StringIO()
    call_command("hashlist", "index", stdout=out)
    assert "PDQ index: 3 hashes at list version 1 (the list is at 1)" in out.getvalue()

    add(hexes(random_codes(np.random.default_rng(6), 2)))
    out = io.StringIO()
    call_command("hashlist", "index", "--rebuild", stdout=out)
    assert "Indexed 5 PDQ hashes (list version 2)" in out.getvalue()
    assert "with 5, 0 changes since" in out.getvalue()


def test_a_small_list_keeps_a_small_file_and_a_large_one_the_measured_layout() -> None:
    live.live_index()  # an empty list
    assert live.index_path().stat().st_size < 4_000_000
    assert live.prefix_bits_for(0) == 8 and live.prefix_bits_for(1_000_000) == 17
    assert live.prefix_bits_for(10_000_000) == 20 == live.prefix_bits_for(10**9)
