"""The URL list feed: what members download, in the formats they consume."""

from __future__ import annotations

import csv
import io

from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.core.classification import Category
from hotline.urllist.actions import add_to_url_list
from hotline.urllist.models import UrlListEntry
from tests.conftest import MemberKey


def add(url: str, category: Category = Category.B) -> UrlListEntry:
    return add_to_url_list(url=url, category=category, case_id=None, actor="system")


def test_empty_list(client: Client, isp: MemberKey) -> None:
    body = client.get("/api/v1/urllist", headers=isp.header).json()
    assert body["version"] == 0 and body["count"] == 0 and body["entries"] == []


def test_each_addition_publishes_a_version(client: Client, isp: MemberKey) -> None:
    add("http://one.example/")
    add("http://two.example/", Category.A)
    body = client.get("/api/v1/urllist?format=json", headers=isp.header).json()
    assert body["version"] == 2 and body["count"] == 2
    assert [(e["url"], e["category"], e["added_in_version"]) for e in body["entries"]] == [
        ("http://one.example/", "B", 1),
        ("http://two.example/", "A", 2),
    ]


def test_the_same_url_is_listed_once_and_recategorised(db: None) -> None:
    first = add("http://one.example/", Category.C)
    again = add("http://one.example/", Category.A)
    assert first.pk == again.pk and UrlListEntry.objects.get().category == "A"
    event = AuditEvent.objects.get(action="urllist.entry_recategorised")
    assert event.data == {"from": "C", "to": "A"}


def test_csv_format(client: Client, isp: MemberKey) -> None:
    add("http://one.example/a,b")
    response = client.get("/api/v1/urllist?format=csv", headers=isp.header)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["url", "category", "added_at", "added_in_version"]
    assert rows[1][0] == "http://one.example/a,b" and rows[1][1] == "B" and rows[1][3] == "1"


def test_text_format(client: Client, isp: MemberKey) -> None:
    add("http://one.example/")
    add("http://two.example/")
    response = client.get("/api/v1/urllist?format=text", headers=isp.header)
    assert response["X-Hotline-List-Version"] == "2"
    assert response.content.decode().splitlines()[1:] == [
        "http://one.example/",
        "http://two.example/",
    ]


def test_unknown_format_names_the_allowed_ones(client: Client, isp: MemberKey) -> None:
    response = client.get("/api/v1/urllist?format=xml", headers=isp.header)
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "message": "Unknown format 'xml'. Use one of: json, csv, text.",
    }


def test_unchanged_list_answers_304(client: Client, isp: MemberKey) -> None:
    add("http://one.example/")
    first = client.get("/api/v1/urllist", headers=isp.header)
    again = client.get("/api/v1/urllist", headers={**isp.header, "If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again.content == b""
    add("http://two.example/")
    changed = client.get("/api/v1/urllist", headers={**isp.header, "If-None-Match": first["ETag"]})
    assert changed.status_code == 200


def test_every_download_is_audited_with_the_member(client: Client, isp: MemberKey) -> None:
    add("http://one.example/")
    client.get("/api/v1/urllist?format=csv", headers=isp.header)
    event = AuditEvent.objects.get(action="urllist.feed_downloaded")
    assert event.actor == f"member:{isp.key.member.pk}"
    assert event.data == {"format": "csv", "version": 1, "entries": 1}


def test_openapi_document_describes_the_feed(client: Client, db: None) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/urllist"]["get"]
    assert operation["parameters"][0]["schema"]["enum"] == ["json", "csv", "text"]
    schemes = schema["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
