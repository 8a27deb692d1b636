"""Synthetic PDQ codes for the index's tests and benchmark: random, and clustered as real hash
lists are (groups of near-duplicates of one picture: re-encodings, crops, resizes).

Codes are uint8 arrays of shape (n, 32), the 64 hex characters of a PDQ hash as bytes."""

from __future__ import annotations

import numpy as np

CODE_BYTES = 32


def random_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` uniformly random 256-bit codes."""
    return rng.integers(0, 256, (n, CODE_BYTES), dtype=np.uint8)


def flip_exactly(rng: np.random.Generator, code: np.ndarray, distance: int) -> np.ndarray:
    """A copy of `code` with exactly `distance` of its bits flipped (so at that distance)."""
    bits = np.unpackbits(code)
    bits[rng.choice(256, size=distance, replace=False)] ^= 1
    return np.packbits(bits)


def flip_up_to(
    rng: np.random.Generator, codes: np.ndarray, max_distance: int, *, chunk: int = 1 << 19
) -> np.ndarray:
    """A copy of every code with a random number (0 to `max_distance`) of random bits flipped:
    each copy within `max_distance` of its original (a bit drawn twice flips once). Vectorised
    in chunks, so that ten million take seconds."""
    out = np.empty_like(codes)
    for lo in range(0, len(codes), chunk):
        part = codes[lo : lo + chunk]
        bits = np.unpackbits(part, axis=1)
        rows = len(part)
        counts = rng.integers(0, max_distance + 1, rows)
        positions = rng.integers(0, 256, (rows, max_distance))
        used = np.arange(max_distance) < counts[:, None]
        r = np.broadcast_to(np.arange(rows)[:, None], positions.shape)[used]
        bits[r, positions[used]] ^= 1
        out[lo : lo + chunk] = np.packbits(bits, axis=1)
    return out


def clustered_codes(
    rng: np.random.Generator, n: int, *, max_group: int = 16, max_distance: int = 31
) -> np.ndarray:
    """`n` codes in groups of 1 to `max_group` (8.5 on average): a random seed and its
    near-duplicates, each within `max_distance` (0 to 31) of the seed; groups shuffled."""
    sizes = rng.integers(1, max_group + 1, n // 2 + 1)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), n) + 1]
    seeds = random_codes(rng, len(sizes))
    members = np.repeat(seeds, sizes, axis=0)[:n]
    starts = np.cumsum(sizes) - sizes
    codes = flip_up_to(rng, members, max_distance)
    seeds_at = starts[starts < n]
    codes[seeds_at] = members[seeds_at]  # the seed itself is listed too
    return codes[rng.permutation(len(codes))]


def queries_for(
    rng: np.random.Generator, codes: np.ndarray, n: int, *, max_distance: int = 31
) -> np.ndarray:
    """`n` query codes: half near an indexed code (0 to `max_distance` bits flipped), half
    random (almost surely far from everything)."""
    near = flip_up_to(rng, codes[rng.integers(0, len(codes), n // 2)], max_distance)
    return np.concatenate([near, random_codes(rng, n - n // 2)])
