"""The exact PDQ index (hotline/hashlist/index.py): what it promises, checked against brute
force.

- Exact: for every query, every entry within the threshold with its distance, nothing else,
  on random and on clustered codes, at thresholds 0, 8, 16 and 31, for several layouts.
- The compiled kernel and the fallbacks (faiss, numpy) give the same answers.
- Added entries match from the next query on; removed ones are gone from it.
- The saved file is memory-mapped and shared; a truncated or damaged file is refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from hotline.hashlist import index as pdq_index
from hotline.hashlist.index import (
    MAX_THRESHOLD,
    IndexFileError,
    Matches,
    PdqIndex,
    as_codes,
    make_layout,
    radii,
)
from tests.world.pdq import clustered_codes, flip_exactly, queries_for, random_codes

THRESHOLDS = (0, 8, 16, 31)
FALLBACKS = ("faiss", "numpy")


def brute(ids: np.ndarray, codes: np.ndarray, queries: np.ndarray, threshold: int) -> list:
    """The answer by definition: every (id, distance) within the threshold, nearest first."""
    answers = []
    for q in queries:
        d = np.bitwise_count(codes ^ q).sum(axis=1)
        hit = np.flatnonzero(d <= threshold)
        answers.append(sorted(zip(d[hit].tolist(), ids[hit].tolist(), strict=True)))
    return answers


def as_lists(matches: Matches) -> list:
    return [list(zip(dist.tolist(), ids.tolist(), strict=True)) for ids, dist in matches]


@pytest.fixture(scope="module")
def rng() -> np.random.Generator:
    return np.random.default_rng(20261126)


@pytest.fixture(scope="module", params=["random", "clustered"])
def data(request, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = 30_000
    codes = random_codes(rng, n) if request.param == "random" else clustered_codes(rng, n)
    ids = rng.permutation(10 * n)[:n].astype(np.int64) + 1  # sparse, unordered
    return ids, codes, queries_for(rng, codes, 300)


def test_the_compiled_kernel_is_built_on_this_machine():
    # setup.py builds it as an optional extension, so a failed build would only show as a
    # slower index: this says so loudly instead.
    assert pdq_index.default_kernel() == "c", "run `pip install --no-build-isolation -e .`"


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_every_entry_within_the_threshold_and_nothing_else(data, threshold):
    ids, codes, queries = data
    index = PdqIndex.build(ids, codes)
    assert as_lists(index.query_batch(queries, threshold)) == brute(ids, codes, queries, threshold)


@pytest.mark.parametrize(("substrings", "prefix_bits"), [(8, 16), (10, 20), (16, 12), (32, 4)])
def test_exact_whatever_the_layout(data, substrings, prefix_bits):
    ids, codes, queries = data
    index = PdqIndex.build(ids, codes, substrings=substrings, prefix_bits=prefix_bits)
    for threshold in (5, 31):
        assert as_lists(index.query_batch(queries, threshold)) == brute(
            ids, codes, queries, threshold
        )


@pytest.mark.parametrize("fallback", FALLBACKS)
def test_the_fallbacks_give_the_same_answers_as_the_kernel(data, fallback):
    ids, codes, queries = data
    kernel = PdqIndex.build(ids, codes, kernel="c")
    other = PdqIndex.build(ids, codes, kernel=fallback)
    for threshold in THRESHOLDS:
        a, b = kernel.query_batch(queries, threshold), other.query_batch(queries, threshold)
        assert np.array_equal(a.lims, b.lims)
        assert np.array_equal(a.ids, b.ids)
        assert np.array_equal(a.distances, b.distances)


def test_the_kernel_and_numpy_build_the_same_tables(data):
    ids, codes, _queries = data
    built = PdqIndex.build(ids, codes, kernel="c")
    fallback = PdqIndex.build(ids, codes, kernel="numpy")
    for a, b in zip(built.tables, fallback.tables, strict=True):
        assert np.array_equal(a.offsets, b.offsets)
        assert np.array_equal(a.pos, b.pos)
        assert np.array_equal(a.suffix, b.suffix)


@pytest.mark.parametrize("kernel", ["c", *FALLBACKS])
@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_a_distance_equal_to_the_threshold_matches_and_one_more_does_not(rng, kernel, threshold):
    base = random_codes(rng, 2_000)
    at = flip_exactly(rng, base[0], threshold)
    beyond = flip_exactly(rng, base[1], threshold + 1)
    index = PdqIndex.build(np.arange(2_000), base, kernel=kernel)
    (ids, dist), (far_ids, _) = index.query([at, beyond], threshold)
    assert (ids.tolist(), dist.tolist()) == ([0], [threshold])
    assert 1 not in far_ids.tolist()


@pytest.mark.parametrize("kernel", ["c", *FALLBACKS])
def test_duplicate_codes_are_all_returned_nearest_first_then_by_id(rng, kernel):
    code = random_codes(rng, 1)[0]
    codes = np.concatenate([np.repeat(code[None], 5, axis=0), random_codes(rng, 100)])
    codes[3] = flip_exactly(rng, code, 4)
    index = PdqIndex.build(np.arange(105)[::-1], codes, kernel=kernel)
    ((ids, dist),) = index.query([code], 31)
    assert ids.tolist() == [100, 102, 103, 104, 101]
    assert dist.tolist() == [0, 0, 0, 0, 4]


@pytest.mark.parametrize("kernel", ["c", *FALLBACKS])
def test_an_empty_index_and_an_empty_batch(rng, kernel):
    empty = PdqIndex.build(np.zeros(0, np.int64), np.zeros((0, 32), np.uint8), kernel=kernel)
    result = empty.query_batch(random_codes(rng, 3), 31)
    assert result.lims.tolist() == [0, 0, 0, 0] and len(result.ids) == 0
    assert empty.size == 0
    nothing = PdqIndex.build([1], random_codes(rng, 1), kernel=kernel).query_batch([], 31)
    assert len(nothing) == 0 and nothing.lims.tolist() == [0]


def test_hex_strings_are_codes_too(rng):
    codes = random_codes(rng, 10)
    hexes = [c.tobytes().hex() for c in codes]
    assert np.array_equal(as_codes(hexes), codes)
    ((ids, dist),) = PdqIndex.build(range(10), hexes).query([hexes[4]], 0)
    assert (ids.tolist(), dist.tolist()) == ([4], [0])
    with pytest.raises(ValueError, match="64 hex"):
        as_codes(["abc"])


def test_thresholds_outside_0_to_31_are_refused(rng):
    index = PdqIndex.build([1], random_codes(rng, 1))
    for threshold in (-1, MAX_THRESHOLD + 1):
        with pytest.raises(ValueError, match="0 to 31"):
            index.query_batch(random_codes(rng, 1), threshold)


def test_duplicate_ids_are_refused(rng):
    with pytest.raises(ValueError, match="unique"):
        PdqIndex.build([1, 2, 1], random_codes(rng, 3))


@pytest.mark.parametrize("substrings", range(8, 33))
def test_the_radii_cover_every_threshold_by_the_pigeonhole(substrings):
    layout = make_layout(substrings)
    assert sum(s.width for s in layout) == 256
    assert all(s.width - s.prefix <= 8 for s in layout)
    for threshold in range(MAX_THRESHOLD + 1):
        # If every substring differed by more than its radius, the total would exceed the
        # threshold: so some table finds each match.
        assert sum(r + 1 for r in radii(layout, threshold)) == threshold + 1


# The delta --------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["c", *FALLBACKS])
def test_added_and_removed_entries_count_from_the_next_query(rng, kernel):
    codes = random_codes(rng, 5_000)
    index = PdqIndex.build(np.arange(5_000), codes, kernel=kernel, version=7)
    fresh = random_codes(rng, 2)
    near_fresh = flip_exactly(rng, fresh[0], 31)
    assert index.query_batch([near_fresh], 31)[0][0].tolist() == []

    index.add([9_000, 9_001], fresh, version=8)
    assert index.query_batch([near_fresh], 31)[0][0].tolist() == [9_000]
    assert (index.size, index.delta_added, index.version) == (5_002, 2, 8)

    assert index.remove([9_000, 42, 123_456]) == 2  # an unknown id is ignored
    assert index.query_batch([near_fresh], 31)[0][0].tolist() == []
    assert 42 not in index.query_batch([codes[42]], 0)[0][0].tolist()
    assert index.size == 5_000

    # Adding an id present in the base replaces its code.
    other = random_codes(rng, 1)
    index.add([43], other)
    assert index.query_batch([codes[43]], 0)[0][0].tolist() == []
    assert index.query_batch(other, 0)[0][0].tolist() == [43]
    assert index.size == 5_000


@pytest.mark.parametrize("kernel", ["c", *FALLBACKS])
def test_compacting_folds_the_delta_into_a_new_base_with_the_same_answers(rng, kernel):
    codes = clustered_codes(rng, 5_000)
    index = PdqIndex.build(np.arange(5_000), codes, kernel=kernel)
    index.add(np.arange(10_000, 10_300), random_codes(rng, 300))
    index.remove(np.arange(0, 5_000, 7))
    queries = queries_for(rng, codes, 200)
    compacted = index.compact()
    assert (compacted.delta_added, compacted.delta_removed, compacted.size) == (0, 0, index.size)
    before, after = index.query_batch(queries, 31), compacted.query_batch(queries, 31)
    assert np.array_equal(before.ids, after.ids) and np.array_equal(before.lims, after.lims)


# The file ---------------------------------------------------------------------------------


def test_saved_and_loaded_it_answers_the_same_from_a_read_only_mapping(rng, tmp_path):
    codes = clustered_codes(rng, 20_000)
    built = PdqIndex.build(np.arange(20_000) * 2, codes, version=41)
    path = built.save(tmp_path / "pdq.idx")
    loaded = PdqIndex.load(path)
    assert (loaded.version, loaded.size, loaded.layout) == (41, 20_000, built.layout)
    assert not loaded.codes.flags.writeable  # a view of the mapped file, not a copy
    queries = queries_for(rng, codes, 200)
    a, b = built.query_batch(queries, 31), loaded.query_batch(queries, 31)
    assert np.array_equal(a.ids, b.ids) and np.array_equal(a.distances, b.distances)


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux /proc")
def test_processes_that_load_the_file_share_its_pages(rng, tmp_path):
    path = PdqIndex.build(np.arange(50_000), random_codes(rng, 50_000)).save(tmp_path / "x.idx")
    parent = PdqIndex.load(path)
    assert parent.query_batch(parent.codes[:100], 31).lims[-1] >= 100
    # A second process maps the same file; the pages it reads are the ones this process has
    # mapped (Shared_Clean), not a copy of its own.
    child = textwrap.dedent(
        f"""
        import re
        from hotline.hashlist.index import PdqIndex
        index = PdqIndex.load({str(path)!r})
        index.query_batch(index.codes[:100], 31)
        smaps = open("/proc/self/smaps").read()
        block = smaps.split({str(path)!r})[1].split("VmFlags")[0]
        print(int(re.search(r"Shared_Clean:\\s+(\\d+)", block).group(1)))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, check=True, timeout=60
    )
    assert int(out.stdout) > 0, out.stderr


def test_a_rebuild_replaces_the_file_and_old_readers_see_it_is_stale(rng, tmp_path):
    path = tmp_path / "pdq.idx"
    PdqIndex.build(np.arange(100), random_codes(rng, 100)).save(path)
    reader = PdqIndex.load(path)
    writer = PdqIndex.load(path)
    writer.add([500], random_codes(rng, 1), version=3)
    fresh = writer.rebuild(path)
    assert reader.is_stale() and not fresh.is_stale()
    assert reader.size == 100  # still answering from the old file until it reloads
    assert PdqIndex.load(path).version == 3 and PdqIndex.load(path).size == 101


@pytest.fixture
def saved(rng, tmp_path) -> Path:
    return PdqIndex.build(np.arange(3_000), random_codes(rng, 3_000)).save(tmp_path / "p.idx")


def test_a_truncated_file_is_refused(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) - 5_000])
    with pytest.raises(IndexFileError, match="truncated"):
        PdqIndex.load(saved)
    saved.write_bytes(data[:10])
    with pytest.raises(IndexFileError, match="truncated"):
        PdqIndex.load(saved)


def test_a_damaged_section_is_refused(saved):
    data = bytearray(saved.read_bytes())
    header = json.loads(data[16 : 16 + int.from_bytes(data[8:12], "little")])
    codes = next(s for s in header["sections"] if s["name"] == "codes")
    data[codes["offset"] + 1234] ^= 0x04  # one bit of one code
    saved.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="damaged"):
        PdqIndex.load(saved)


def test_a_damaged_header_or_another_file_is_refused(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    data[40] ^= 0x01
    saved.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="header is damaged"):
        PdqIndex.load(saved)
    other = tmp_path / "other"
    other.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(IndexFileError, match="not a Hotline PDQ index"):
        PdqIndex.load(other)


def test_the_file_holds_what_the_memory_budget_counts(saved):
    index = PdqIndex.load(saved)
    # The header page and each section's padding to a page, nothing else.
    padding = (1 + len(index._sections())) * 4096
    assert index.nbytes <= os.path.getsize(saved) <= index.nbytes + padding
