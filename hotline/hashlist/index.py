"""The exact PDQ index: every entry within the threshold of a query, with its distance, at
millions of entries.

Multi-index hashing (Norouzi, Punjani and Fleet, 2012) with the generalised pigeonhole: the
256 bits are cut into `m` substrings (11 by default: 8 of 23 bits and 3 of 24) and each
substring gets a radius R_t with sum(R_t + 1) > threshold. Two codes within the threshold then
differ by at most R_t bits in at least one substring t (if every substring differed by more,
the total would exceed the threshold). So a query looks up, in each substring's table, the
values within R_t of its own, verifies every candidate on all 256 bits (popcount), and keeps
those within the threshold: nothing within the threshold can be missed, which the tests check
against brute force on random and on clustered codes. At 31, m = 11 gives radii of 2 (and 1 on
one table); see docs/hashlist.md for why 11 and for the measured figures.

Each table is three arrays: the positions of the entries sorted by the substring's value, an
offset table addressed directly by the value's top bits (16 by default), and the value's
remaining low bits (at most 8) of each entry in the same order, so that a bucket is scanned
without touching the codes. The base (ids sorted, codes, the tables) is written to ONE file
(`save`) that `load` memory-maps read-only: every web worker that loads it shares the same
page-cache pages instead of holding a copy each.

On top of the mapped base sits a small delta held in this process: entries added (scanned by
brute force) and base entries removed (filtered out of results). `add` and `remove` are
visible to the next query at once; `compact` folds the delta into a new base, and `save` and
`load` (or `rebuild`) swap files without disturbing a worker still reading the old one.

The hot loop (candidate enumeration and verification) is C (`_pdqkernel.c`, built at install
by setup.py). Where it could not be built, the base is searched by faiss's exact brute force
(`IndexBinaryFlat`), else by numpy; the answers are the same (tested), only slower.

No Django here: the index is plain numpy, so it can live in any process.
"""

from __future__ import annotations

import json
import mmap
import os
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

try:
    from hotline.hashlist import _pdqkernel  # type: ignore[attr-defined]
except ImportError:  # not built on this machine: the fallback answers
    _pdqkernel = None

Kernel = Literal["c", "faiss", "numpy"]

CODE_BYTES = 32
CODE_BITS = 256
# The largest threshold a query may ask for: PDQ's own (signals.PDQ_MATCH_THRESHOLD). Beyond it
# the pigeonhole radii grow and the index slows down sharply (and PDQ stops meaning "the same
# picture" anyway).
MAX_THRESHOLD = 31
DEFAULT_SUBSTRINGS = 11
DEFAULT_PREFIX_BITS = 20
# Substring values keep at most this many low bits beside the positions (one byte each).
SUFFIX_BITS = 8

MAGIC = b"HLPDQIX1"
FORMAT = 1
# Sections start on page boundaries, so every array of the mapped file is page-aligned.
ALIGN = 4096
_HEADER = 16  # magic, JSON length, JSON crc32


class IndexFileError(ValueError):
    """The file is not a PDQ index this code can read: truncated, damaged or of another format.
    The message says which, and where."""


@dataclass(frozen=True)
class Substring:
    """Bits [start, start + width) of the code (bit 0 is the top bit of the first byte, as the
    hex form reads), looked up by its top `prefix` bits."""

    start: int
    width: int
    prefix: int

    @property
    def suffix_bits(self) -> int:
        return self.width - self.prefix


def make_layout(
    substrings: int = DEFAULT_SUBSTRINGS, prefix_bits: int = DEFAULT_PREFIX_BITS
) -> tuple[Substring, ...]:
    """The 256 bits cut into `substrings` contiguous pieces as even as can be (the wider
    first), each addressed by `prefix_bits` bits (more when the rest would not fit a byte)."""
    if not 8 <= substrings <= 32:
        raise ValueError("between 8 and 32 substrings (each 8 to 32 bits)")
    layout, start = [], 0
    for t in range(substrings):
        width = CODE_BITS // substrings + (1 if t < CODE_BITS % substrings else 0)
        prefix = min(width, max(prefix_bits, width - SUFFIX_BITS))
        layout.append(Substring(start, width, prefix))
        start += width
    return tuple(layout)


def radii(layout: Sequence[Substring], threshold: int) -> list[int]:
    """Each table's search radius for `threshold`: threshold + 1 "units" spread over the
    tables (a table's radius is its units minus one; -1 means it is not searched). Whenever
    every substring differs by more than its radius, the codes differ by more than the
    threshold, so some table finds every match. Extra units go to the widest tables, where a
    radius costs fewest candidates."""
    if not 0 <= threshold <= MAX_THRESHOLD:
        raise ValueError(f"the threshold is 0 to {MAX_THRESHOLD}, not {threshold}")
    m = len(layout)
    units = threshold + 1
    by_width = sorted(range(m), key=lambda t: -layout[t].width)
    result = [units // m - 1] * m
    for t in by_width[: units % m]:
        result[t] += 1
    return result


@dataclass(frozen=True)
class Table:
    """One substring's table: offsets (2^prefix + 1, uint32), positions sorted by the
    substring's value (uint32) and the value's low bits in the same order (uint8)."""

    offsets: np.ndarray
    pos: np.ndarray
    suffix: np.ndarray


def _keys(codes: np.ndarray, sub: Substring) -> np.ndarray:
    """The substring's value of every code (uint64)."""
    words = codes.view(">u8").astype(np.uint64)  # (n, 4), big-endian: bit 0 is the top bit
    word, off = divmod(sub.start, 64)
    mask = np.uint64((1 << sub.width) - 1)
    if off + sub.width <= 64:
        return (words[:, word] >> np.uint64(64 - off - sub.width)) & mask
    low = sub.width - (64 - off)
    top = words[:, word] & np.uint64((1 << (64 - off)) - 1)
    return ((top << np.uint64(low)) | (words[:, word + 1] >> np.uint64(64 - low))) & mask


def build_table(codes: np.ndarray, sub: Substring, *, kernel: Kernel) -> Table:
    """The table of one substring: by the C kernel's counting sort, or by numpy's stable sort
    (the same arrays, byte for byte: entries of a bucket stay in position order)."""
    if kernel == "c":
        assert _pdqkernel is not None
        offsets, pos, suffix = _pdqkernel.build_table(codes, sub.start, sub.width, sub.prefix)
        return Table(
            np.frombuffer(offsets, np.uint32),
            np.frombuffer(pos, np.uint32),
            np.frombuffer(suffix, np.uint8),
        )
    keys = _keys(codes, sub)
    prefixes = keys >> np.uint64(sub.suffix_bits)
    order = np.argsort(prefixes, kind="stable").astype(np.uint32)
    counts = np.bincount(prefixes.astype(np.int64), minlength=1 << sub.prefix)
    offsets = np.zeros((1 << sub.prefix) + 1, np.uint32)
    np.cumsum(counts, out=offsets[1:])
    suffix = (keys[order] & np.uint64((1 << sub.suffix_bits) - 1)).astype(np.uint8)
    return Table(offsets, order, suffix)


@dataclass(frozen=True)
class Matches:
    """The answer to a batch of queries, flat: query i's matches are ids[lims[i]:lims[i + 1]]
    with distances[lims[i]:lims[i + 1]], nearest first (then by id)."""

    lims: np.ndarray  # int64, one more than the queries
    ids: np.ndarray  # int64
    distances: np.ndarray  # uint8

    def __len__(self) -> int:
        return len(self.lims) - 1

    def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.lims[i], self.lims[i + 1]
        return self.ids[a:b], self.distances[a:b]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return (self[i] for i in range(len(self)))


def as_codes(codes: Any) -> np.ndarray:
    """Codes as a C-contiguous uint8 array of shape (n, 32): from such an array, from bytes
    (32 per code), or from 64-character hex strings."""
    if isinstance(codes, np.ndarray):
        array = codes
    elif isinstance(codes, bytes | bytearray | memoryview):
        array = np.frombuffer(codes, np.uint8)
    else:
        items = list(codes)
        if items and isinstance(items[0], str):
            try:
                array = np.frombuffer(b"".join(bytes.fromhex(h) for h in items), np.uint8)
            except ValueError:
                raise ValueError("a PDQ hash is 64 hex characters") from None
            if array.size != CODE_BYTES * len(items):
                raise ValueError("a PDQ hash is 64 hex characters")
        else:
            array = np.asarray(items, dtype=np.uint8)
    if array.dtype != np.uint8:
        raise ValueError(f"codes are uint8, not {array.dtype}")
    array = array.reshape(-1, CODE_BYTES) if array.size else np.zeros((0, CODE_BYTES), np.uint8)
    return np.ascontiguousarray(array)


def _as_ids(ids: Any) -> np.ndarray:
    array = np.asarray(ids)
    if array.size == 0:
        return np.zeros(0, np.int64)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError("ids are a one-dimensional array of integers")
    return np.ascontiguousarray(array.astype(np.int64))


def _brute_numpy(
    codes: np.ndarray, queries: np.ndarray, threshold: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query index, position, distance) of every code within the threshold, by numpy."""
    words = codes.view(np.uint64)
    qwords = queries.view(np.uint64)
    found_q, found_p, found_d = [], [], []
    step = 1 << 20
    for qi in range(len(queries)):
        for lo in range(0, len(codes), step):
            d = np.bitwise_count(words[lo : lo + step] ^ qwords[qi]).sum(axis=1, dtype=np.int64)
            hit = np.flatnonzero(d <= threshold)
            found_q.append(np.full(len(hit), qi, np.int64))
            found_p.append(hit + lo)
            found_d.append(d[hit])
    if not found_q:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(found_q), np.concatenate(found_p), np.concatenate(found_d)


def _from_kernel(
    result: tuple[bytes, bytes, bytes],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts, pos, dist = result
    counts_array = np.frombuffer(counts, np.uint64).astype(np.int64)
    qidx = np.repeat(np.arange(len(counts_array), dtype=np.int64), counts_array)
    return qidx, np.frombuffer(pos, np.uint32).astype(np.int64), np.frombuffer(dist, np.uint8)


def brute_force(
    codes: np.ndarray, queries: np.ndarray, threshold: int, *, kernel: Kernel | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query index, position, distance) of every code within the threshold of each query, by
    scanning every code: the C kernel's scan, else numpy."""
    if (kernel or default_kernel()) == "c" and _pdqkernel is not None and len(codes) > 0:
        return _from_kernel(_pdqkernel.brute(codes, queries, threshold, _threads(len(queries))))
    return _brute_numpy(codes, queries, threshold)


def default_kernel() -> Kernel:
    """The fastest way this machine has: the compiled kernel, else faiss, else numpy."""
    if _pdqkernel is not None:
        return "c"
    try:
        import faiss  # noqa: F401
    except ImportError:
        return "numpy"
    return "faiss"


def _threads(queries: int) -> int:
    # A thread costs tens of microseconds to start: a handful of queries runs on this one.
    return 1 if queries < 32 else min(os.cpu_count() or 1, 16)


@dataclass(frozen=True)
class _Delta:
    """What changed since the base was built, replaced whole on every change, so that a query
    running meanwhile sees one consistent state."""

    removed: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # base positions
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    codes: np.ndarray = field(default_factory=lambda: np.zeros((0, CODE_BYTES), np.uint8))


def _bytes_of(array: np.ndarray) -> np.ndarray:
    """An array's bytes, as a flat uint8 array (also when it is empty: a new list's index)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8)


class PdqIndex:
    """An exact PDQ index: `build` from ids and codes (or `load` a saved one), `query` a batch,
    `add` and `remove` entries (visible at once), `compact` and `save` to fold them in.

    Entries are (id, code): ids are unique int64 (a hash list entry's primary key, say), codes
    uint8 arrays of 32 bytes (the PDQ hash's 64 hex characters as bytes)."""

    def __init__(
        self,
        *,
        ids: np.ndarray,
        codes: np.ndarray,
        tables: Sequence[Table],
        layout: Sequence[Substring],
        version: int = 0,
        created: str | None = None,
        kernel: Kernel | None = None,
        path: Path | None = None,
        mapping: mmap.mmap | None = None,
    ) -> None:
        self.ids = ids  # sorted: an entry's position is its rank by id
        self.codes = codes
        self.tables = tuple(tables)
        self.layout = tuple(layout)
        self.version = version
        self.created = created or datetime.now(UTC).isoformat(timespec="seconds")
        self.kernel: Kernel = kernel or default_kernel()
        if self.kernel == "c" and _pdqkernel is None:
            raise RuntimeError("the compiled kernel is not built on this machine")
        self.path = path
        self._mapping = mapping
        self._inode = os.stat(path).st_ino if path else None
        self._delta = _Delta()
        self._lock = threading.Lock()
        self._faiss: Any = None

    # Building, saving, loading ---------------------------------------------------------------

    @classmethod
    def build(
        cls,
        ids: Any,
        codes: Any,
        *,
        version: int = 0,
        substrings: int = DEFAULT_SUBSTRINGS,
        prefix_bits: int = DEFAULT_PREFIX_BITS,
        kernel: Kernel | None = None,
    ) -> PdqIndex:
        """An index of these entries (ids unique), in memory; `save` writes it to a file.
        `version` is the caller's: the hash list's change the entries reflect, say."""
        id_array, code_array = _as_ids(ids), as_codes(codes)
        if len(id_array) != len(code_array):
            raise ValueError(f"{len(id_array)} ids for {len(code_array)} codes")
        if len(id_array) >= 2**32 - 1:
            raise ValueError("at most 2^32 - 2 entries in one index: shard beyond that")
        order = np.argsort(id_array, kind="stable")
        id_array, code_array = id_array[order], np.ascontiguousarray(code_array[order])
        if len(id_array) > 1 and not (np.diff(id_array) > 0).all():
            raise ValueError("ids must be unique")
        kernel = kernel or default_kernel()
        layout = make_layout(substrings, prefix_bits)
        build_with: Kernel = "c" if kernel == "c" else "numpy"
        tables = [build_table(code_array, sub, kernel=build_with) for sub in layout]
        return cls(
            ids=id_array,
            codes=code_array,
            tables=tables,
            layout=layout,
            version=version,
            kernel=kernel,
        )

    def _sections(self) -> list[tuple[str, np.ndarray]]:
        sections = [("ids", self.ids), ("codes", self.codes)]
        for t, table in enumerate(self.tables):
            sections += [
                (f"offsets.{t}", table.offsets),
                (f"pos.{t}", table.pos),
                (f"suffix.{t}", table.suffix),
            ]
        return sections

    def save(self, path: str | Path) -> Path:
        """Write the base to `path` (the delta is not written: `compact` first to keep it).
        Written beside it under a temporary name, then renamed over it: a worker still mapping
        the old file keeps reading it until it loads the new one."""
        path = Path(path)
        sections = self._sections()
        entries: list[dict[str, Any]] = []
        offset = ALIGN
        for name, array in sections:
            data = _bytes_of(array)
            entries.append(
                {"name": name, "offset": offset, "length": len(data), "crc32": zlib.crc32(data)}
            )
            offset += -(-len(data) // ALIGN) * ALIGN
        header = json.dumps(
            {
                "format": FORMAT,
                "count": len(self.ids),
                "version": self.version,
                "created": self.created,
                "substrings": [[s.start, s.width, s.prefix] for s in self.layout],
                "sections": entries,
            },
            separators=(",", ":"),
        ).encode()
        if _HEADER + len(header) > ALIGN:
            raise ValueError("too many sections for the header page")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as out:
                out.write(MAGIC + len(header).to_bytes(4, "little"))
                out.write(zlib.crc32(header).to_bytes(4, "little") + header)
                for (_name, array), entry in zip(sections, entries, strict=True):
                    out.seek(entry["offset"])
                    out.write(_bytes_of(array))
                out.truncate(offset)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    @classmethod
    def load(
        cls, path: str | Path, *, verify: bool = True, kernel: Kernel | None = None
    ) -> PdqIndex:
        """The index saved at `path`, memory-mapped read-only (shared by every process that
        loads it). IndexFileError when it is truncated, damaged or of another format. With
        `verify` (the default), every section's checksum is checked, which also reads the
        whole file into the page cache; without it, only the header and the sizes."""
        path = Path(path)
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < _HEADER:
                raise IndexFileError(f"{path}: {size} bytes, shorter than the header: truncated")
            mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        # Refused or not, the mapping is released with the last array viewing it.
        return cls._from_mapping(path, mapping, size, verify=verify, kernel=kernel)

    @classmethod
    def _from_mapping(
        cls, path: Path, mapping: mmap.mmap, size: int, *, verify: bool, kernel: Kernel | None
    ) -> PdqIndex:
        if mapping[:8] != MAGIC:
            raise IndexFileError(f"{path}: not a Hotline PDQ index (its first bytes are wrong)")
        length = int.from_bytes(mapping[8:12], "little")
        crc = int.from_bytes(mapping[12:16], "little")
        if _HEADER + length > size:
            raise IndexFileError(f"{path}: the header runs past the end of the file: truncated")
        raw = mapping[_HEADER : _HEADER + length]
        if zlib.crc32(raw) != crc:
            raise IndexFileError(f"{path}: the header is damaged (checksum mismatch)")
        meta = json.loads(raw)
        if meta.get("format") != FORMAT:
            raise IndexFileError(f"{path}: format {meta.get('format')}; this code reads {FORMAT}")
        n = int(meta["count"])
        layout = tuple(Substring(*map(int, s)) for s in meta["substrings"])
        expected = {"ids": n * 8, "codes": n * CODE_BYTES}
        for t, sub in enumerate(layout):
            expected |= {f"offsets.{t}": ((1 << sub.prefix) + 1) * 4, f"pos.{t}": n * 4}
            expected[f"suffix.{t}"] = n
        arrays: dict[str, np.ndarray] = {}
        dtypes = {"ids": np.int64, "codes": np.uint8, "offsets": np.uint32, "pos": np.uint32}
        for entry in meta["sections"]:
            name, offset, nbytes = entry["name"], int(entry["offset"]), int(entry["length"])
            if expected.pop(name, None) != nbytes:
                raise IndexFileError(f"{path}: section {name} has an unexpected size")
            if offset % ALIGN or offset + nbytes > size:
                raise IndexFileError(
                    f"{path}: section {name} ends at byte {offset + nbytes:,} but the file "
                    f"has {size:,}: truncated"
                )
            view = memoryview(mapping)[offset : offset + nbytes]
            if verify and zlib.crc32(view) != entry["crc32"]:
                raise IndexFileError(f"{path}: section {name} is damaged (checksum mismatch)")
            dtype = dtypes.get(name.split(".")[0], np.uint8)
            arrays[name] = np.frombuffer(mapping, dtype, nbytes // np.dtype(dtype).itemsize, offset)
        if expected:
            raise IndexFileError(f"{path}: sections missing: {', '.join(sorted(expected))}")
        tables = [
            Table(arrays[f"offsets.{t}"], arrays[f"pos.{t}"], arrays[f"suffix.{t}"])
            for t in range(len(layout))
        ]
        if any(int(table.offsets[-1]) != n for table in tables):
            raise IndexFileError(f"{path}: a table does not cover every entry: damaged")
        return cls(
            ids=arrays["ids"],
            codes=arrays["codes"].reshape(n, CODE_BYTES),
            tables=tables,
            layout=layout,
            version=int(meta["version"]),
            created=meta.get("created"),
            kernel=kernel,
            path=path,
            mapping=mapping,
        )

    def is_stale(self) -> bool:
        """Whether the file this index was loaded from has been replaced since (by a `save` of
        a rebuilt index, say): then it is time to `load` it again."""
        if self.path is None:
            return False
        try:
            return os.stat(self.path).st_ino != self._inode
        except FileNotFoundError:
            return True

    # The delta --------------------------------------------------------------------------------

    def _base_positions(self, ids: np.ndarray) -> np.ndarray:
        """Positions in the base of those of `ids` that are in it."""
        if len(self.ids) == 0 or len(ids) == 0:
            return np.zeros(0, np.int64)
        return _matching(self.ids, ids)

    def add(self, ids: Any, codes: Any, *, version: int | None = None) -> None:
        """Add entries (or replace the code of ids already present); matched from the next
        query on. `version`, when given, becomes the index's version (the hash list change
        this brings it to)."""
        id_array, code_array = _as_ids(ids), as_codes(codes)
        if len(id_array) != len(code_array):
            raise ValueError(f"{len(id_array)} ids for {len(code_array)} codes")
        if len(np.unique(id_array)) != len(id_array):
            raise ValueError("ids must be unique")
        with self._lock:
            d = self._delta
            removed = np.union1d(d.removed, self._base_positions(id_array))
            keep = ~np.isin(d.ids, id_array)
            self._delta = _Delta(
                removed=removed,
                ids=np.concatenate([d.ids[keep], id_array]),
                codes=np.ascontiguousarray(np.concatenate([d.codes[keep], code_array])),
            )
            if version is not None:
                self.version = version

    def remove(self, ids: Any, *, version: int | None = None) -> int:
        """Remove entries by id (ids not present are ignored); gone from the next query on.
        Returns how many were removed."""
        id_array = _as_ids(ids)
        with self._lock:
            d = self._delta
            in_base = self._base_positions(id_array)
            fresh = np.setdiff1d(in_base, d.removed)
            keep = ~np.isin(d.ids, id_array)
            self._delta = _Delta(
                removed=np.union1d(d.removed, in_base),
                ids=d.ids[keep],
                codes=d.codes[keep],
            )
            if version is not None:
                self.version = version
            return len(fresh) + int((~keep).sum())

    def compact(self) -> PdqIndex:
        """A new index (in memory) whose base holds every live entry: the base less what was
        removed, plus what was added. This one is left as it is."""
        d = self._delta
        live = np.ones(len(self.ids), bool)
        live[d.removed] = False
        return PdqIndex.build(
            np.concatenate([self.ids[live], d.ids]),
            np.concatenate([self.codes[live], d.codes]),
            version=self.version,
            substrings=len(self.layout),
            prefix_bits=min(s.prefix for s in self.layout),
            kernel=self.kernel,
        )

    def rebuild(self, path: str | Path) -> PdqIndex:
        """Compact, save to `path` and load it back (mapped): the index to use from now on."""
        return PdqIndex.load(self.compact().save(path), verify=False, kernel=self.kernel)

    # Metadata ---------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """How many live entries the index holds (base less removed, plus added)."""
        d = self._delta
        return len(self.ids) - len(d.removed) + len(d.ids)

    @property
    def base_size(self) -> int:
        return len(self.ids)

    @property
    def delta_added(self) -> int:
        return len(self._delta.ids)

    @property
    def delta_removed(self) -> int:
        return len(self._delta.removed)

    @property
    def nbytes(self) -> int:
        """The base's arrays, in bytes (what the file holds, less padding and header)."""
        return sum(array.nbytes for _name, array in self._sections())

    # Queries ----------------------------------------------------------------------------------

    def query(self, codes: Any, threshold: int = MAX_THRESHOLD) -> list[tuple[np.ndarray, ...]]:
        """For each query code, (ids, distances) of every entry within `threshold`, nearest
        first (then by id)."""
        return list(self.query_batch(codes, threshold))

    def query_batch(
        self, codes: Any, threshold: int = MAX_THRESHOLD, *, threads: int | None = None
    ) -> Matches:
        """Every entry within `threshold` (0 to 31) of each query code, as flat arrays."""
        queries = as_codes(codes)
        tables_radii = radii(self.layout, threshold)
        d = self._delta  # one consistent state for the whole batch
        qidx, pos, dist = self._search_base(queries, threshold, tables_radii, threads)
        if len(d.removed):
            keep = ~np.isin(pos, d.removed)
            qidx, pos, dist = qidx[keep], pos[keep], dist[keep]
        ids = self.ids[pos]
        if len(d.ids):
            dq, dpos, ddist = brute_force(d.codes, queries, threshold, kernel=self.kernel)
            qidx = np.concatenate([qidx, dq])
            ids = np.concatenate([ids, d.ids[dpos]])
            dist = np.concatenate([dist, ddist])
        order = np.lexsort((ids, dist, qidx))
        counts = np.bincount(qidx, minlength=len(queries))
        lims = np.zeros(len(queries) + 1, np.int64)
        np.cumsum(counts, out=lims[1:])
        return Matches(lims, ids[order], dist[order].astype(np.uint8))

    def _search_base(
        self, queries: np.ndarray, threshold: int, tables_radii: list[int], threads: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if len(self.ids) == 0 or len(queries) == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        if self.kernel == "c":
            assert _pdqkernel is not None
            specs = [
                (s.start, s.width, s.prefix, r, t.offsets, t.pos, t.suffix)
                for s, r, t in zip(self.layout, tables_radii, self.tables, strict=True)
            ]
            n_threads = threads or _threads(len(queries))
            return _from_kernel(_pdqkernel.search(self.codes, queries, specs, threshold, n_threads))
        if self.kernel == "faiss":
            return self._search_faiss(queries, threshold)
        return _brute_numpy(self.codes, queries, threshold)

    def _search_faiss(
        self, queries: np.ndarray, threshold: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import faiss

        if self._faiss is None:
            # faiss keeps its own copy of the codes: the fallback costs memory in each worker.
            index = faiss.IndexBinaryFlat(CODE_BITS)
            index.add(self.codes)
            self._faiss = index
        # faiss's binary range search keeps distances strictly below the radius.
        lims, distances, labels = self._faiss.range_search(queries, threshold + 1)
        qidx = np.repeat(np.arange(len(queries), dtype=np.int64), np.diff(lims).astype(np.int64))
        return qidx, labels.astype(np.int64), distances.astype(np.int64)


def _matching(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions in `sorted_ids` of the members of `ids` found there."""
    at = np.searchsorted(sorted_ids, ids)
    inside = at < len(sorted_ids)
    at, wanted = at[inside], ids[inside]
    return at[sorted_ids[at] == wanted]
