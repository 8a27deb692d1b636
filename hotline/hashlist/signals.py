"""Signal types: the kinds of hash the hash list holds, behind one small interface (after Meta's
Hasher-Matcher-Actioner, where each signal type names its hasher and how two signals compare).

Adding a type touches one place: `SIGNAL_TYPES` at the end of this module. Exact types (MD5,
SHA-1, SHA-256) match only when equal; PDQ (Meta's perceptual image hash, 256 bits as 64 hex
characters) matches within a Hamming distance, so a re-encoded or resized copy still matches.

`hash_image` computes every hash of one image at once, as the takedown capture needs them. Its
PDQ is exact by default: pdqhash on every pixel of the upright picture, which is what the hash
list holds and compares against. `hash_image(data, fast=True)` is for bulk hashing (`hotline
hash`): a large picture is decoded at a reduced size (for JPEG, libjpeg's DCT scaling, so most
of the pixels are never computed) and PDQ is taken of that, several times faster and within a
few bits of the exact hash (docs/benchmarks.md, "Hashing"); its result says `pdq_exact=False`.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image, ImageOps, UnidentifiedImageError

# Larger images are refused before their pixels are decoded: a 40 kB PNG can claim
# 50,000 x 50,000 pixels and ask for 7 GB of memory (a decompression bomb). 24 megapixels is
# the photograph of a good phone camera; the same limit holds on the fast path.
MAX_IMAGE_PIXELS = 24_000_000
# The formats decoded: what the web shows. Every other decoder PIL has stays out of reach of
# what a hostile site serves.
IMAGE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")

# The PDQ distance at or under which two images count as the same picture: Meta's recommended
# threshold for PDQ (ThreatExchange, hashing/pdq), and the one issue 11 names for re-checks.
PDQ_MATCH_THRESHOLD = 31

# The fast path keeps at least this many pixels on the picture's short side. PDQ reduces every
# picture to 64 x 64 with a box (Jarosz) filter, so a picture already halved or quartered by
# the decoder gives nearly the same hash, but not the same: the filter's window is rounded to
# whole pixels of the picture it is given, and the smaller the picture, the more that moves the
# bits. Measured on generated photo-like JPEGs (bench/bench_hashing.py, tests/hashlist): with
# 600 pixels or more left, every hash within distance 8 of the exact one (mean 3); at 512, a
# third of them beyond it (mean 8), even when the picture is averaged exactly rather than
# decoded small.
FAST_PDQ_MIN_SIDE = 600
# The reductions the fast path uses: the scales libjpeg decodes a JPEG at for free (1/2, 1/4,
# 1/8). Whole factors keep PDQ's sampling grid aligned: resizing to an arbitrary size (even with
# an area filter) moved the hash further than decoding at a whole fraction did.
_FAST_FACTORS = (8, 4, 2)


class NotAnImage(Exception):
    """The bytes are not an image this system can decode; `reason` says why in a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _hex(value: str, length: int, name: str) -> int:
    """The integer of a hash written as `length` hex characters, or ValueError naming the type."""
    if len(value) != length:
        raise ValueError(f"a {name} hash is {length} hex characters, not {len(value)}: {value!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise ValueError(f"a {name} hash is written in hex (0-9, a-f): {value!r}") from None


@dataclass(frozen=True)
class SignalType:
    """One kind of hash: its name, the length of its hex form, and how two hashes compare.

    The base compares exactly: the distance is 0 for equal hashes and 1 otherwise, and
    `matches` ignores the threshold (a cryptographic hash has no "nearly equal")."""

    name: str
    hex_length: int
    hasher: Callable[[bytes], str]

    def hash(self, data: bytes) -> str:
        """The hash of `data` (for PDQ: of the image the bytes encode) in lowercase hex."""
        return self.hasher(data)

    def parse(self, value: str) -> str:
        """`value` normalised to lowercase hex, or ValueError saying what is wrong with it."""
        value = value.strip().lower()
        _hex(value, self.hex_length, self.name)
        return value

    def distance(self, a: str, b: str) -> int:
        """0 when the two hashes are equal, 1 when they are not."""
        return 0 if self.parse(a) == self.parse(b) else 1

    def matches(self, a: str, b: str, threshold: int = 0) -> bool:
        """Whether the two hashes designate the same content."""
        return self.distance(a, b) == 0


@dataclass(frozen=True)
class PerceptualSignalType(SignalType):
    """A hash compared by Hamming distance (number of differing bits), like PDQ."""

    default_threshold: int = 0

    def distance(self, a: str, b: str) -> int:
        """The number of bits in which the two hashes differ (0 to 4 x hex_length)."""
        return (
            _hex(a.strip().lower(), self.hex_length, self.name)
            ^ _hex(b.strip().lower(), self.hex_length, self.name)
        ).bit_count()

    def matches(self, a: str, b: str, threshold: int | None = None) -> bool:
        """Whether the hashes are within `threshold` bits (the type's default when None)."""
        limit = self.default_threshold if threshold is None else threshold
        return self.distance(a, b) <= limit


@dataclass(frozen=True)
class ImageHashes:
    """Every hash of one image. The cryptographic hashes are of the bytes as received (what a
    member matching files sees); PDQ and the size are of the picture as displayed, after its
    EXIF orientation is applied (a phone's sideways JPEG hashes as its upright twin)."""

    md5: str
    sha1: str
    sha256: str
    pdq: str
    pdq_quality: int
    width: int
    height: int
    # False when PDQ was taken on the fast path (of a reduced picture): near the exact hash,
    # not equal to it, so not for the hash list itself.
    pdq_exact: bool = True


# EXIF orientations (tag 0x0112) that turn the picture a quarter: its displayed width is the
# stored height.
_QUARTER_TURNS = frozenset({5, 6, 7, 8})


def _fast_factor(width: int, height: int) -> int:
    """By how much the fast path may shrink a picture and keep FAST_PDQ_MIN_SIDE on each side."""
    short = min(width, height)
    return next((f for f in _FAST_FACTORS if short >= f * FAST_PDQ_MIN_SIDE), 1)


def _open_upright(data: bytes, *, fast: bool = False) -> tuple[Image.Image, int, int]:
    """The decoded picture, upright, in RGB, with its full upright width and height;
    NotAnImage for anything else. With `fast`, the picture may be a whole fraction of the full
    size (never under FAST_PDQ_MIN_SIDE on its short side); the size returned is the full one.
    """
    try:
        with warnings.catch_warnings():
            # PIL only warns between its own limit and twice it; any bomb is an error here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise NotAnImage(
                    f"the image claims {width} x {height} pixels, more than the "
                    f"{MAX_IMAGE_PIXELS:,} this system decodes"
                )
            factor = _fast_factor(width, height) if fast else 1
            if factor > 1:
                # A JPEG is decoded straight at 1/factor (its other formats ignore the draft).
                image.draft("RGB", (width // factor, height // factor))
            image.load()
            if image.getexif().get(0x0112) in _QUARTER_TURNS:
                width, height = height, width
            # Each step copies the picture only when it must: a large image is decoded once.
            ImageOps.exif_transpose(image, in_place=True)
            picture = image if image.mode == "RGB" else image.convert("RGB")
            if factor > 1 and picture.size == (width, height):
                # Not reduced by the decoder (PNG, WebP, ...): averaged over factor x factor
                # blocks, as libjpeg would, before PDQ reads every remaining pixel.
                picture = picture.reduce(factor)
            return picture, width, height
    except NotAnImage:
        raise
    except UnidentifiedImageError:
        raise NotAnImage("the data is not in an image format this system can decode") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise NotAnImage(f"the image is too large to decode safely ({error})") from None
    except (OSError, ValueError, SyntaxError, EOFError) as error:
        # A truncated or corrupt file fails while its pixels are read.
        raise NotAnImage(f"the image data is damaged or cut short ({error})") from None


def pdq_of_pixels(rgb: np.ndarray) -> tuple[str, int]:
    """PDQ of an RGB pixel array (height x width x 3, uint8): 64 hex characters and quality.

    The 256 bits come out of pdqhash in the order ThreatExchange's Python hasher writes them:
    the first bit is the most significant bit of the first hex character."""
    bits, quality = pdqhash.compute(rgb)
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed.tobytes().hex(), int(quality)


def hash_image(data: bytes, *, fast: bool = False) -> ImageHashes:
    """All hashes of an image given as its file's bytes (JPEG, PNG, GIF, WebP, ...).

    The PDQ hash is exact (pdqhash on every pixel of the upright picture) unless `fast` is
    given: then a picture at least twice FAST_PDQ_MIN_SIDE on its short side is hashed at a
    whole fraction of its size, several times faster, within distance 8 of the exact hash for
    at least 99 % of photo-like images (docs/benchmarks.md), and `pdq_exact` is False. Smaller
    pictures get the exact hash either way. The cryptographic hashes and the size are the same
    on both paths.

    Raises NotAnImage when the bytes are not a decodable image or claim more than
    MAX_IMAGE_PIXELS pixels."""
    picture, width, height = _open_upright(data, fast=fast)
    pdq, quality = pdq_of_pixels(np.asarray(picture))
    return ImageHashes(
        md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
        sha1=hashlib.sha1(data, usedforsecurity=False).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
        pdq=pdq,
        pdq_quality=quality,
        width=width,
        height=height,
        pdq_exact=(picture.width, picture.height) == (width, height),
    )


def _digest(name: str) -> Callable[[bytes], str]:
    def digest(data: bytes) -> str:
        return hashlib.new(name, data, usedforsecurity=False).hexdigest()

    return digest


def _pdq(data: bytes) -> str:
    return hash_image(data).pdq


# The one place a signal type is added.
SIGNAL_TYPES: dict[str, SignalType] = {
    signal.name: signal
    for signal in (
        PerceptualSignalType("pdq", 64, _pdq, default_threshold=PDQ_MATCH_THRESHOLD),
        SignalType("md5", 32, _digest("md5")),
        SignalType("sha1", 40, _digest("sha1")),
        SignalType("sha256", 64, _digest("sha256")),
    )
}
