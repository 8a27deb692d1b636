"""Publication: every full format rendered once from one read, stored in chunks, signed; the
manifest and signature a member verifies with openssl as docs/urllist.md says."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from hotline.audit.models import AuditEvent
from hotline.urllist import snapshots
from hotline.urllist.formats import FORMATS
from hotline.urllist.models import UrlListSnapshot, UrlListSnapshotChunk
from tests.accounts.test_admin import admin_client
from tests.conftest import MemberKey
from tests.urllist.world import URL_FORMATS, add, download, publish


def test_each_format_is_stored_in_chunks_no_larger_than_the_chunk_size(
    client: Client, isp: MemberKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshots, "CHUNK_SIZE", 200)
    for n in range(20):
        add(f"http://site{n}.example/page")
    publish()
    for name in URL_FORMATS:
        snapshot = UrlListSnapshot.objects.get(format=name)
        chunks = [bytes(c.data) for c in snapshot.chunks.order_by("index")]
        assert len(chunks) > 2, name
        assert all(len(c) == 200 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 200, name
        feed = download(client, isp, format=name)
        assert feed.body == b"".join(chunks), name
        assert (snapshot.size, snapshot.sha256) == (
            len(feed.body),
            hashlib.sha256(feed.body).hexdigest(),
        )
        assert snapshot.count == 20


def test_publication_reads_the_list_once_for_every_format(db: None) -> None:
    for n in range(5):
        add(f"http://site{n}.example/")
    with CaptureQueriesContext(connection) as queries:
        publish()
    reads = [
        q["sql"]
        for q in queries.captured_queries
        # A plain SELECT, or on PostgreSQL a server-side cursor's DECLARE ... FOR SELECT.
        if q["sql"].startswith(("SELECT", "DECLARE")) and 'FROM "urllist_urllistentry"' in q["sql"]
    ]
    assert len(reads) == 1, reads
    # The version and the count come from that same statement (one snapshot of the database).
    assert "MAX(number)" in reads[0] and "COUNT(*)" in reads[0]
    assert UrlListSnapshot.objects.filter(version=5).count() == len(FORMATS)


def test_publication_is_audited_with_its_version_and_sizes(db: None) -> None:
    add("http://a.example/")
    publish()
    event = AuditEvent.objects.get(action="urllist.published")
    assert event.data["version"] == 1 and event.data["count"] == 1
    assert event.data["formats"] == {
        s.format: s.size for s in UrlListSnapshot.objects.filter(version=1)
    }


def test_older_snapshots_go_but_the_previous_one_stays(db: None) -> None:
    for n in range(4):
        add(f"http://site{n}.example/")
        publish()
    assert sorted(set(UrlListSnapshot.objects.values_list("version", flat=True))) == [3, 4]
    assert not UrlListSnapshotChunk.objects.filter(snapshot__version__lt=3).exists()


def _manifest_of(feed_headers: dict[str, str]) -> tuple[bytes, bytes]:
    return (
        base64.b64decode(feed_headers["X-Hotline-Manifest"]),
        base64.b64decode(feed_headers["X-Hotline-Signature"]),
    )


@pytest.mark.parametrize("since", [None, "1"])
def test_the_manifest_describes_the_body_and_is_signed(
    client: Client, isp: MemberKey, since: str | None
) -> None:
    add("http://a.example/", "A")
    add("http://b.example/", "B")
    publish()
    params = {"since": since} if since else {}
    feed = download(client, isp, format="csv", **params)
    manifest, signature = _manifest_of(
        {h: feed[h] for h in ("X-Hotline-Manifest", "X-Hotline-Signature")}
    )
    fields = json.loads(manifest)
    assert fields["format"] == "csv" and fields["version"] == 2
    assert fields["sha256"] == hashlib.sha256(feed.body).hexdigest()
    assert fields["size"] == len(feed.body)
    assert fields["count"] == (1 if since else 2)
    assert ("from" in fields) == bool(since)
    assert manifest == json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    key = load_pem_public_key(client.get("/api/v1/urllist/public-key").content)
    assert isinstance(key, Ed25519PublicKey)
    key.verify(signature, manifest)  # raises if not signed by the hotline's key
    alone = download(client, isp, path="/api/v1/urllist/manifest", format="csv", **params)
    assert (alone.body, alone["X-Hotline-Signature"]) == (manifest, feed["X-Hotline-Signature"])


def test_the_public_key_needs_no_api_key(client: Client, db: None) -> None:
    response = client.get("/api/v1/urllist/public-key")
    assert response.status_code == 200
    assert response.content.startswith(b"-----BEGIN PUBLIC KEY-----")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_a_member_verifies_a_download_with_openssl_as_documented(
    client: Client, isp: MemberKey, tmp_path: Path
) -> None:
    add("http://a.example/")
    publish()
    # What docs/urllist.md tells members to do with curl, here with the test client.
    (tmp_path / "pub.pem").write_bytes(client.get("/api/v1/urllist/public-key").content)
    feed = download(client, isp, format="json")
    (tmp_path / "list.json").write_bytes(feed.body)
    manifest, signature = _manifest_of(
        {h: feed[h] for h in ("X-Hotline-Manifest", "X-Hotline-Signature")}
    )
    (tmp_path / "manifest.json").write_bytes(manifest)
    (tmp_path / "manifest.sig").write_bytes(signature)
    command = (
        "openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in manifest.json "
        "-sigfile manifest.sig"
    )
    verified = subprocess.run(
        command.split(), cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Signature Verified Successfully" in verified.stdout
    digest = hashlib.sha256((tmp_path / "list.json").read_bytes()).hexdigest()
    assert json.loads(manifest)["sha256"] == digest
    # A manifest changed by one byte fails the same command.
    (tmp_path / "manifest.json").write_bytes(manifest.replace(b'"count":1', b'"count":2'))
    tampered = subprocess.run(
        command.split(), cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert tampered.returncode != 0


def test_publish_command_reports_progress_and_public_key_prints_the_key(
    client: Client, db: None
) -> None:
    add("http://a.example/")
    out = StringIO()
    call_command("urllist", "publish", stdout=out)
    text = out.getvalue()
    assert "Publishing version 1: 1 entries" in text
    for name in URL_FORMATS:
        assert f"{name}: 1 entries" in text, name
    assert "rpz: 0 entries" in text  # domain entries only
    assert "Published version 1" in text
    again = StringIO()
    call_command("urllist", "publish", stdout=again)
    assert "already published" in again.getvalue()
    key = StringIO()
    call_command("urllist", "public-key", stdout=key)
    assert key.getvalue().encode() == client.get("/api/v1/urllist/public-key").content


@pytest.mark.django_db(transaction=True)
def test_an_administrator_asks_for_publication_now_and_the_worker_publishes(
    client: Client,
) -> None:
    add("http://a.example/")
    admin = admin_client(client)
    page = admin.get("/admin/urllist/urllistsnapshot/").content.decode()
    assert "Publish now" in page
    response = admin.post("/admin/urllist/urllistsnapshot/publish/", follow=True)
    assert "Publication requested" in response.content.decode()
    event = AuditEvent.objects.get(action="urllist.publication_requested")
    assert event.actor.startswith("staff:")
    assert not UrlListSnapshot.objects.exists()  # the worker publishes, not the request
    call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())
    assert set(UrlListSnapshot.objects.values_list("version", flat=True)) == {1}
    assert admin.get("/admin/urllist/urllistsnapshot/publish/").status_code == 405
