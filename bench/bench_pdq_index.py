"""Benchmark of the exact PDQ index (hotline/hashlist/index.py) against faiss, in one run, on
the same queries and machine.

Target (issue 12): at 10 million hashes, threshold 31, on uniformly random codes and on a
clustered set (groups of 1 to 16 near-duplicates within distance 0-31 of a seed), at least 20x
the queries per second of faiss `IndexBinaryFlat` (exact brute force), with 100 % recall
against brute force; index memory at most 1 GB and a cold load under 10 s; also measured
beside faiss `IndexBinaryMultiHash` as HMA configures it (python-threatexchange's
PDQMultiHashIndex: nhash 16, 16 bits per hash map, nflip = threshold // 16).

For each set: generate the codes, build the index and save it to one file, load it in a fresh
process (cold load: the file is dropped from the page cache first when we may, else it says
warm) and read that process's RSS; then query `--queries` codes (half near an indexed code,
half random) through our index on all of them, and through faiss on the first
`--faiss-queries` of them (faiss is slow: tens of queries a second at 10M). Recall: our answers
on those queries against IndexBinaryFlat's (exact) answers, every (query, entry, distance).

    .venv/bin/python bench/bench_pdq_index.py [--entries 10000000] [--queries 10000]
        [--faiss-queries 1000] [--sets random,clustered] [--skip-multihash] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # noqa: F401 (puts the repository on sys.path)
import faiss
import numpy as np

from hotline.hashlist.index import PdqIndex, default_kernel
from tests.world.pdq import clustered_codes, queries_for, random_codes

THRESHOLD = 31


def machine() -> str:
    return (
        f"python {platform.python_version()}; numpy {np.__version__}; faiss {faiss.__version__}; "
        f"kernel {default_kernel()}; {platform.machine()}; {os.cpu_count()} cpus; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def drop_cache(path: Path) -> bool:
    """Evict the file from the page cache (POSIX_FADV_DONTNEED), so the load reads the disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        return True
    except (AttributeError, OSError):
        return False


COLD_LOAD = """
import json, resource, sys, time
start = time.perf_counter()
from hotline.hashlist.index import PdqIndex
index = PdqIndex.load(sys.argv[1])
loaded = time.perf_counter() - start
rss = int(open("/proc/self/statm").read().split()[1]) * 4096
print(json.dumps({"load_s": loaded, "rss": rss, "size": index.size}))
"""


def as_triples(lims: np.ndarray, ids: np.ndarray, dist: np.ndarray) -> set[tuple[int, int, int]]:
    qidx = np.repeat(np.arange(len(lims) - 1), np.diff(lims).astype(np.int64))
    return set(zip(qidx.tolist(), ids.tolist(), dist.tolist(), strict=True))


def run_set(name: str, codes: np.ndarray, args: argparse.Namespace, folder: Path) -> None:
    rng = np.random.default_rng(2)
    n = len(codes)
    ids = np.arange(n, dtype=np.int64)
    queries = queries_for(rng, codes, args.queries)
    few = queries[: args.faiss_queries // 2].copy()
    few = np.concatenate([few, queries[args.queries // 2 :][: args.faiss_queries - len(few)]])

    start = time.perf_counter()
    index = PdqIndex.build(ids, codes)
    build = time.perf_counter() - start
    path = folder / f"{name}.idx"
    start = time.perf_counter()
    index.save(path)
    save = time.perf_counter() - start
    del index
    cold = drop_cache(path)
    child = subprocess.run(
        [sys.executable, "-c", COLD_LOAD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    loaded = json.loads(child.stdout)
    index = PdqIndex.load(path, verify=False)
    print(
        f"[{name}] {n:,} codes; build {build:.1f} s, save {save:.1f} s; file "
        f"{path.stat().st_size / 1e6:.0f} MB (arrays {index.nbytes / 1e6:.0f} MB); "
        f"{'cold' if cold else 'warm'} load with checksums {loaded['load_s']:.2f} s, "
        f"RSS after load {loaded['rss'] / 1e6:.0f} MB"
    )

    index.query_batch(queries[:200], THRESHOLD)  # warm the pages the queries touch
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        ours = index.query_batch(queries, THRESHOLD)
        best = min(best, time.perf_counter() - start)
    rate = len(queries) / best
    start = time.perf_counter()
    ours_few = index.query_batch(few, THRESHOLD)
    rate_few = len(few) / (time.perf_counter() - start)
    single = []
    for q in few[:200]:
        start = time.perf_counter()
        index.query_batch(q[None], THRESHOLD)
        single.append(time.perf_counter() - start)
    print(
        f"[{name}] ours: {rate:,.0f} q/s on {len(queries):,} queries (best of {args.repeat}), "
        f"{rate_few:,.0f} q/s on the {len(few):,} faiss queries; one query at a time: median "
        f"{np.median(single) * 1000:.2f} ms; {len(ours.ids):,} matches "
        f"({(np.diff(ours.lims) > 0).sum():,} queries with one or more)"
    )

    flat = faiss.IndexBinaryFlat(256)
    flat.add(codes)
    start = time.perf_counter()
    lims, dist, labels = flat.range_search(few, THRESHOLD + 1)  # faiss keeps d < radius
    flat_rate = len(few) / (time.perf_counter() - start)
    truth = as_triples(lims, labels, dist)
    found = as_triples(ours_few.lims, ours_few.ids, ours_few.distances)
    recall = len(truth & found) / max(1, len(truth))
    print(
        f"[{name}] faiss IndexBinaryFlat range_search: {flat_rate:,.1f} q/s; ours/flat "
        f"{rate_few / flat_rate:,.0f}x; recall {recall * 100:.2f} % ({len(truth & found):,} of "
        f"{len(truth):,}), extra answers {len(found - truth)}"
    )
    del flat

    if not args.skip_multihash:
        start = time.perf_counter()
        multi = faiss.IndexBinaryMultiHash(256, 16, 16)
        multi.add(codes)
        multi_build = time.perf_counter() - start
        multi.nflip = THRESHOLD // 16
        start = time.perf_counter()
        mlims, mdist, mlabels = multi.range_search(few, THRESHOLD + 1)
        multi_rate = len(few) / (time.perf_counter() - start)
        mrecall = len(truth & as_triples(mlims, mlabels, mdist)) / max(1, len(truth))
        print(
            f"[{name}] faiss IndexBinaryMultiHash (nhash 16, b 16, nflip 1, as HMA): "
            f"build {multi_build:.1f} s, {multi_rate:,.1f} q/s; ours/multihash "
            f"{rate_few / multi_rate:,.0f}x; its recall {mrecall * 100:.2f} %"
        )
        del multi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--faiss-queries", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of ours; best is kept")
    parser.add_argument("--sets", default="random,clustered")
    parser.add_argument("--skip-multihash", action="store_true")
    parser.add_argument("--dir", type=Path, help="where the index files go (default: a temp dir)")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="hotline-bench-pdq-", dir=args.dir) as tmp:
        for name in args.sets.split(","):
            rng = np.random.default_rng(1)
            start = time.perf_counter()
            make = random_codes if name == "random" else clustered_codes
            codes = make(rng, args.entries)
            print(f"[{name}] generated in {time.perf_counter() - start:.1f} s")
            run_set(name, codes, args, Path(tmp))
            del codes
            print(machine())


if __name__ == "__main__":
    main()
