"""Checking a download against its signed manifest before anything is applied.

Order: the Ed25519 signature of the manifest with the pinned public key, then the body's size
and SHA-256 against the manifest, then the manifest's format, version and `from` against what
was asked. Only then is the body parsed, and its own version fields must agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from hotline.feedclient.errors import EXIT_LOCAL, FeedClientError, Refused


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(path.read_bytes())
    except OSError as error:
        raise FeedClientError(EXIT_LOCAL, f"cannot read the public key {path}: {error}") from None
    except ValueError:
        raise FeedClientError(
            EXIT_LOCAL,
            f"{path} is not a PEM public key. Fetch it once from "
            "https://HOTLINE/api/v1/urllist/public-key and compare it with the one the hotline "
            "gave you.",
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise FeedClientError(EXIT_LOCAL, f"{path} is a public key, but not an Ed25519 one.")
    return key


@dataclass(frozen=True)
class Manifest:
    raw: bytes
    fields: dict[str, Any]

    @property
    def version(self) -> int:
        return int(self.fields["version"])


def _b64(value: str | None, name: str) -> bytes:
    if not value:
        raise Refused(f"the answer has no {name} header (is --url the hotline itself?)")
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Refused(f"the {name} header is not base64") from None


def verify(
    body: bytes,
    headers: Message,
    public_key: Ed25519PublicKey,
    *,
    fmt: str,
    since: int | None,
) -> Manifest:
    """The manifest of `body`, once everything checks; Refused (nothing applied) otherwise.
    `since` is the version asked for with ?since= (None: the full list)."""
    raw = _b64(headers.get("X-Hotline-Manifest"), "X-Hotline-Manifest")
    signature = _b64(headers.get("X-Hotline-Signature"), "X-Hotline-Signature")
    try:
        public_key.verify(signature, raw)
    except InvalidSignature:
        raise Refused(
            "the manifest's signature does not verify with the --public-key. Either the "
            "answer was altered on the way, or the hotline changed its signing key: fetch "
            "/api/v1/urllist/public-key and confirm the new key with the hotline before "
            "replacing yours."
        ) from None
    try:
        fields = json.loads(raw)
        if not isinstance(fields, dict):
            raise ValueError("not an object")
        size, digest, version = int(fields["size"]), str(fields["sha256"]), int(fields["version"])
    except (ValueError, KeyError, TypeError):
        raise Refused("the signed manifest is not one this client understands") from None
    if len(body) != size:
        raise Refused(f"the body has {len(body)} bytes, the signed manifest says {size}")
    if hashlib.sha256(body).hexdigest() != digest:
        raise Refused("the body's SHA-256 is not the one in the signed manifest")
    if fields.get("format") != fmt:
        raise Refused(f"the manifest is for format {fields.get('format')!r}, not {fmt!r}")
    if since is None and "from" in fields:
        raise Refused("a list of changes was sent where the full list was asked for")
    if since is not None and fields.get("from") != since:
        raise Refused(
            f"the changes start from version {fields.get('from')!r}, not {since} as asked"
        )
    if since is not None and version < since:
        raise Refused(f"the changes go back from version {since} to {version}")
    return Manifest(raw, fields)
