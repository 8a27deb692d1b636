"""API key format and checking. A key looks like `hlk_<prefix>_<secret>`."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings

from hotline.members.models import ApiKey

KEY_PREFIX = "hlk"


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str

    @property
    def plaintext(self) -> str:
        return f"{KEY_PREFIX}_{self.prefix}_{self.secret}"


def generate_key() -> NewKey:
    return NewKey(prefix=secrets.token_hex(6), secret=secrets.token_urlsafe(32))


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyRefused(Exception):
    """Why a request's key was refused: status 401 (who are you?) or 403 (not allowed)."""

    def __init__(self, status: int, code: str, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after  # seconds, for a 429


def check_key(plaintext: str | None, *, scopes: Collection[str]) -> ApiKey:
    """The ApiKey for a presented key that holds one of `scopes`, or KeyRefused saying
    plainly what is wrong."""
    if not plaintext:
        raise KeyRefused(
            401, "missing_key", "No API key was sent. Send it as 'Authorization: Bearer <key>'."
        )
    # The secret is URL-safe base64 and may itself contain "_": split at the first two only.
    parts = plaintext.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise KeyRefused(
            401,
            "malformed_key",
            "The API key is not in the form hlk_<prefix>_<secret>. Check for a copying error.",
        )
    _, prefix, secret = parts
    key = ApiKey.objects.select_related("member").filter(prefix=prefix).first()
    # Compare against a digest even when no key matched, so timing does not tell prefixes apart.
    stored = key.secret_sha256 if key else secret_digest("")
    if not hmac.compare_digest(stored, secret_digest(secret)) or key is None:
        raise KeyRefused(
            401,
            "invalid_key",
            "This API key is not valid. Check it, or ask the hotline for a new one.",
        )
    if key.revoked_at is not None:
        raise KeyRefused(
            401,
            "revoked_key",
            f"This API key was revoked on {key.revoked_at:%Y-%m-%d}. "
            "Ask the hotline for a new one.",
        )
    if key.is_expired():
        assert key.expires_at is not None
        raise KeyRefused(
            401,
            "expired_key",
            f"This API key expired on {key.expires_at:%Y-%m-%d}. Ask the hotline for a new one.",
        )
    if not key.member.is_active:
        raise KeyRefused(
            403, "member_inactive", "Your membership is suspended. Contact the hotline."
        )
    if key.member.is_demo and not settings.HOTLINE_DEMO_ACCOUNTS_ENABLED:
        raise KeyRefused(
            401, "demo_key", "Demo keys work only on a development server (HOTLINE_DEBUG=1)."
        )
    require_scope(key, *scopes)
    return key


def require_scope(key: ApiKey, *scopes: str) -> None:
    """KeyRefused (403) unless `key` holds one of `scopes`."""
    if not any(scope in key.scopes for scope in scopes):
        wanted = " or ".join(f"'{scope}'" for scope in scopes)
        raise KeyRefused(
            403, "scope", f"This API key does not allow {wanted}. Ask the hotline to extend it."
        )
