"""`/api/v1/urllist`: the URL list feeds for members, their signed manifests, the public key.

The full feed is the latest published snapshot, streamed as stored; `?since=V` is the changes
after version V up to now, rendered on request. Both carry the signed manifest in headers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from hotline.core.canonical import NotAWebAddress, canonicalise_url
from hotline.members.actions import record_download
from hotline.members.auth import MemberKeyAuth
from hotline.members.keys import require_scope
from hotline.members.models import ApiKey, Scope
from hotline.members.openapi import KEY_REFUSALS, error_response
from hotline.urllist.formats import FORMATS, FeedFormat, accepted_names, find_format
from hotline.urllist.lookup import check_canonical
from hotline.urllist.models import UrlListSnapshot
from hotline.urllist.signing import public_key_pem
from hotline.urllist.snapshots import (
    current_version,
    latest_snapshot,
    manifest_header,
    render_diff,
    render_empty,
    snapshot_chunks,
)

router = Router(tags=["URL list"])

# Any licence for one of the formats gets a key past authentication; the format asked for then
# needs its own (a hashed-list licensee may not download the URLs themselves).
FEED_AUTH = MemberKeyAuth(*dict.fromkeys(s for f in FORMATS.values() for s in f.scopes))

FORMAT_PARAMETER = {
    "name": "format",
    "in": "query",
    "required": False,
    "schema": {"type": "string", "enum": accepted_names(), "default": "json"},
    "description": " ".join(f"`{f.name}`: {f.description}" for f in FORMATS.values()),
}
SINCE_PARAMETER = {
    "name": "since",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0},
    "description": "A version you hold: answers the changes after it up to the latest, in "
    "order, instead of the full list.",
}


@dataclass(frozen=True)
class Feed:
    """What one request asked for, with what it needs before the body: ETag and manifest."""

    fmt: FeedFormat
    version: int
    since: int | None
    etag: str
    manifest: bytes
    signature: str
    size: int
    body: Iterator[bytes] | None  # None until asked for


def _format(request: HttpRequest) -> FeedFormat:
    name = request.GET.get("format", "json")
    fmt = find_format(name)
    if fmt is None:
        raise HttpError(
            400, f"Unknown format '{name[:20]}'. Use one of: {', '.join(accepted_names())}."
        )
    return fmt


def _since(request: HttpRequest, fmt: FeedFormat) -> int | None:
    raw = request.GET.get("since")
    if raw is None:
        return None
    if fmt.render_diff is None:
        raise HttpError(400, f"The {fmt.name} format has no changes feed; download it whole.")
    if not raw.isdigit():
        raise HttpError(
            400,
            f"since={raw[:20]!r} is not a version number. Send the version you hold (the "
            "X-Hotline-List-Version of your last download, 0 for none).",
        )
    since = int(raw)
    latest = current_version()
    if since > latest:
        raise HttpError(
            400,
            f"since={since} is newer than the list, whose latest version is {latest}. Send "
            "the version you hold; if you hold none, download the full list.",
        )
    return since


@dataclass(frozen=True)
class Asked:
    """The feed a request names, and its ETag, known before anything is rendered."""

    fmt: FeedFormat
    since: int | None
    version: int
    snapshot: UrlListSnapshot | None

    @property
    def etag(self) -> str:
        if self.since is not None:
            return f'"{self.since}-{self.version}-{self.fmt.name}"'
        return f'"{self.version}-{self.fmt.name}"'


def _asked(request: HttpRequest) -> Asked:
    fmt = _format(request)
    require_scope(request.auth, *fmt.scopes)  # type: ignore[attr-defined]
    since = _since(request, fmt)
    if since is not None:
        return Asked(fmt, since, current_version(), None)
    snapshot = latest_snapshot(fmt)
    return Asked(fmt, None, snapshot.version if snapshot else 0, snapshot)


def _feed(asked: Asked, *, with_body: bool) -> Feed:
    fmt, since, version, snapshot = asked.fmt, asked.since, asked.version, asked.snapshot
    if snapshot is None:
        rendered = (
            render_diff(fmt, since=since, version=version)
            if since is not None
            else render_empty(fmt)
        )
        body = rendered.pieces()
        if not with_body:
            for _ in body:  # closes the temporary file
                pass
        return Feed(
            fmt,
            version,
            since,
            asked.etag,
            rendered.manifest,
            rendered.signature,
            rendered.size,
            body if with_body else None,
        )
    manifest = UrlListSnapshot.objects.filter(pk=snapshot.pk).values_list("manifest", flat=True)
    return Feed(
        fmt,
        version,
        None,
        asked.etag,
        bytes(manifest.get()),
        snapshot.signature,
        snapshot.size,
        snapshot_chunks(snapshot.pk) if with_body else None,
    )


def _headers(response: HttpResponse | StreamingHttpResponse, feed: Feed) -> None:
    response["ETag"] = feed.etag
    response["X-Hotline-List-Version"] = str(feed.version)
    response["X-Hotline-Manifest"] = manifest_header(feed.manifest)
    response["X-Hotline-Signature"] = feed.signature
    response["Cache-Control"] = "private, no-cache"


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
FEED_RESPONSES: dict[int, dict[str, object]] = {
    200: {
        "description": "The list (or the changes since `since`), streamed, in the format asked "
        "for; `ETag`, `X-Hotline-List-Version`, `X-Hotline-Manifest` and `X-Hotline-Signature` "
        "headers (docs/urllist.md).",
        "content": {
            **{
                fmt.content_type: {"schema": {"type": "string"}}
                for fmt in FORMATS.values()
                if fmt.content_type != "application/json"
            },
            "application/json": {"schema": {"type": "object"}, "example": _JSON_EXAMPLE},
        },
    },
    304: {"description": "`If-None-Match` holds this ETag: nothing new, no body."},
    400: error_response(
        "Unknown format, or a `since` that is not a version of the list.",
        "bad_request",
        "since=99 is newer than the list, whose latest version is 42. Send the version you "
        "hold; if you hold none, download the full list.",
    ),
    **KEY_REFUSALS,
}


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
    not_modified = request.headers.get("If-None-Match") == asked.etag
    record_download(
        key=key,
        feed="urllist",
        feed_format=asked.fmt.name,
        version=asked.version,
        since=asked.since,
        not_modified=not_modified,
    )
    if not_modified:
        response = HttpResponse(status=304)
        response["ETag"] = asked.etag
        response["X-Hotline-List-Version"] = str(asked.version)
        return response
    is_head = request.method == "HEAD"
    feed = _feed(asked, with_body=not is_head)
    streamed: HttpResponse | StreamingHttpResponse
    if feed.body is None:
        streamed = HttpResponse(content_type=feed.fmt.content_type)
    else:
        streamed = StreamingHttpResponse(feed.body, content_type=feed.fmt.content_type)
    _headers(streamed, feed)
    streamed["Content-Length"] = str(feed.size)
    return streamed


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
    feed = _feed(_asked(request), with_body=False)
    response = HttpResponse(feed.manifest, content_type="application/json")
    _headers(response, feed)
    return response


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
    response = HttpResponse(public_key_pem(), content_type="application/x-pem-file")
    response["Cache-Control"] = "public, max-age=3600"
    return response


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
