"""Ed25519 signatures on the published lists' manifests (the URL list and the hash list, with
one key), so a member can check what it downloaded.

The key comes from HOTLINE_FEED_SIGNING_KEY (or the file named by HOTLINE_FEED_SIGNING_KEY_FILE):
a PEM private key, or the base64 of the raw 32-byte seed. Without one it is derived from the
secret key with HKDF-SHA256 (info "hotline feed signing"), so it stays the same as long as the
secret key does; set it on its own to be free to rotate the secret key (docs/urllist.md).
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

HKDF_INFO = b"hotline feed signing"


def load_signing_key(configured: str, secret_key: str) -> Ed25519PrivateKey:
    """The key `configured` names (PEM or base64 seed), else the one derived from `secret_key`.
    ImproperlyConfigured, naming the variable, if `configured` is neither."""
    configured = configured.strip()
    if not configured:
        seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
            secret_key.encode()
        )
        return Ed25519PrivateKey.from_private_bytes(seed)
    if configured.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(configured.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"HOTLINE_FEED_SIGNING_KEY is not a readable unencrypted PEM private key ({exc})."
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ImproperlyConfigured(
                "HOTLINE_FEED_SIGNING_KEY is a PEM key but not an Ed25519 one; make one with "
                "`openssl genpkey -algorithm ed25519`."
            )
        return key
    try:
        seed = base64.b64decode(configured, validate=True)
    except (binascii.Error, ValueError):
        seed = b""
    if len(seed) != 32:
        raise ImproperlyConfigured(
            "HOTLINE_FEED_SIGNING_KEY must be an Ed25519 private key in PEM, or the base64 of "
            "its 32-byte seed (e.g. `head -c 32 /dev/urandom | base64`)."
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


@lru_cache(maxsize=4)
def _key(configured: str, secret_key: str) -> Ed25519PrivateKey:
    return load_signing_key(configured, secret_key)


def signing_key() -> Ed25519PrivateKey:
    return _key(settings.HOTLINE_FEED_SIGNING_KEY, settings.SECRET_KEY)


def public_key_pem() -> bytes:
    """The public key members verify with, PEM (SubjectPublicKeyInfo), as openssl reads it."""
    return (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def manifest_bytes(fields: dict[str, Any]) -> bytes:
    """The canonical JSON the signature covers: sorted keys, no spaces, UTF-8, no newline."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(data: bytes) -> str:
    """The Ed25519 signature of `data`, base64."""
    return base64.b64encode(signing_key().sign(data)).decode("ascii")
