"""`POST /api/v1/hashes/match`: is this image on the hash list? For members licensed for the
match API (`match:read`), who send hashes and learn, for each, the entries it matches, their
category and distance: never a listed hash itself (that needs the hash list licence).

PDQ hashes are matched by the exact index (every entry within the distance, none missed:
hashlist/index.py) that follows the list within a second (hashlist/live.py); MD5 and SHA-256
by equal value. `GET /api/v1/hashes/match/status` says how big and how fresh the index is.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import Field

from hotline.hashlist.live import index_status, live_index
from hotline.hashlist.matching import MAX_PDQ_DISTANCE, Query, match_hashes, pdq_quality_floor
from hotline.hashlist.signals import SIGNAL_TYPES
from hotline.members.auth import MemberKeyAuth
from hotline.members.models import Scope
from hotline.members.openapi import KEY_REFUSALS, error_response

router = Router(tags=["Match API"])

MATCH_AUTH = MemberKeyAuth(Scope.MATCH_READ)
# The most hashes one call may send (the bound; about 1 MB of JSON).
MAX_HASHES = 10_000
# The signal types the service matches (SHA-1 is listed, but HMA tools exchange these three).
MATCHED_TYPES = ("pdq", "md5", "sha256")


class HashIn(Schema):
    signal_type: str = Field(description="`pdq`, `md5` or `sha256`.", examples=["pdq"])
    value: str = Field(description="The hash, in hex.", max_length=128)
    quality: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="PDQ only, required: the quality pdqhash gave with the hash (0-100).",
    )


class MatchIn(Schema):
    hashes: list[HashIn]
    pdq_distance: int | None = Field(
        default=None,
        ge=0,
        le=MAX_PDQ_DISTANCE,
        description="The most bits a PDQ hash may differ by and match (0-31; the hotline's "
        "default when left out).",
    )


REQUEST_EXAMPLE = {
    "hashes": [
        {
            "signal_type": "pdq",
            "value": "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
            "quality": 100,
        },
        {"signal_type": "md5", "value": "0cc175b9c0f1b6a831c399e269772661"},
        {
            "signal_type": "pdq",
            "value": "0000000000000000000000000000000000000000000000000000000000000000",
            "quality": 12,
        },
    ],
    "pdq_distance": 31,
}
RESPONSE_EXAMPLE = {
    "version": 42,
    "pdq_distance": 31,
    "results": [
        {"matches": [{"entry": 1207, "category": "A", "distance": 4}]},
        {"matches": []},
        {
            "refused": "pdq_quality",
            "message": "PDQ quality 12 is below 50: a hash of a flat or tiny picture says too "
            "little to match on.",
        },
    ],
}


def _refusal(query: HashIn, floor: int) -> tuple[str, str] | None:
    """Why one hash is not matched, or None."""
    kind = query.signal_type.strip().lower()
    if kind not in MATCHED_TYPES:
        return "signal_type", (
            f"signal_type {query.signal_type!r} is not matched here; send one of "
            f"{', '.join(MATCHED_TYPES)}."
        )
    try:
        SIGNAL_TYPES[kind].parse(query.value)
    except ValueError as error:
        return "value", str(error)
    if kind == "pdq":
        if query.quality is None:
            return "pdq_quality", "Send the PDQ hash's quality (0-100) with it, as pdqhash gave it."
        if query.quality < floor:
            return "pdq_quality", (
                f"PDQ quality {query.quality} is below {floor}: a hash of a flat or tiny "
                "picture says too little to match on."
            )
    return None


@router.post(
    "/hashes/match",
    auth=MATCH_AUTH,
    summary="Which hash list entries do these hashes match?",
    response={200: dict[str, Any], 400: dict[str, Any]},
    openapi_extra={
        "requestBody": {"content": {"application/json": {"example": REQUEST_EXAMPLE}}},
        "responses": {
            200: {
                "description": "One result per hash sent, in order: `matches` (each entry's id, "
                "category and distance; PDQ nearest first, then by id; an empty list when none "
                "matches) or `refused` with a `message` (an unknown type, a malformed hash, a "
                "PDQ hash without its quality or below the quality floor). `version` is the "
                "hash list version the answers hold.",
                "content": {"application/json": {"example": RESPONSE_EXAMPLE}},
            },
            400: error_response(
                "No hashes, or more than 10,000 in one call.",
                "too_many",
                "Send at most 10,000 hashes per call; you sent 12,000. Split them.",
            ),
            **KEY_REFUSALS,
            403: error_response(
                "The key holds no licence for the match API (`match:read`).",
                "scope",
                "This API key does not allow 'match:read'. Ask the hotline to extend it.",
            ),
        },
    },
)
def match(request: HttpRequest, body: MatchIn) -> Status[dict[str, Any]]:
    """For each hash sent (up to 10,000), every hash list entry it matches: MD5 and SHA-256 by
    equal value, PDQ within `pdq_distance` (default HOTLINE_MATCH_PDQ_DISTANCE, at most 31),
    with the entry's id, category and distance. Needs `match:read`."""
    if not body.hashes:
        return Status(400, {"error": "empty", "message": "Send at least one hash in `hashes`."})
    if len(body.hashes) > MAX_HASHES:
        return Status(
            400,
            {
                "error": "too_many",
                "message": f"Send at most {MAX_HASHES:,} hashes per call; you sent "
                f"{len(body.hashes):,}. Split them.",
            },
        )
    distance = (
        body.pdq_distance
        if body.pdq_distance is not None
        else int(settings.HOTLINE_MATCH_PDQ_DISTANCE)
    )
    floor = pdq_quality_floor()
    refusals = [_refusal(query, floor) for query in body.hashes]
    asked = [
        (i, Query(q.signal_type.strip().lower(), q.value.strip().lower(), q.quality))
        for i, (q, refused) in enumerate(zip(body.hashes, refusals, strict=True))
        if refused is None
    ]
    found = match_hashes([query for _, query in asked], pdq_distance=distance)
    results: list[dict[str, Any]] = [
        {"refused": refused[0], "message": refused[1]} if refused else {} for refused in refusals
    ]
    for (i, _), matches in zip(asked, found, strict=True):
        results[i] = {
            "matches": [
                {"entry": m.entry_id, "category": m.category, "distance": m.distance}
                for m in matches
            ]
        }
    return Status(
        200, {"version": live_index().version, "pdq_distance": distance, "results": results}
    )


STATUS_EXAMPLE = {
    "size": 1_204_311,
    "version": 4_210,
    "list_version": 4_210,
    "behind": 0,
    "base_size": 1_198_022,
    "delta": 6_301,
    "file_written_at": "2026-11-26T12:00:04+00:00",
    "kernel": "c",
}


@router.get(
    "/hashes/match/status",
    auth=MATCH_AUTH,
    summary="How big and how fresh the PDQ index is",
    response={200: dict[str, Any]},
    openapi_extra={
        "responses": {
            200: {
                "description": "`size`: PDQ entries matched against; `version`: the hash list "
                "version the index holds, `list_version`: the list's now, `behind`: how many "
                "versions apart (0 within a second of a change); `base_size` and `delta`: "
                "entries in the index's file and changes carried in memory since it was "
                "written (`file_written_at`); `kernel`: `c`, or a fallback (`faiss`, `numpy`).",
                "content": {"application/json": {"example": STATUS_EXAMPLE}},
            },
            **KEY_REFUSALS,
        }
    },
)
def match_status(request: HttpRequest) -> dict[str, Any]:
    """The PDQ index's size, the list version it holds and how far behind the list it is."""
    status = index_status()
    return {
        "size": status.size,
        "version": status.version,
        "list_version": status.list_version,
        "behind": max(status.list_version - status.version, 0),
        "base_size": status.base_size,
        "delta": status.delta,
        "file_written_at": status.file_written_at,
        "kernel": status.kernel,
    }
