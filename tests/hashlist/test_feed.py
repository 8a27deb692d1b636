"""The hash list feeds as members download them: full (published snapshots) and `?since=`, JSON
and CSV, ETag, 304, HEAD, signed manifests, who may download (hashlist:read only), downloads
recorded, the OpenAPI document, publication and its schedule."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.management import call_command
from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.core.periodic import PERIODIC_JOBS
from hotline.hashlist import snapshots
from hotline.hashlist.actions import remove_hashes
from hotline.hashlist.models import HashListSnapshot
from hotline.members.models import FeedDownload, Scope
from tests.conftest import MemberKey
from tests.hashlist.world import URL, add, download, licensed_member, md5, pdq, publish


@pytest.fixture
def platform(db: None) -> MemberKey:
    return licensed_member()


def test_before_the_first_publication_the_list_is_an_empty_version_zero(
    client: Client, platform: MemberKey
) -> None:
    add(("md5", md5(1)))
    feed = download(client, platform)
    assert (feed.status, feed["ETag"]) == (200, '"0-json"')
    assert (feed.json()["version"], feed.json()["entries"]) == (0, [])


def test_json_and_csv_list_the_published_entries(client: Client, platform: MemberKey) -> None:
    add(("pdq", pdq(1)), ("md5", md5(1)), category="A")
    assert publish() == 1
    body = download(client, platform).json()
    assert (body["version"], body["count"]) == (1, 2)
    assert body["entries"][0] == {
        "signal_type": "pdq",
        "hash": pdq(1),
        "category": "A",
        "added_at": body["entries"][0]["added_at"],
        "added_in_version": 1,
    }
    feed = download(client, platform, format="csv")
    assert feed["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(feed.body.decode())))
    assert rows[0] == ["signal_type", "hash", "category", "added_at", "added_in_version"]
    assert [r[:3] for r in rows[1:]] == [["pdq", pdq(1), "A"], ["md5", md5(1), "A"]]


def test_the_full_list_changes_only_when_published_and_since_gives_changes_at_once(
    client: Client, platform: MemberKey
) -> None:
    (first,) = add(("md5", md5(1)), category="C").added
    publish()
    add(("pdq", pdq(1)), category="A")  # v2
    remove_hashes(entry_ids=[first], reason="false positive", actor="system")  # v3
    assert download(client, platform).json()["version"] == 1, "still the published one"
    changes = download(client, platform, since="1")
    assert (changes["ETag"], changes["X-Hotline-List-Version"]) == ('"1-3-json"', "3")
    assert changes.json()["changes"] == [
        {"op": "add", "version": 2, "signal_type": "pdq", "hash": pdq(1), "category": "A"},
        {
            "op": "remove",
            "version": 3,
            "signal_type": "md5",
            "hash": md5(1),
            "category": "C",
            "reason": "false positive",
        },
    ]
    text = download(client, platform, format="csv", since="1").body.decode()
    assert text == (
        "op,version,signal_type,hash,category,reason\n"
        f"add,2,pdq,{pdq(1)},A,\n"
        f"remove,3,md5,{md5(1)},C,false positive\n"
    )
    assert publish() == 3
    assert download(client, platform).json()["entries"][0]["hash"] == pdq(1)


def test_etag_304_and_head(client: Client, platform: MemberKey) -> None:
    add(("md5", md5(1)))
    publish()
    full = download(client, platform, format="csv")
    assert full["ETag"] == '"1-csv"'
    again = download(client, platform, format="csv", etag=full["ETag"])
    assert (again.status, again.body) == (304, b"")
    head = download(client, platform, method="head", format="csv")
    assert (head.status, head.body) == (200, b"")
    for header in ("ETag", "Content-Length", "Content-Type", "X-Hotline-Manifest"):
        assert head[header] == full[header], header
    add(("md5", md5(2)))
    publish()
    assert download(client, platform, format="csv", etag=full["ETag"]).status == 200
    since = download(client, platform, since="1")
    assert download(client, platform, since="1", etag=since["ETag"]).status == 304


def test_bad_format_or_since_is_400_saying_what_to_send(
    client: Client, platform: MemberKey
) -> None:
    assert "json, csv" in download(client, platform, format="txt").json()["message"]
    assert "newer than the list" in download(client, platform, since="5").json()["message"]


def test_only_member_keys_with_the_hash_list_licence_get_hashes(
    client: Client, platform: MemberKey, isp: MemberKey
) -> None:
    add(("md5", md5(1)))
    publish()
    assert download(client, None).status == 401
    assert download(client, None).json()["error"] == "missing_key"
    refused = download(client, isp)  # a URL list licensee
    assert refused.status == 403
    assert "'hashlist:read'" in refused.json()["message"]
    assert md5(1) not in refused.body.decode()
    assert download(client, isp, path=URL + "/manifest").status == 403
    hashed = licensed_member([Scope.URLLIST_HASHED_READ, Scope.MATCH_READ], name="Filter Co")
    assert download(client, hashed).status == 403
    assert download(client, platform).status == 200
    # The URL list stays closed to a hash-list-only key.
    assert download(client, platform, path="/api/v1/urllist").status == 403


def test_each_download_is_recorded_as_the_hash_list_outside_the_audit_chain(
    client: Client, platform: MemberKey
) -> None:
    events = AuditEvent.objects.count()
    download(client, platform)
    download(client, platform, format="csv", since="0")
    download(client, platform, etag='"0-json"')
    rows = FeedDownload.objects.order_by("pk").values_list(
        "feed", "format", "version", "since", "not_modified"
    )
    assert list(rows) == [
        ("hashlist", "json", 0, None, False),
        ("hashlist", "csv", 0, 0, False),
        ("hashlist", "json", 0, None, True),
    ]
    assert AuditEvent.objects.count() == events
    assert download(client, None).status == 401
    assert FeedDownload.objects.count() == 3, "a refused download is not recorded"


def _signed(feed_headers: dict[str, str]) -> tuple[bytes, bytes]:
    return (
        base64.b64decode(feed_headers["X-Hotline-Manifest"]),
        base64.b64decode(feed_headers["X-Hotline-Signature"]),
    )


@pytest.mark.parametrize("since", [None, "1"])
def test_the_manifest_describes_the_body_and_verifies_with_the_url_lists_key(
    client: Client, platform: MemberKey, since: str | None
) -> None:
    add(("md5", md5(1)))
    publish()
    add(("pdq", pdq(1)))
    publish()
    params = {"since": since} if since else {}
    feed = download(client, platform, format="csv", **params)
    manifest, signature = _signed(
        {h: feed[h] for h in ("X-Hotline-Manifest", "X-Hotline-Signature")}
    )
    fields = json.loads(manifest)
    assert (fields["format"], fields["version"]) == ("csv", 2)
    assert (fields["size"], fields["sha256"]) == (
        len(feed.body),
        hashlib.sha256(feed.body).hexdigest(),
    )
    assert fields["count"] == (1 if since else 2)
    pem = client.get(URL + "/public-key").content
    assert pem == client.get("/api/v1/urllist/public-key").content, "one key for both lists"
    key = load_pem_public_key(pem)
    assert isinstance(key, Ed25519PublicKey)
    key.verify(signature, manifest)  # raises if not the hotline's signature
    alone = download(client, platform, path=URL + "/manifest", format="csv", **params)
    assert (alone.body, alone["X-Hotline-Signature"]) == (manifest, feed["X-Hotline-Signature"])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_a_member_verifies_a_download_with_openssl_as_documented(
    client: Client, platform: MemberKey, tmp_path: Path
) -> None:
    add(("pdq", pdq(1)))
    publish()
    (tmp_path / "pub.pem").write_bytes(client.get(URL + "/public-key").content)
    feed = download(client, platform)
    manifest, signature = _signed(
        {h: feed[h] for h in ("X-Hotline-Manifest", "X-Hotline-Signature")}
    )
    (tmp_path / "manifest.json").write_bytes(manifest)
    (tmp_path / "manifest.sig").write_bytes(signature)
    documented = (
        "openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in manifest.json "
        "-sigfile manifest.sig"
    )
    command = documented.split()
    verified = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert "Signature Verified Successfully" in verified.stdout, verified.stderr
    (tmp_path / "manifest.json").write_bytes(manifest.replace(b'"count":1', b'"count":2'))
    tampered = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert tampered.returncode != 0


def test_snapshots_are_stored_in_chunks_and_pruned(
    client: Client, platform: MemberKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "CHUNK_SIZE", 100)
    add(*[("md5", md5(n)) for n in range(10)])
    publish()
    snapshot = HashListSnapshot.objects.get(format="json")
    assert snapshot.chunks.count() > 3
    assert download(client, platform).body == b"".join(
        bytes(c.data) for c in snapshot.chunks.order_by("index")
    )
    for n in range(10, 13):
        add(("md5", md5(n)))
        publish()
    assert sorted(set(HashListSnapshot.objects.values_list("version", flat=True))) == [3, 4]


def test_publication_is_audited_and_an_unchanged_list_is_not_published_again(db: None) -> None:
    add(("md5", md5(1)))
    assert publish() == 1
    assert publish() == -1
    event = AuditEvent.objects.get(action="hashlist.published")
    assert event.data["version"] == 1 and set(event.data["formats"]) == {"json", "csv"}


def test_the_publish_command_and_the_schedule(client: Client, db: None) -> None:
    add(("md5", md5(1)))
    out = StringIO()
    call_command("hashlist", "publish", stdout=out)
    assert "Publishing version 1: 1 entries" in out.getvalue()
    assert "Published version 1" in out.getvalue()
    key = StringIO()
    call_command("hashlist", "public-key", stdout=key)
    assert key.getvalue().encode() == client.get(URL + "/public-key").content
    (job,) = [j for j in PERIODIC_JOBS if j.name == "hashlist-publish"]
    assert job.task == "hotline.hashlist.tasks.publish_hash_list_task" and job.at


def test_openapi_document_describes_the_hash_list_feeds(client: Client, db: None) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    feed = paths["/api/v1/hashlist"]["get"]
    assert {p["name"] for p in feed["parameters"]} == {"format", "since"}
    responses = feed["responses"]
    assert {"200", "304", "400", "401", "403", "429"} <= set(responses)
    assert responses["200"]["content"]["application/json"]["example"]["entries"]
    assert "text/csv; charset=utf-8" in responses["200"]["content"]
    assert "hashlist:read" in responses["403"]["content"]["application/json"]["example"]["message"]
    manifest = paths["/api/v1/hashlist/manifest"]["get"]["responses"]
    assert manifest["200"]["content"]["application/json"]["example"]["sha256"]
    assert "/api/v1/hashlist/public-key" in paths
