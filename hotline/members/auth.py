"""API-key authentication for django-ninja endpoints, with errors a member can act on."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from hotline.core.ratelimit import Limit, hit
from hotline.members.actions import touch_api_key
from hotline.members.keys import KeyRefused, check_key
from hotline.members.models import ApiKey

# Counted per key (its prefix), over every endpoint, in one-minute windows; shared between
# web processes when the cache is (HOTLINE_CACHE_URL).
KEY_WINDOW_SECONDS = 60


class MemberKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>` with one of the given scopes (a feed whose formats need
    different licences lets in any of them and checks the format's own).

    Raises KeyRefused (rendered as a JSON error by the API) instead of returning None, so the
    member learns whether the key is missing, wrong, revoked, expired or out of scope.
    """

    def __init__(self, *scopes: str) -> None:
        super().__init__()
        self.scopes = scopes

    def __call__(self, request: HttpRequest) -> ApiKey:
        header = request.headers.get(self.header, "")
        scheme, _, token = header.partition(" ")
        if header and scheme.lower() != self.openapi_scheme:
            raise KeyRefused(
                401, "malformed_header", "Send the key as 'Authorization: Bearer <key>'."
            )
        key = self.authenticate(request, token.strip())
        return key

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        key = check_key(token, scopes=self.scopes)
        limit = Limit("api-key", key.requests_per_minute, KEY_WINDOW_SECONDS)
        if wait := hit(limit, key.prefix):
            raise KeyRefused(
                429,
                "rate_limited",
                f"This key may make {key.requests_per_minute} requests a minute. "
                f"Try again in {wait} s, or ask the hotline for a higher limit.",
                retry_after=wait,
            )
        touch_api_key(key)
        request.api_key = key  # type: ignore[attr-defined]
        return key
