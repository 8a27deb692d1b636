"""`POST /api/v1/reports`: trusted partners file reports with an API key, safely retried."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from django.test import Client

from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.intake.models import Report
from hotline.members.actions import create_member, issue_api_key
from hotline.members.models import MemberKind, Scope
from hotline.portals.models import Portal
from tests.conftest import MemberKey


@pytest.fixture
def partner(db: None) -> MemberKey:
    member = create_member(name="Example Hotline", kind=MemberKind.HOTLINE, country="MA")
    # A partner filing in bulk (and the fuzz test's hundreds of requests) gets a high limit.
    key, plaintext = issue_api_key(
        member=member, scopes=[Scope.REPORTS_WRITE], requests_per_minute=100_000
    )
    return MemberKey(key, plaintext)


def post(client: Client, key: MemberKey, body: Mapping[str, object], **headers: str) -> Any:
    return client.post(
        "/api/v1/reports",
        json.dumps(body),
        content_type="application/json",
        headers={**key.header, **headers},
    )


def test_a_partner_files_a_report_and_gets_a_case_per_address(
    client: Client, tn: Portal, partner: MemberKey
) -> None:
    response = post(
        client,
        partner,
        {
            "portal": "tn",
            "urls": ["HTTP://Gallery.example/a", "http://gallery.example/a#x", "b.example/c"],
            "content_seen": ["images"],
            "found_on": "file_sharing",
            "external_reference": "MA-HOTLINE-2026-0042",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("TN-")
    assert [item["canonical_url"] for item in body["items"]] == [
        "http://gallery.example/a",
        "http://b.example/c",
    ]
    assert {item["case_id"] for item in body["items"]} == set(
        Case.objects.values_list("pk", flat=True)
    )
    report = Report.objects.get()
    assert report.verified is True  # a partner's key vouches for it: first in the queue
    assert all(case.has_verified_report for case in Case.objects.all())
    assert report.external_reference == "MA-HOTLINE-2026-0042"
    assert report.member_id == partner.key.member_id and report.language == "ar"
    event = AuditEvent.objects.get(action="intake.report_filed")
    assert event.actor == f"member:{partner.key.member_id}"


def test_a_retry_with_the_same_idempotency_key_files_nothing_new(
    client: Client, tn: Portal, partner: MemberKey
) -> None:
    body = {"portal": "tn", "urls": ["http://one.example/"]}
    first = post(client, partner, body, **{"Idempotency-Key": "abc-123"})
    again = post(client, partner, body, **{"Idempotency-Key": "abc-123"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json() == again.json()
    assert Report.objects.count() == 1
    other = post(
        client, partner, {**body, "urls": ["http://two.example/"]}, **{"Idempotency-Key": "abc-123"}
    )
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (
            {"portal": "tn", "urls": ["javascript:alert(1)", "http://ok.example/"]},
            400,
            "invalid_urls",
        ),
        ({"portal": "zz", "urls": ["http://ok.example/"]}, 404, "bad_request"),
        ({"portal": "tn", "urls": []}, 422, "invalid"),
        ({"portal": "tn", "urls": ["http://a.example/"] * 1001}, 422, "invalid"),
        ({"portal": "tn", "urls": ["http://ok.example/"], "found_on": "moon"}, 422, "invalid"),
        ({"urls": ["http://ok.example/"]}, 422, "invalid"),
    ],
)
def test_bad_requests_get_a_clear_error_and_file_nothing(
    client: Client, tn: Portal, partner: MemberKey, body: dict[str, object], status: int, error: str
) -> None:
    response = post(client, partner, body)
    assert response.status_code == status, response.content
    assert response.json()["error"] == error and response.json()["message"]
    assert not Report.objects.exists()


def test_the_bad_address_is_named_by_its_position(
    client: Client, tn: Portal, partner: MemberKey
) -> None:
    response = post(client, partner, {"portal": "tn", "urls": ["http://ok.example/", "data:x"]})
    details = response.json()["details"]
    assert [(d["index"], d["url"]) for d in details] == [(1, "data:x")]


def test_only_a_key_with_the_reports_scope_may_file(
    client: Client, tn: Portal, isp: MemberKey
) -> None:
    response = post(client, isp, {"portal": "tn", "urls": ["http://ok.example/"]})
    assert response.status_code == 403
    anonymous = client.post("/api/v1/reports", "{}", content_type="application/json")
    assert anonymous.status_code == 401
    assert not Report.objects.exists()


def test_the_openapi_document_describes_the_report_api(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/reports"]["post"]
    assert {"201", "400", "404", "409"} <= set(operation["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])


@pytest.mark.parametrize("field", ["portal", "description", "external_reference"])
def test_a_nul_character_is_refused_by_name_not_a_server_error(
    client: Client, tn: Portal, partner: MemberKey, field: str
) -> None:
    body = {"portal": "tn", "urls": ["http://one.example/"], field: "t\x00n"}
    response = post(client, partner, body)
    assert response.status_code == 422, response.content
    assert field in json.dumps(response.json()["details"])
    assert not Report.objects.exists()
