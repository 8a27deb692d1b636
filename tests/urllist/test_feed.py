"""The full URL list feed as members download it: published snapshots, formats, ETags, HEAD,
audit, OpenAPI. The changes feed (`?since=`) is in test_since.py."""

from __future__ import annotations

import csv
import hashlib
import io
import re

from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.core.hashing import url_digest
from hotline.members.actions import create_member, issue_api_key
from hotline.members.models import FeedDownload, MemberKind, Scope
from hotline.urllist.models import UrlListEntry
from tests.conftest import MemberKey
from tests.urllist.world import URL, URL_FORMATS, add, download, publish


def test_before_the_first_publication_the_list_is_an_empty_version_zero(
    client: Client, isp: MemberKey
) -> None:
    add("http://a.example/x")  # on the list, but not yet published
    feed = download(client, isp)
    assert feed.status == 200
    assert feed["ETag"] == '"0-json"'
    body = feed.json()
    assert (body["version"], body["count"], body["entries"]) == (0, 0, [])


def test_json_lists_the_published_entries_with_their_version(
    client: Client, isp: MemberKey
) -> None:
    add("http://a.example/x", "A")
    assert publish() == 1
    feed = download(client, isp)
    assert feed.status == 200
    assert feed["Content-Type"].startswith("application/json")
    assert feed["Content-Length"] == str(len(feed.body))
    body = feed.json()
    assert (body["version"], body["count"]) == (1, 1)
    (entry,) = body["entries"]
    assert entry["url"] == "http://a.example/x"
    assert (entry["category"], entry["kind"], entry["added_in_version"]) == ("A", "url", 1)
    assert feed["X-Hotline-List-Version"] == "1"


def test_the_full_list_changes_only_when_it_is_published(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    publish()
    add("http://b.example/")
    held = download(client, isp).json()
    assert (held["version"], held["count"]) == (1, 1), "still the published version"
    assert publish() == 2
    body = download(client, isp).json()
    assert (body["version"], body["count"]) == (2, 2)
    assert [e["url"] for e in body["entries"]] == ["http://a.example/", "http://b.example/"]


def test_publishing_an_unchanged_list_again_writes_nothing(db: None) -> None:
    add("http://a.example/")
    assert publish() == 1
    assert publish() == -1
    assert AuditEvent.objects.filter(action="urllist.published").count() == 1


def test_same_url_twice_keeps_one_entry_and_one_version(client: Client, isp: MemberKey) -> None:
    first = add("http://dup.example/")
    second = add("http://dup.example/")
    assert first.pk == second.pk
    publish()
    body = download(client, isp).json()
    assert (body["count"], body["version"]) == (1, 1)


def test_different_category_recategorises_and_audits(db: None) -> None:
    entry = add("http://dup.example/", "C")
    add("http://dup.example/", "A")
    entry.refresh_from_db()
    assert entry.category == "A"
    assert UrlListEntry.objects.count() == 1
    event = AuditEvent.objects.get(action="urllist.entry_recategorised")
    assert event.target_id == str(entry.pk)
    assert event.data == {"version": 2, "from": "C", "to": "A"}


def test_csv_has_header_and_entry(client: Client, isp: MemberKey) -> None:
    add("http://a.example/x,y", "B")
    publish()
    feed = download(client, isp, format="csv")
    assert feed.status == 200
    assert feed["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(feed.body.decode())))
    assert rows[0][:3] == ["url", "category", "kind"]
    assert rows[1][:3] == ["http://a.example/x,y", "B", "url"]
    assert len(rows) == 2


def test_txt_is_one_url_per_line_and_text_is_its_other_name(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    add("http://b.example/")
    publish()
    feed = download(client, isp, format="txt")
    assert feed["Content-Type"].startswith("text/plain")
    assert feed.lines() == ["http://a.example/", "http://b.example/"]
    alias = download(client, isp, format="text")
    assert (alias.body, alias["ETag"]) == (feed.body, feed["ETag"])
    assert feed["ETag"] == '"2-txt"'


def test_sha256_is_the_digest_of_each_canonical_url(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    add("http://b.example/?q=1")
    publish()
    feed = download(client, isp, format="sha256")
    assert feed.lines() == [
        hashlib.sha256(b"http://a.example/").hexdigest(),
        hashlib.sha256(b"http://b.example/?q=1").hexdigest(),
    ]
    assert "a.example" not in feed.body.decode()


def test_unknown_format_is_400_naming_allowed_formats(client: Client, isp: MemberKey) -> None:
    feed = download(client, isp, format="xml")
    assert feed.status == 400
    body = feed.json()
    assert body["error"]
    for allowed in ("json", "csv", "txt", "text", "sha256"):
        assert allowed in body["message"]


def test_matching_if_none_match_returns_304(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    publish()
    etag = download(client, isp)["ETag"]
    assert etag == '"1-json"'
    again = download(client, isp, etag=etag)
    assert again.status == 304
    assert again.body == b""


def test_head_answers_the_headers_of_get_without_the_body(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    publish()
    full = download(client, isp, format="csv")
    head = download(client, isp, method="head", format="csv")
    assert head.status == 200
    assert head.body == b""
    for header in ("ETag", "Content-Length", "Content-Type", "X-Hotline-Manifest"):
        assert head[header] == full[header], header


def test_a_stale_etag_gets_the_new_list(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    publish()
    etag = download(client, isp)["ETag"]
    add("http://b.example/")
    publish()
    feed = download(client, isp, etag=etag)
    assert feed.status == 200
    assert feed["ETag"] != etag
    assert feed.json()["count"] == 2


def test_a_changed_category_is_a_new_version_for_every_format(
    client: Client, isp: MemberKey
) -> None:
    add("http://a.example/", "C")
    publish()
    held = {name: download(client, isp, format=name) for name in URL_FORMATS}
    add("http://a.example/", "A")  # a senior's correction: the same URL, now category A
    publish()
    for name, before in held.items():
        after = download(client, isp, format=name, etag=before["ETag"])
        assert after.status == 200, name
        assert after["ETag"] != before["ETag"], name
        assert after["X-Hotline-List-Version"] == "2", name
        changes = download(client, isp, format=name, since="1")
        assert changes["ETag"] == f'"1-2-{name}"', name
    assert download(client, isp).json()["entries"][0]["category"] == "A"
    assert download(client, isp, format="csv").body.decode().splitlines()[1].split(",")[1] == "A"


def test_the_same_category_again_changes_nothing(client: Client, isp: MemberKey) -> None:
    add("http://a.example/", "B")
    publish()
    etag = download(client, isp)["ETag"]
    add("http://a.example/", "B")
    assert publish() == -1
    assert download(client, isp, etag=etag).status == 304
    assert download(client, isp, since="1", etag='"1-1-json"').status == 304


def test_each_download_is_recorded_for_the_member_outside_the_audit_chain(
    client: Client, isp: MemberKey
) -> None:
    events = AuditEvent.objects.count()
    download(client, isp)
    download(client, isp, format="csv", since="0")
    download(client, isp, etag='"0-json"')
    rows = FeedDownload.objects.order_by("pk").values_list(
        "member_id", "feed", "format", "version", "since", "not_modified"
    )
    member = isp.key.member_id
    assert list(rows) == [
        (member, "urllist", "json", 0, None, False),
        (member, "urllist", "csv", 0, 0, False),
        (member, "urllist", "json", 0, None, True),
    ]
    assert AuditEvent.objects.count() == events


def test_a_refused_download_is_not_recorded(client: Client, db: None) -> None:
    assert client.get(URL).status_code == 401
    assert not FeedDownload.objects.exists()


def test_each_format_needs_its_licence(client: Client, db: None) -> None:
    member = create_member(name="Filter Co", kind=MemberKind.FILTER_VENDOR)
    hashed = MemberKey(*issue_api_key(member=member, scopes=[Scope.URLLIST_HASHED_READ]))
    domains = MemberKey(*issue_api_key(member=member, scopes=[Scope.DOMAINLIST_READ]))
    add("http://a.example/x")
    publish()
    assert download(client, hashed, format="sha256").status == 200
    refused = download(client, hashed, format="json")
    assert refused.status == 403
    assert "'urllist:read'" in refused.json()["message"]
    assert download(client, domains, format="rpz").status == 200
    assert download(client, domains, format="txt").status == 403
    assert download(client, domains, format="sha256").status == 403


def test_openapi_document_describes_the_feeds(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    for path in ("/api/v1/urllist", "/api/v1/urllist/manifest", "/api/v1/urllist/public-key"):
        assert path in schema["paths"], path
    feed = schema["paths"]["/api/v1/urllist"]["get"]
    assert {p["name"] for p in feed["parameters"]} >= {"format", "since"}
    assert {"200", "304", "400", "401", "403"} <= set(feed["responses"])
    schemes = schema["components"]["securitySchemes"].values()
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes)


def test_a_listed_url_is_found_through_the_index_of_active_entries(db: None) -> None:
    # add_to_url_list looks the URL up among the active entries on every confirmation; the
    # partial unique index one_active_entry_per_url answers that without a scan, and so does
    # the index of every entry's digest, which the planner picks in its stead as it sees fit
    # (it did, under CI, with the statistics an earlier test in that process left).
    for n in range(50):
        add(f"http://a.example/{n}")
    plan = UrlListEntry.objects.filter(
        url_sha256=url_digest("http://a.example/7"), kind="url", removed_at__isnull=True
    ).explain()
    # PostgreSQL's "Index Scan using x", "Bitmap Index Scan on x"; SQLite's "USING INDEX x".
    indexes = set(re.findall(r"(?:Scan using|Bitmap Index Scan on|USING INDEX) (\w+)", plan))
    assert indexes & {"one_active_entry_per_url", "urllist_entry_url_sha256"}, plan
    assert "Seq Scan on urllist_urllistentry" not in plan, plan  # PostgreSQL's full scan
    assert "SCAN urllist_urllistentry" not in plan, plan  # SQLite's


def test_a_removed_entry_is_found_through_an_index_to_be_reactivated(db: None) -> None:
    # The unique index holds active entries only; a URL whose content returns is looked up
    # among all of them (a scan here cost 60 ms a confirmation with a million entries).
    for n in range(50):
        add(f"http://a.example/{n}")
    plan = (
        UrlListEntry.objects.filter(url_sha256=url_digest("http://a.example/7"), kind="url")
        .order_by("-pk")
        .explain()
    )
    assert "urllist_entry_url_sha256" in plan, plan
