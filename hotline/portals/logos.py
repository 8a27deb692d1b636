"""Checking logos before a portal shows them: a raster image of sane size, re-encoded as PNG.

Re-encoding drops whatever rode along in the file (EXIF with a location, comments, a script
in a polyglot) and caps what every visitor downloads. SVG is refused: it can carry scripts and
external references, and a sanitiser is one more parser to trust on a public page.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_LOGO_BYTES = 1_000_000
MAX_LOGO_SIDE = 4000
MIN_LOGO_SIDE = 16
# Logos are shown at most this big; larger ones are scaled down once, here.
SHOWN_BOX = (480, 240)
ACCEPTED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}


class LogoError(ValueError):
    """Why a logo was refused, in words an administrator can act on."""


@dataclass(frozen=True)
class CheckedLogo:
    png: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()


def check_logo(data: bytes) -> CheckedLogo:
    """The logo as a small, clean PNG, or LogoError saying what to change."""
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError(f"the file is larger than {MAX_LOGO_BYTES // 1000} KB; use a smaller one")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise LogoError("SVG logos are not accepted; export the logo as PNG")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise LogoError(f"{image.format} images are not accepted; use PNG or JPEG")
            width, height = image.size
            if max(width, height) > MAX_LOGO_SIDE or min(width, height) < MIN_LOGO_SIDE:
                raise LogoError(
                    f"the logo is {width} x {height} pixels; use between "
                    f"{MIN_LOGO_SIDE} and {MAX_LOGO_SIDE} pixels a side"
                )
            image.load()
            clean = image.convert("RGBA")
    except Image.DecompressionBombError:
        raise LogoError(
            f"the image is far too large; use between {MIN_LOGO_SIDE} and {MAX_LOGO_SIDE} pixels "
            "a side"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise LogoError("the file is not a PNG or JPEG image that can be read") from None
    clean.thumbnail(SHOWN_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return CheckedLogo(png=out.getvalue(), width=clean.width, height=clean.height)
