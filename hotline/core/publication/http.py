"""Serving a published list: what a request asks for, its ETag, `If-None-Match`, HEAD, the
streamed answer with the signed manifest in headers, and the OpenAPI text of it all.

Each list's API module authenticates the key, checks the format's licence (`authorise`) and
records the download; everything between the request and the bytes is here, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja.errors import HttpError

from hotline.core.publication.formats import AnyFormat, Registry
from hotline.core.publication.models import SnapshotBase
from hotline.core.publication.signing import public_key_pem
from hotline.core.publication.store import Publication, manifest_header


@dataclass(frozen=True)
class Asked:
    """The feed a request names, and its ETag, known before anything is rendered."""

    fmt: AnyFormat
    since: int | None
    version: int
    snapshot: SnapshotBase | None

    @property
    def etag(self) -> str:
        if self.since is not None:
            return f'"{self.since}-{self.version}-{self.fmt.name}"'
        return f'"{self.version}-{self.fmt.name}"'


@dataclass(frozen=True)
class Feed:
    """What one request asked for, with what it needs before the body: ETag and manifest."""

    fmt: AnyFormat
    version: int
    since: int | None
    etag: str
    manifest: bytes
    signature: str
    size: int
    body: Iterator[bytes] | None  # None until asked for


def _format(request: HttpRequest, registry: Registry) -> AnyFormat:
    name = request.GET.get("format", "json")
    fmt = registry.find(name)
    if fmt is None:
        raise HttpError(
            400,
            f"Unknown format '{name[:20]}'. Use one of: {', '.join(registry.accepted_names())}.",
        )
    return fmt


def _since(request: HttpRequest, fmt: AnyFormat, publication: Publication) -> int | None:
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
    latest = publication.current_version()
    if since > latest:
        raise HttpError(
            400,
            f"since={since} is newer than the list, whose latest version is {latest}. Send "
            "the version you hold; if you hold none, download the full list.",
        )
    return since


def ask(
    request: HttpRequest, publication: Publication, authorise: Callable[[AnyFormat], None]
) -> Asked:
    """What `request` asks of `publication`: an unknown format is a 400 first, then
    `authorise(fmt)` (raising for a key without the format's licence), then a bad `since`."""
    fmt = _format(request, publication.registry)
    authorise(fmt)
    since = _since(request, fmt, publication)
    if since is not None:
        return Asked(fmt, since, publication.current_version(), None)
    snapshot = publication.latest_snapshot(fmt)
    return Asked(fmt, None, snapshot.version if snapshot else 0, snapshot)


def not_modified(request: HttpRequest, asked: Asked) -> bool:
    """Whether the request's `If-None-Match` holds the ETag of what it asks for."""
    return request.headers.get("If-None-Match") == asked.etag


def feed(publication: Publication, asked: Asked, *, with_body: bool) -> Feed:
    fmt, since, version, snapshot = asked.fmt, asked.since, asked.version, asked.snapshot
    if snapshot is None:
        rendered = (
            publication.render_diff(fmt, since=since, version=version)
            if since is not None
            else publication.render_empty(fmt)
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
    return Feed(
        fmt,
        version,
        None,
        asked.etag,
        publication.snapshot_manifest(snapshot.pk),
        snapshot.signature,
        snapshot.size,
        publication.snapshot_chunks(snapshot.pk) if with_body else None,
    )


def _headers(response: HttpResponse | StreamingHttpResponse, answered: Feed) -> None:
    response["ETag"] = answered.etag
    response["X-Hotline-List-Version"] = str(answered.version)
    response["X-Hotline-Manifest"] = manifest_header(answered.manifest)
    response["X-Hotline-Signature"] = answered.signature
    response["Cache-Control"] = "private, no-cache"


def answer(
    request: HttpRequest, publication: Publication, asked: Asked, *, unchanged: bool
) -> HttpResponse | StreamingHttpResponse:
    """304 when `unchanged` (the caller computed `not_modified` to record the download first);
    else the headers, and for GET the body streamed, with its Content-Length."""
    if unchanged:
        response = HttpResponse(status=304)
        response["ETag"] = asked.etag
        response["X-Hotline-List-Version"] = str(asked.version)
        return response
    is_head = request.method == "HEAD"
    answered = feed(publication, asked, with_body=not is_head)
    streamed: HttpResponse | StreamingHttpResponse
    if answered.body is None:
        streamed = HttpResponse(content_type=answered.fmt.content_type)
    else:
        streamed = StreamingHttpResponse(answered.body, content_type=answered.fmt.content_type)
    _headers(streamed, answered)
    streamed["Content-Length"] = str(answered.size)
    return streamed


def manifest_answer(publication: Publication, asked: Asked) -> HttpResponse:
    """The manifest of what the feed answers now, its exact signed bytes, with the headers."""
    answered = feed(publication, asked, with_body=False)
    response = HttpResponse(answered.manifest, content_type="application/json")
    _headers(response, answered)
    return response


def public_key_answer() -> HttpResponse:
    """The public key every list's manifests are signed with: public, cacheable."""
    response = HttpResponse(public_key_pem(), content_type="application/x-pem-file")
    response["Cache-Control"] = "public, max-age=3600"
    return response


# The OpenAPI document ----------------------------------------------------------------------


def format_parameter(registry: Registry) -> dict[str, Any]:
    return {
        "name": "format",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": registry.accepted_names(), "default": "json"},
        "description": " ".join(f"`{f.name}`: {f.description}" for f in registry.formats.values()),
    }


SINCE_PARAMETER: dict[str, Any] = {
    "name": "since",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 0},
    "description": "A version you hold: answers the changes after it up to the latest, in "
    "order, instead of the full list.",
}


def feed_responses(
    registry: Registry,
    *,
    json_example: dict[str, Any],
    docs: str,
    bad_request: dict[str, Any],
    refusals: dict[int, dict[str, Any]],
) -> dict[int, dict[str, Any]]:
    """The responses of a feed: 200 in every content type (with a JSON schema and example),
    304, 400 (`bad_request`, with its example) and the key's refusals."""
    return {
        200: {
            "description": "The list (or the changes since `since`), streamed, in the format "
            "asked for; `ETag`, `X-Hotline-List-Version`, `X-Hotline-Manifest` and "
            f"`X-Hotline-Signature` headers ({docs}).",
            "content": {
                **{
                    fmt.content_type: {"schema": {"type": "string"}}
                    for fmt in registry.formats.values()
                    if fmt.content_type != "application/json"
                },
                "application/json": {"schema": {"type": "object"}, "example": json_example},
            },
        },
        304: {"description": "`If-None-Match` holds this ETag: nothing new, no body."},
        400: bad_request,
        **refusals,
    }
