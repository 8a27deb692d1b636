"""Which hash list entries a set of hashes matches: exact types by value, PDQ by distance.

The one place that answers "is this image known?", for the automatic resolution of captured
images (outcomes) and for the match service. PDQ hashes are looked up in the exact PDQ index
(`pdq_matches`); hashes of a quality below the floor are not compared at all, because a
flat or tiny picture's PDQ says little about it and would match unrelated ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.conf import settings

from hotline.hashlist.live import live_index
from hotline.hashlist.models import EntryState, HashListEntry

# The most a PDQ distance can be and still be called a match (Meta's recommended threshold).
MAX_PDQ_DISTANCE = 31
# Exact signal types, looked up by their value.
EXACT_TYPES = ("md5", "sha1", "sha256")


@dataclass(frozen=True)
class Query:
    signal_type: str
    value: str
    # PDQ only: the hash's quality (0-100); None when the caller does not know it.
    quality: int | None = None


@dataclass(frozen=True)
class Match:
    entry_id: int
    signal_type: str
    value: str
    category: str
    distance: int  # 0 for exact types


def pdq_quality_floor() -> int:
    return int(settings.HOTLINE_HASHLIST_PDQ_QUALITY_FLOOR)


def pdq_matches(
    values: Sequence[str], *, distance: int, fresh: bool = False
) -> list[list[tuple[int, int]]]:
    """For each PDQ value (64 hex), every active entry within `distance`: (entry id, distance),
    nearest first. Exact: the index misses nothing a comparison with every entry would find
    (hashlist/index.py), and follows the list within a second (hashlist/live.py)."""
    if not 0 <= distance <= MAX_PDQ_DISTANCE:
        raise ValueError(f"A PDQ distance is between 0 and {MAX_PDQ_DISTANCE}.")
    if not values:
        return []
    codes = np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, 32)
    return [
        list(zip(ids.tolist(), distances.tolist(), strict=True))
        for ids, distances in live_index(fresh=fresh).query(codes, distance)
    ]


def match_hashes(
    queries: Sequence[Query], *, pdq_distance: int, fresh: bool = False
) -> list[list[Match]]:
    """Every active entry each query matches: an exact type by equal value, PDQ within
    `pdq_distance` (and only at or above the quality floor). One list per query, in order.
    `fresh`: PDQ against the list as it is this moment, not up to half a second ago."""
    results: list[list[Match]] = [[] for _ in queries]
    floor = pdq_quality_floor()
    pdq_at = [
        i
        for i, q in enumerate(queries)
        if q.signal_type == "pdq" and (q.quality is None or q.quality >= floor)
    ]
    exact_at = [i for i, q in enumerate(queries) if q.signal_type in EXACT_TYPES]
    hits: dict[int, list[tuple[int, int]]] = {}
    for i, near in zip(
        pdq_at,
        pdq_matches([queries[i].value for i in pdq_at], distance=pdq_distance, fresh=fresh),
        strict=True,
    ):
        hits[i] = near
    wanted = {(queries[i].signal_type, queries[i].value.lower()) for i in exact_at}
    by_value: dict[tuple[str, str], list[int]] = {}
    if wanted:
        rows = HashListEntry.objects.filter(
            state=EntryState.ACTIVE,
            signal_type__in={kind for kind, _ in wanted},
            value__in={value for _, value in wanted},
        ).values_list("pk", "signal_type", "value")
        for pk, kind, value in rows:
            by_value.setdefault((kind, value), []).append(pk)
    for i in exact_at:
        key = (queries[i].signal_type, queries[i].value.lower())
        hits[i] = [(pk, 0) for pk in sorted(by_value.get(key, []))]
    entry_ids = {pk for near in hits.values() for pk, _ in near}
    entries = {
        pk: (kind, value, category)
        for pk, kind, value, category in HashListEntry.objects.filter(
            pk__in=entry_ids, state=EntryState.ACTIVE
        ).values_list("pk", "signal_type", "value", "category")
    }
    for i, near in hits.items():
        results[i] = [Match(pk, *entries[pk], distance) for pk, distance in near if pk in entries]
    return results
