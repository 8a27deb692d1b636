"""`POST /api/v1/hashes/match`: a member licensed for the match API sends up to 10,000 hashes
and learns, for each, the entries it matches with their category and distance; PDQ exactly
within the distance asked, never a listed hash itself."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from django.test import Client, override_settings

from hotline.hashlist.actions import remove_hashes
from hotline.members.models import Scope
from tests.conftest import MemberKey
from tests.hashlist.world import add, licensed_member, md5
from tests.world.pdq import flip_exactly, random_codes

pytestmark = pytest.mark.django_db

URL = "/api/v1/hashes/match"


@pytest.fixture
def platform() -> MemberKey:
    return licensed_member([Scope.MATCH_READ], name="Platform Co")


def ask(client: Client, key: MemberKey | None, body: Any) -> Any:
    headers = dict(key.header) if key else {}
    return client.post(URL, body, content_type="application/json", headers=headers)


def pdq_query(value: str, quality: int = 100) -> dict[str, Any]:
    return {"signal_type": "pdq", "value": value, "quality": quality}


def hexes(codes: np.ndarray) -> list[str]:
    return [bytes(code).hex() for code in codes]


def test_every_entry_within_the_distance_is_answered_with_its_category_and_distance(
    client: Client, platform: MemberKey
) -> None:
    rng = np.random.default_rng(7)
    (listed,) = random_codes(rng, 1)
    near = {d: bytes(flip_exactly(rng, listed, d)).hex() for d in (0, 5, 31, 32)}
    (entry,) = add(("pdq", bytes(listed).hex()), category="A").added
    sums = add(("md5", md5(1)), ("sha256", "ab" * 32), category="C").added

    response = ask(
        client,
        platform,
        {
            "hashes": [pdq_query(near[d]) for d in (0, 5, 31, 32)]
            + [
                {"signal_type": "md5", "value": md5(1).upper()},
                {"signal_type": "sha256", "value": "ab" * 32},
                {"signal_type": "md5", "value": md5(2)},
            ]
        },
    )

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["matches"] for r in results[:4]] == [
        [{"entry": entry, "category": "A", "distance": 0}],
        [{"entry": entry, "category": "A", "distance": 5}],
        [{"entry": entry, "category": "A", "distance": 31}],
        [],  # one bit beyond the threshold
    ]
    assert results[4]["matches"] == [{"entry": sums[0], "category": "C", "distance": 0}]
    assert results[5]["matches"] == [{"entry": sums[1], "category": "C", "distance": 0}]
    assert results[6]["matches"] == []
    assert response.json()["pdq_distance"] == 31
    assert bytes(listed).hex() not in response.content.decode()  # never a listed hash


def test_the_distance_asked_for_is_applied_and_one_beyond_31_is_refused(
    client: Client, platform: MemberKey
) -> None:
    rng = np.random.default_rng(8)
    (listed,) = random_codes(rng, 1)
    add(("pdq", bytes(listed).hex()))
    at_ten = bytes(flip_exactly(rng, listed, 10)).hex()

    strict = ask(client, platform, {"hashes": [pdq_query(at_ten)], "pdq_distance": 9})
    loose = ask(client, platform, {"hashes": [pdq_query(at_ten)], "pdq_distance": 10})
    assert strict.json()["results"][0]["matches"] == []
    assert loose.json()["results"][0]["matches"][0]["distance"] == 10

    refused = ask(client, platform, {"hashes": [pdq_query(at_ten)], "pdq_distance": 32})
    assert refused.status_code == 422 and refused.json()["error"] == "invalid"
    with override_settings(HOTLINE_MATCH_PDQ_DISTANCE=9):
        default = ask(client, platform, {"hashes": [pdq_query(at_ten)]})
    assert default.json()["pdq_distance"] == 9 and default.json()["results"][0]["matches"] == []


def test_each_hash_that_cannot_be_matched_is_refused_with_a_reason_and_the_rest_answered(
    client: Client, platform: MemberKey
) -> None:
    (good,) = hexes(random_codes(np.random.default_rng(9), 1))
    (entry,) = add(("pdq", good)).added
    response = ask(
        client,
        platform,
        {
            "hashes": [
                pdq_query(good, quality=49),
                {"signal_type": "pdq", "value": good},
                {"signal_type": "tmk", "value": good},
                {"signal_type": "md5", "value": "xyz"},
                pdq_query(good, quality=50),
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r.get("refused") for r in results] == [
        "pdq_quality",
        "pdq_quality",
        "signal_type",
        "value",
        None,
    ]
    assert "below 50" in results[0]["message"]
    assert "quality" in results[1]["message"]
    assert "pdq, md5, sha256" in results[2]["message"]
    assert results[4]["matches"][0]["entry"] == entry


def test_ten_thousand_hashes_are_answered_and_more_are_refused(
    client: Client, platform: MemberKey
) -> None:
    codes = hexes(random_codes(np.random.default_rng(10), 10_001))
    ids = add(*[("pdq", value) for value in codes[:100]]).added
    response = ask(client, platform, {"hashes": [pdq_query(v) for v in codes[:10_000]]})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 10_000
    assert [r["matches"][0]["entry"] for r in results[:100]] == ids
    assert all(r["matches"] == [] for r in results[100:])

    too_many = ask(client, platform, {"hashes": [pdq_query(v) for v in codes]})
    assert too_many.status_code == 400
    assert too_many.json()["message"] == (
        "Send at most 10,000 hashes per call; you sent 10,001. Split them."
    )
    empty = ask(client, platform, {"hashes": []})
    assert empty.status_code == 400 and empty.json()["error"] == "empty"


@pytest.mark.alone  # "within a second"
def test_a_removed_entry_no_longer_matches(client: Client, platform: MemberKey) -> None:
    (value,) = hexes(random_codes(np.random.default_rng(11), 1))
    (entry,) = add(("pdq", value)).added
    assert ask(client, platform, {"hashes": [pdq_query(value)]}).json()["results"][0]["matches"]
    remove_hashes(entry_ids=[entry], reason="appeal upheld", actor="senior")
    # Within the index's half-second refresh.
    deadline = time.monotonic() + 1.0
    while ask(client, platform, {"hashes": [pdq_query(value)]}).json()["results"][0]["matches"]:
        assert time.monotonic() < deadline, "still matched a second after its removal"
        time.sleep(0.05)


def test_only_keys_licensed_for_the_match_api_may_ask(client: Client) -> None:
    body = {"hashes": [{"signal_type": "md5", "value": md5(1)}]}
    assert ask(client, None, body).status_code == 401
    hash_list_only = licensed_member([Scope.HASHLIST_READ], name="Feed only")
    refused = ask(client, hash_list_only, body)
    assert refused.status_code == 403 and "match:read" in refused.json()["message"]


def test_the_status_says_how_big_and_how_fresh_the_index_is_and_healthz_too(
    client: Client, platform: MemberKey
) -> None:
    add(*[("pdq", value) for value in hexes(random_codes(np.random.default_rng(12), 5))])
    status = client.get(f"{URL}/status", headers=platform.header)
    assert status.status_code == 200
    body = status.json()
    assert body["size"] == 5 and body["behind"] == 0 and body["version"] == body["list_version"]
    assert body["kernel"] in {"c", "faiss", "numpy"}

    health = client.get("/healthz").json()
    assert health["status"] == "ok"
    assert health["pdq_index"]["size"] == 5 and health["pdq_index"]["version"] == body["version"]
