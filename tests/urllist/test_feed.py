"""The URL list feed as members download it: formats, versions, ETag, audit, OpenAPI."""

from __future__ import annotations

import csv
import io

from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.core.classification import Category
from hotline.urllist.actions import add_to_url_list
from hotline.urllist.models import UrlListEntry
from tests.conftest import MemberKey

URL = "/api/v1/urllist"


def add(url: str, category: Category = Category.B) -> UrlListEntry:
    return add_to_url_list(url=url, category=category, case_id=None, actor="system")


def test_empty_list_is_version_zero(client: Client, isp: MemberKey) -> None:
    body = client.get(URL, headers=isp.header).json()
    assert body["version"] == 0
    assert body["count"] == 0
    assert body["entries"] == []


def test_json_lists_entries_with_version(client: Client, isp: MemberKey) -> None:
    add("http://a.example/x", Category.A)
    response = client.get(URL, headers=isp.header)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["version"] == 1
    assert body["count"] == 1
    (entry,) = body["entries"]
    assert entry["url"] == "http://a.example/x"
    assert entry["category"] == "A"
    assert entry["added_in_version"] == 1


def test_each_add_bumps_the_version(client: Client, isp: MemberKey) -> None:
    versions = []
    for n in range(3):
        add(f"http://site{n}.example/")
        versions.append(client.get(URL, headers=isp.header).json()["version"])
    assert versions == [1, 2, 3]


def test_same_url_twice_keeps_one_entry(client: Client, isp: MemberKey) -> None:
    first = add("http://dup.example/")
    second = add("http://dup.example/")
    assert first.pk == second.pk
    body = client.get(URL, headers=isp.header).json()
    assert body["count"] == 1
    assert body["version"] == 1


def test_different_category_recategorises_and_audits(db: None) -> None:
    entry = add("http://dup.example/", Category.C)
    add("http://dup.example/", Category.A)
    entry.refresh_from_db()
    assert entry.category == "A"
    assert UrlListEntry.objects.count() == 1
    event = AuditEvent.objects.get(action="urllist.entry_recategorised")
    assert event.target_id == str(entry.pk)
    assert event.data == {"from": "C", "to": "A"}


def test_csv_has_header_and_entry(client: Client, isp: MemberKey) -> None:
    add("http://a.example/x,y", Category.B)
    response = client.get(URL, {"format": "csv"}, headers=isp.header)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:2] == ["url", "category"]
    assert rows[1][:2] == ["http://a.example/x,y", "B"]
    assert len(rows) == 2


def test_text_is_one_url_per_line(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    add("http://b.example/")
    response = client.get(URL, {"format": "text"}, headers=isp.header)
    assert response["Content-Type"].startswith("text/plain")
    lines = [line for line in response.content.decode().splitlines() if not line.startswith("#")]
    assert lines == ["http://a.example/", "http://b.example/"]


def test_unknown_format_is_400_naming_allowed_formats(client: Client, isp: MemberKey) -> None:
    response = client.get(URL, {"format": "xml"}, headers=isp.header)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]
    for allowed in ("json", "csv", "text"):
        assert allowed in body["message"]


def test_matching_if_none_match_returns_304(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    first = client.get(URL, headers=isp.header)
    etag = first["ETag"]
    assert etag
    second = client.get(URL, headers={**isp.header, "If-None-Match": etag})
    assert second.status_code == 304
    assert second.content == b""


def test_stale_etag_gets_the_new_list(client: Client, isp: MemberKey) -> None:
    add("http://a.example/")
    etag = client.get(URL, headers=isp.header)["ETag"]
    add("http://b.example/")
    response = client.get(URL, headers={**isp.header, "If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["count"] == 2


def test_each_download_is_audited_as_the_member(client: Client, isp: MemberKey) -> None:
    client.get(URL, headers=isp.header)
    client.get(URL, {"format": "csv"}, headers=isp.header)
    events = AuditEvent.objects.filter(action="urllist.feed_downloaded").order_by("seq")
    assert [e.actor for e in events] == [f"member:{isp.key.member_id}"] * 2
    assert [e.data["format"] for e in events] == ["json", "csv"]


def test_refused_download_is_not_audited(client: Client, db: None) -> None:
    client.get(URL)
    assert not AuditEvent.objects.filter(action="urllist.feed_downloaded").exists()


def test_openapi_document_describes_the_feed(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/urllist" in schema["paths"]
    schemes = schema["components"]["securitySchemes"].values()
    assert any(s.get("type") == "http" and s.get("scheme") == "bearer" for s in schemes)
