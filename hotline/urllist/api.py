"""`/api/v1/urllist`: the URL list feed for members."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router
from ninja.errors import HttpError

from hotline.audit.actions import member_actor
from hotline.members.auth import MemberKeyAuth
from hotline.members.models import ApiKey, Scope
from hotline.urllist.actions import record_feed_download
from hotline.urllist.feeds import (
    CONTENT_TYPES,
    FEED_FORMATS,
    current_feed,
    render_feed,
)

router = Router(tags=["URL list"])


@router.get(
    "/urllist",
    auth=MemberKeyAuth(Scope.URLLIST_READ),
    summary="Download the URL list",
    response={200: None},
    openapi_extra={
        "parameters": [
            {
                "name": "format",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": list(FEED_FORMATS), "default": "json"},
                "description": "json (default), csv, or text (one URL a line).",
            }
        ],
        "responses": {
            "200": {"description": "The current list, with its version."},
            "400": {"description": "Unknown format."},
            "401": {"description": "No key, or a wrong, revoked or expired one."},
            "403": {"description": "The key does not allow this."},
        },
    },
)
def url_list(request: HttpRequest) -> HttpResponse:
    """The current URL list. `ETag` is the list version: send `If-None-Match` to get 304."""
    feed_format = request.GET.get("format", "json")
    if feed_format not in FEED_FORMATS:
        raise HttpError(
            400, f"Unknown format '{feed_format[:20]}'. Use one of: {', '.join(FEED_FORMATS)}."
        )
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    feed = current_feed()
    etag = f'"v{feed.version}-{feed_format}"'
    record_feed_download(
        actor=member_actor(key.member),
        feed_format=feed_format,
        version=feed.version,
        entries=len(feed.entries),
    )
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(
            render_feed(feed, feed_format), content_type=CONTENT_TYPES[feed_format]
        )
    response["ETag"] = etag
    response["X-Hotline-List-Version"] = str(feed.version)
    response["Cache-Control"] = "private, no-store"
    return response
