"""Schemathesis against the OpenAPI document: whatever a partner sends to the report API,
the answer is a report or a 4xx with a message, never a 500 and never a half-written report."""

from __future__ import annotations

import json

import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NOT_SET

from hotline.intake.models import Report, ReportItem
from hotline.portals.models import Portal
from tests.conftest import MemberKey
from tests.intake.test_report_api import partner  # noqa: F401  (the partner's key fixture)


def test_the_report_api_answers_any_request_cleanly(
    client: Client,
    tn: Portal,
    partner: MemberKey,  # noqa: F811
) -> None:
    # The cases come from the served OpenAPI document; they are sent through Django's test
    # client, which keeps the test's database connection open between requests.
    schema = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json())
    operation = schema["/api/v1/reports"]["POST"]
    statuses: set[int] = set()

    @given(case=operation.as_strategy(), on_a_live_portal=st.booleans(), urls=st.booleans())
    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def any_request(case: schemathesis.Case, on_a_live_portal: bool, urls: bool) -> None:
        # Half the time aimed at a real portal, some with real addresses among the junk, so
        # the deeper paths (address checks, filing) are reached, not only "no such portal".
        if isinstance(case.body, dict) and on_a_live_portal:
            case.body["portal"] = "tn"
            if urls:
                case.body["urls"] = ["http://fuzz.example/a"]
        before = (Report.objects.count(), ReportItem.objects.count())
        response = client.post(
            "/api/v1/reports",
            "" if case.body is NOT_SET else json.dumps(case.body),
            content_type=case.media_type or "application/json",
            headers={**dict(case.headers or {}), **partner.header},
        )
        statuses.add(response.status_code)
        assert response.status_code < 500, response.content[:500]
        if response.status_code >= 400:
            body = response.json()
            assert body["error"] and body["message"], body
            assert (Report.objects.count(), ReportItem.objects.count()) == before

    any_request()
    # Refusals of both kinds were reached, and so was filing.
    assert {400, 404} <= statuses and statuses & {200, 201}, statuses
