"""`POST /api/v1/reports`: reports from trusted partners (hotlines, NGOs, platforms)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from hotline.audit.actions import member_actor
from hotline.core.canonical import NotAWebAddress, canonicalise_url
from hotline.intake.actions import (
    IdempotencyConflict,
    attach_report_to_cases,
    file_report,
    file_report_once,
)
from hotline.intake.models import ContentSeen, FoundOn
from hotline.members.auth import MemberKeyAuth
from hotline.members.models import ApiKey, Scope
from hotline.members.openapi import KEY_REFUSALS
from hotline.portals.models import Portal, PortalStatus

MAX_API_URLS = 1000

router = Router(tags=["Reports"])


# Text without NUL characters: PostgreSQL cannot store them (nor compare with them), so one
# would otherwise end in a 500 instead of a 422 that names the field.
NO_NUL = r"^[^\x00]*$"


class ReportIn(Schema):
    portal: str = Field(
        max_length=16, pattern=NO_NUL, description="The portal's code, e.g. 'tn'.", examples=["tn"]
    )
    urls: list[str] = Field(
        min_length=1,
        max_length=MAX_API_URLS,
        description=f"1 to {MAX_API_URLS} web addresses (http or https).",
        examples=[["http://gallery.example/album/1"]],
    )
    content_seen: list[ContentSeen] = Field(default_factory=list)
    found_on: FoundOn | None = None
    description: str = Field(default="", max_length=2000, pattern=NO_NUL)
    external_reference: str = Field(
        default="",
        max_length=100,
        pattern=NO_NUL,
        description="Your own reference for this report.",
    )


class ItemOut(Schema):
    url: str
    canonical_url: str
    case_id: int
    is_onion: bool


class ReportOut(Schema):
    reference: str
    items: list[ItemOut]


class ErrorOut(Schema):
    error: str
    message: str
    details: list[dict[str, object]] | None = None


@router.post(
    "/reports",
    auth=MemberKeyAuth(Scope.REPORTS_WRITE),
    summary="File a report",
    response={200: ReportOut, 201: ReportOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    openapi_extra={
        "responses": KEY_REFUSALS,
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 200},
                "description": "Any unique string; a retry with the same key and body files "
                "nothing new and answers the first report (200).",
            }
        ],
    },
)
def file_partner_report(request: HttpRequest, body: ReportIn) -> Status[dict[str, object]]:
    """File a report on a portal: 201 with its reference and one case per address.

    Every address is checked; if any is not a web address, nothing is filed and the answer
    (400) names each wrong one by its position. Reports from partners are audited under the
    member's name.
    """
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    portal = Portal.objects.filter(code=body.portal, status=PortalStatus.LIVE).first()
    if portal is None:
        raise HttpError(404, f"No live portal has the code '{body.portal[:20]}'.")
    urls, problems = [], []
    seen: set[str] = set()
    for index, url in enumerate(body.urls):
        try:
            canonical = canonicalise_url(url)
        except NotAWebAddress as exc:
            problems.append({"index": index, "url": url[:200], "reason": str(exc)})
            continue
        if canonical not in seen:
            seen.add(canonical)
            urls.append((url, canonical))
    if problems:
        return Status(
            400,
            {
                "error": "invalid_urls",
                "message": f"{len(problems)} of the addresses are not web addresses; nothing was "
                "filed. Fix or remove them and send the report again.",
                "details": problems[:100],
            },
        )
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()[:200]
    report: dict[str, Any] = {
        "portal": portal,
        "language": portal.default_language,
        "urls": urls,
        "description": body.description,
        "content_seen": [c.value for c in body.content_seen],
        "found_on": body.found_on.value if body.found_on else "",
        "external_reference": body.external_reference,
        "actor": member_actor(key.member),
        # A partner's key vouches for its reports as a proof of work does for a browser's.
        "verified": True,
    }
    if not idempotency_key:
        filed, created = file_report(member_id=key.member_id, **report), True
    else:
        digest = hashlib.sha256(json.dumps(body.dict(), sort_keys=True).encode()).hexdigest()
        try:
            filed, created = file_report_once(
                member_id=key.member_id,
                idempotency_key=idempotency_key,
                request_sha256=digest,
                **report,
            )
        except IdempotencyConflict:
            return Status(
                409,
                {
                    "error": "idempotency_key_reused",
                    "message": "This Idempotency-Key was used for a different report. "
                    "Use a new key.",
                },
            )
    # Partners are told each URL's case now, so the items are attached in this request (in
    # its own transaction, after the report's commit); the queued task then finds them done.
    attach_report_to_cases(report_id=filed.report.pk)
    items = filed.report.items.order_by("position")
    return Status(
        201 if created else 200,
        {
            "reference": filed.report.reference,
            "items": [
                {
                    "url": item.reported_url,
                    "canonical_url": item.canonical_url,
                    "case_id": item.case_id,
                    "is_onion": item.is_onion,
                }
                for item in items
            ],
        },
    )
