"""`/api/v1/hashlist`: the hash list feeds for members licensed for it (`hashlist:read`), their
signed manifests, the public key (the URL list's: one key signs every list).

Served by the publication machinery the URL list uses (hotline/core/publication/http.py): the
full feed is the latest published snapshot, streamed as stored; `?since=V` the changes after
version V up to now, rendered on request; both with the signed manifest in headers. Only a
member key with the hash-list licence gets any of it: staff, partners and keys licensed for the
URL list only are refused.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router

from hotline.core.publication import http
from hotline.core.publication.formats import AnyFormat
from hotline.hashlist.formats import REGISTRY
from hotline.hashlist.snapshots import HASH_LIST
from hotline.members.actions import record_download
from hotline.members.auth import MemberKeyAuth
from hotline.members.keys import require_scope
from hotline.members.models import ApiKey
from hotline.members.openapi import KEY_REFUSALS, error_response

router = Router(tags=["Hash list"])

FEED_AUTH = MemberKeyAuth(*REGISTRY.scopes())
FORMAT_PARAMETER = http.format_parameter(REGISTRY)

_JSON_EXAMPLE = {
    "version": 17,
    "published_at": "2026-11-26T06:00:00+00:00",
    "count": 2,
    "entries": [
        {
            "signal_type": "pdq",
            "hash": "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
            "category": "A",
            "added_at": "2026-11-25T14:03:11+00:00",
            "added_in_version": 12,
        },
        {
            "signal_type": "md5",
            "hash": "0cc175b9c0f1b6a831c399e269772661",
            "category": "B",
            "added_at": "2026-11-25T14:03:11+00:00",
            "added_in_version": 12,
        },
    ],
}
FEED_RESPONSES = http.feed_responses(
    REGISTRY,
    json_example=_JSON_EXAMPLE,
    docs="docs/hashlist.md",
    bad_request=error_response(
        "Unknown format, or a `since` that is not a version of the list.",
        "bad_request",
        "since=99 is newer than the list, whose latest version is 17. Send the version you "
        "hold; if you hold none, download the full list.",
    ),
    refusals=KEY_REFUSALS
    | {
        403: error_response(
            "The key holds no licence for the hash list (`hashlist:read`), or the membership "
            "is suspended.",
            "scope",
            "This API key does not allow 'hashlist:read'. Ask the hotline to extend it.",
        )
    },
)


def _asked(request: HttpRequest) -> http.Asked:
    def authorise(fmt: AnyFormat) -> None:
        require_scope(request.auth, *fmt.scopes)  # type: ignore[attr-defined]

    return http.ask(request, HASH_LIST, authorise)


@router.api_operation(
    ["GET", "HEAD"],
    "/hashlist",
    auth=FEED_AUTH,
    summary="Download the hash list, or its changes since a version",
    openapi_extra={
        "parameters": [FORMAT_PARAMETER, http.SINCE_PARAMETER],
        "responses": FEED_RESPONSES,
    },
)
def hash_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """The latest published hash list (`ETag` `"<version>-<format>"`), or with `since` the
    changes after that version up to now (`ETag` `"<since>-<to>-<format>"`). Send
    `If-None-Match` to get 304. `X-Hotline-Manifest` (base64) and `X-Hotline-Signature`
    (Ed25519, base64) let you check the body: see docs/hashlist.md. Needs `hashlist:read`."""
    asked = _asked(request)
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    unchanged = http.not_modified(request, asked)
    record_download(
        key=key,
        feed="hashlist",
        feed_format=asked.fmt.name,
        version=asked.version,
        since=asked.since,
        not_modified=unchanged,
    )
    return http.answer(request, HASH_LIST, asked, unchanged=unchanged)


@router.get(
    "/hashlist/manifest",
    auth=FEED_AUTH,
    summary="The signed manifest of a hash list feed",
    openapi_extra={
        "parameters": [FORMAT_PARAMETER, http.SINCE_PARAMETER],
        "responses": FEED_RESPONSES
        | {
            200: {
                "description": "The manifest, exactly the bytes the signature covers.",
                "content": {
                    "application/json": {
                        "schema": {"type": "object"},
                        "example": {
                            "count": 2,
                            "format": "json",
                            "published_at": "2026-11-26T06:00:00+00:00",
                            "sha256": "9f86d081884c7d659a2feaa0c55ad015"
                            "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                            "size": 412,
                            "version": 17,
                        },
                    }
                },
            }
        },
    },
)
def hash_list_manifest(request: HttpRequest) -> HttpResponse:
    """The manifest of what `GET /hashlist` with the same parameters answers now: its exact
    bytes are what `X-Hotline-Signature` signs (verify with openssl, docs/hashlist.md)."""
    return http.manifest_answer(HASH_LIST, _asked(request))


@router.get(
    "/hashlist/public-key",
    auth=None,
    summary="The public key the hash list manifests are signed with (the URL list's)",
    openapi_extra={
        "responses": {
            200: {
                "description": "Ed25519 public key, PEM (SubjectPublicKeyInfo): the same key "
                "as /api/v1/urllist/public-key.",
                "content": {
                    "application/x-pem-file": {
                        "schema": {"type": "string"},
                        "example": "-----BEGIN PUBLIC KEY-----\n"
                        "MCowBQYDK2VwAyEA...\n-----END PUBLIC KEY-----\n",
                    }
                },
            }
        }
    },
)
def hash_list_public_key(request: HttpRequest) -> HttpResponse:
    """Public: anyone may check a signature. Compare it with the key the hotline gave you."""
    return http.public_key_answer()


__all__ = ["router"]
