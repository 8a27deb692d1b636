"""The optional evidence store: captured images kept encrypted for a limited time, so analysts
can see blurred previews beside a case and the hotline can hand evidence to the police.

Off unless HOTLINE_EVIDENCE_KEY is set (a Fernet key: `hotline evidence-key` prints a new one).
The key lives in the environment, never in the database, so a copy of the database alone
holds no image. Each image expires HOTLINE_EVIDENCE_DAYS after its capture and is deleted by
the periodic `takedown-evidence-expiry` job.
"""

from __future__ import annotations

import io
from functools import cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from PIL import Image

from hotline.hashlist.signals import IMAGE_FORMATS

# The longest side of a preview: enough to judge, small enough not to linger on.
PREVIEW_SIDE = 480


class EvidenceUnavailable(Exception):
    """The store is off, or this image's evidence expired or cannot be decrypted."""


def evidence_enabled() -> bool:
    return bool(settings.HOTLINE_EVIDENCE_KEY)


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode("ascii"))


def seal(data: bytes) -> bytes:
    """`data` encrypted and authenticated with the evidence key."""
    if not evidence_enabled():
        raise EvidenceUnavailable("The evidence store is off (HOTLINE_EVIDENCE_KEY is not set).")
    return _fernet(settings.HOTLINE_EVIDENCE_KEY).encrypt(data)


def unseal(token: bytes) -> bytes:
    if not evidence_enabled():
        raise EvidenceUnavailable("The evidence store is off (HOTLINE_EVIDENCE_KEY is not set).")
    try:
        return _fernet(settings.HOTLINE_EVIDENCE_KEY).decrypt(bytes(token))
    except InvalidToken:
        raise EvidenceUnavailable("This evidence was sealed with another key.") from None


def preview_png(token: bytes) -> bytes:
    """A small PNG of a sealed image, without its metadata, for the case page (which shows it
    grey and blurred until the analyst reveals it)."""
    try:
        with Image.open(io.BytesIO(unseal(token)), formats=IMAGE_FORMATS) as image:
            image.draft("RGB", (PREVIEW_SIDE, PREVIEW_SIDE))  # JPEG: decode at a small scale
            image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="PNG")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise EvidenceUnavailable("This image cannot be shown.") from None
    return out.getvalue()


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")
