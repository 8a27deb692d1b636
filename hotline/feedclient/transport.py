"""HTTP with the standard library: one GET, its status, headers and body, or a FeedClientError
whose message says what to do. Honours the usual http(s)_proxy / no_proxy variables."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlencode

from hotline.feedclient.errors import (
    EXIT_KEY,
    EXIT_NETWORK,
    EXIT_PROTOCOL,
    EXIT_RATE_LIMITED,
    FeedClientError,
)

USER_AGENT = "hotline-feed/1"
TIMEOUT = 60.0
BLOCK = 1 << 20


@dataclass(frozen=True)
class Response:
    status: int
    headers: Message
    body: bytes


def feed_url(base: str, **params: str | int) -> str:
    return f"{base.rstrip('/')}/api/v1/urllist?{urlencode(params)}"


def _detail(error: urllib.error.HTTPError) -> str:
    """The server's own message ({"detail": ...}), short, if it sent one."""
    try:
        raw = error.read(4096)
        detail = json.loads(raw).get("detail", "")
    except (OSError, ValueError, AttributeError):
        return ""
    return f" The hotline said: {str(detail)[:300]}" if detail else ""


def get(url: str, *, key: str, etag: str | None = None, timeout: float = TIMEOUT) -> Response:
    """GET `url` with the member key; a 304 is a Response, any other non-2xx an error."""
    headers = {
        "Authorization": f"Bearer {key}",
        "Accept-Encoding": "identity",
        "User-Agent": USER_AGENT,
    }
    if etag:
        headers["If-None-Match"] = etag
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http(s) checked)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            chunks = []
            while block := answer.read(BLOCK):
                chunks.append(block)
            return Response(answer.status, answer.headers, b"".join(chunks))
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return Response(304, error.headers, b"")
        raise _http_error(url, error) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise FeedClientError(
            EXIT_NETWORK,
            f"could not reach {url.split('?')[0]}: {reason}. Check the --url, DNS, the "
            "firewall and any http(s)_proxy setting; the local copy is unchanged.",
        ) from None


def _http_error(url: str, error: urllib.error.HTTPError) -> FeedClientError:
    code = error.code
    detail = _detail(error)
    if code == 401:
        return FeedClientError(
            EXIT_KEY,
            "the hotline refused the key (401): it is wrong, revoked or expired. Check the "
            f"--key-file, or ask the hotline for a new key.{detail}",
        )
    if code == 403:
        return FeedClientError(
            EXIT_KEY,
            "the key has no licence for the URL list (403): ask the hotline to add the "
            f"urllist:read scope to your key.{detail}",
        )
    if code == 429:
        after = error.headers.get("Retry-After", "")
        when = f"after {after} seconds" if after.isdigit() else "later"
        return FeedClientError(
            EXIT_RATE_LIMITED,
            f"the key's request limit is used up (429): try again {when}, and sync less "
            f"often (every 5 to 15 minutes is plenty).{detail}",
        )
    if code >= 500:
        return FeedClientError(
            EXIT_NETWORK,
            f"the hotline answered {code}: a problem on its side; try again later, and tell "
            f"the hotline if it lasts.{detail}",
        )
    return FeedClientError(
        EXIT_PROTOCOL, f"the hotline answered {code} to {url.split('?')[0]}.{detail}"
    )
