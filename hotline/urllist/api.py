"""`/api/v1/urllist`: the URL list feeds for members, their signed manifests, the public key.

The full feed is the latest published snapshot, streamed as stored; `?since=V` is the changes
after version V up to now, rendered on request. Both carry the signed manifest in headers.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router, Schema
from ninja.responses import Status

from hotline.core.canonical import NotAWebAddress, canonicalise_url
from hotline.core.publication import http
from hotline.core.publication.formats import AnyFormat
from hotline.members.actions import record_download
from hotline.members.auth import MemberKeyAuth
from hotline.members.keys import require_scope
from hotline.members.models import ApiKey, Scope
from hotline.members.openapi import KEY_REFUSALS, error_response
from hotline.urllist.formats import REGISTRY
from hotline.urllist.lookup import check_canonical
from hotline.urllist.snapshots import URL_LIST

router = Router(tags=["URL list"])

# Any licence for one of the formats gets a key past authentication; the format asked for then
# needs its own (a hashed-list licensee may not download the URLs themselves).
FEED_AUTH = MemberKeyAuth(*REGISTRY.scopes())

FORMAT_PARAMETER = http.format_parameter(REGISTRY)
SINCE_PARAMETER = http.SINCE_PARAMETER


def _asked(request: HttpRequest) -> http.Asked:
    def authorise(fmt: AnyFormat) -> None:
        require_scope(request.auth, *fmt.scopes)  # type: ignore[attr-defined]

    return http.ask(request, URL_LIST, authorise)


_JSON_EXAMPLE = {
    "version": 42,
    "published_at": "2026-11-26T06:00:00+00:00",
    "count": 1,
    "entries": [
        {
            "url": "http://listed.example/gallery/",
            "category": "B",
            "kind": "url",
            "added_at": "2026-11-25T14:03:11+00:00",
            "added_in_version": 40,
        }
    ],
}
FEED_RESPONSES = http.feed_responses(
    REGISTRY,
    json_example=_JSON_EXAMPLE,
    docs="docs/urllist.md",
    bad_request=error_response(
        "Unknown format, or a `since` that is not a version of the list.",
        "bad_request",
        "since=99 is newer than the list, whose latest version is 42. Send the version you "
        "hold; if you hold none, download the full list.",
    ),
    refusals=KEY_REFUSALS,
)


@router.api_operation(
    ["GET", "HEAD"],
    "/urllist",
    auth=FEED_AUTH,
    summary="Download the URL list, or its changes since a version",
    openapi_extra={
        "parameters": [FORMAT_PARAMETER, SINCE_PARAMETER],
        "responses": FEED_RESPONSES,
    },
)
def url_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The latest published list (`ETag` `"<version>-<format>"`), or with `since` the changes
    after that version up to now (`ETag` `"<since>-<to>-<format>"`). Send `If-None-Match` to
    get 304. `X-Hotline-Manifest` (base64) and `X-Hotline-Signature` (Ed25519, base64) let you
    check the body: see docs/urllist.md."""
    asked = _asked(request)
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    unchanged = http.not_modified(request, asked)
    record_download(
        key=key,
        feed="urllist",
        feed_format=asked.fmt.name,
        version=asked.version,
        since=asked.since,
        not_modified=unchanged,
    )
    return http.answer(request, URL_LIST, asked, unchanged=unchanged)


@router.get(
    "/urllist/manifest",
    auth=FEED_AUTH,
    summary="The signed manifest of a feed",
    openapi_extra={
        "parameters": [FORMAT_PARAMETER, SINCE_PARAMETER],
        "responses": FEED_RESPONSES
        | {200: {"description": "The manifest, exactly the bytes the signature covers."}},
    },
)
def url_list_manifest(request: HttpRequest) -> HttpResponse:
    """The manifest of what `GET /urllist` with the same parameters answers now: its exact
    bytes are what `X-Hotline-Signature` signs (verify with openssl, docs/urllist.md)."""
    return http.manifest_answer(URL_LIST, _asked(request))


@router.get(
    "/urllist/public-key",
    auth=None,
    summary="The public key the URL list manifests are signed with",
    openapi_extra={
        "responses": {200: {"description": "Ed25519 public key, PEM (SubjectPublicKeyInfo)."}}
    },
)
def url_list_public_key(request: HttpRequest) -> HttpResponse:
    """Public: anyone may check a signature. Compare it with the key the hotline gave you."""
    return http.public_key_answer()


class CheckEntryOut(Schema):
    id: int
    category: str
    kind: str
    domain: str | None = None


class CheckOut(Schema):
    listed: bool
    canonical_url: str
    entry: CheckEntryOut | None = None


class CheckErrorOut(Schema):
    error: str
    message: str


CHECK_EXAMPLE = {
    "listed": True,
    "canonical_url": "http://www.abuse.example/gallery/1",
    "entry": {"id": 1234, "category": "A", "kind": "domain", "domain": "abuse.example"},
}


@router.get(
    "/urllist/check",
    auth=MemberKeyAuth(Scope.MATCH_READ, Scope.URLLIST_READ),
    summary="Is an address on the URL list?",
    response={200: CheckOut, 400: CheckErrorOut},
    openapi_extra={
        "parameters": [
            {
                "name": "url",
                "in": "query",
                "required": True,
                "schema": {"type": "string", "maxLength": 2048},
                "description": "The address to check (http or https), in any spelling: it is "
                "canonicalised as the list is.",
                "example": "http://www.abuse.example/gallery/1",
            }
        ],
        "responses": {
            200: {
                "description": "Listed or not, with the canonical form of the address and the "
                "entry that lists it: a URL entry, or a domain entry (`domain`) for the "
                "address's host or a domain above it.",
                "content": {"application/json": {"example": CHECK_EXAMPLE}},
            },
            400: {"description": "No `url`, or a text that is not an http(s) address."},
            **KEY_REFUSALS,
            403: error_response(
                "The key holds neither `match:read` nor `urllist:read`.",
                "scope",
                "This API key does not allow 'match:read' or 'urllist:read'. Ask the hotline "
                "to extend it.",
            ),
        },
    },
)
def url_list_check(request: HttpRequest) -> Status[dict[str, object]]:
    """Whether an address is on the URL list now: `listed`, the `canonical_url` it was looked up
    as, and the `entry` (its `id`, `category`, `kind` `url` or `domain`, and for a domain entry
    the listed `domain`), or `entry` null. URL entries match their address only; a domain entry
    matches its domain and every subdomain. Needs `match:read` or `urllist:read`."""
    text = request.GET.get("url", "")
    if not text.strip():
        return Status(
            400,
            {
                "error": "bad_request",
                "message": "Give the address to check as ?url=... (URL-encoded), e.g. "
                "?url=http%3A%2F%2Fsite.example%2Fpage.",
            },
        )
    try:
        canonical = canonicalise_url(text)
    except NotAWebAddress as refused:
        return Status(
            400,
            {
                "error": "bad_request",
                "message": f"url is not a web address: {refused}. Send an http or https address.",
            },
        )
    match = check_canonical(canonical)
    entry = None
    if match is not None:
        entry = {
            "id": match.entry_id,
            "category": match.category,
            "kind": match.kind,
            "domain": match.domain or None,
        }
    return Status(200, {"listed": match is not None, "canonical_url": canonical, "entry": entry})
