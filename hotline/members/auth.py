"""API-key authentication for django-ninja endpoints, with errors a member can act on."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from hotline.members.actions import touch_api_key
from hotline.members.keys import KeyRefused, check_key
from hotline.members.models import ApiKey


class MemberKeyAuth(HttpBearer):
    """`Authorization: Bearer <key>` with a given scope.

    Raises KeyRefused (rendered as a JSON error by the API) instead of returning None, so the
    member learns whether the key is missing, wrong, revoked, expired or out of scope.
    """

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

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
        key = check_key(token, scope=self.scope)
        touch_api_key(key)
        request.api_key = key  # type: ignore[attr-defined]
        return key
