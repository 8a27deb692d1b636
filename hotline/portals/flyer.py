"""A portal's printable awareness flyer: one A4 page, as PDF (vector) and as PNG.

Partners print the flyer for schools, youth centres and police stations, and post the PNG on
social media, so both must be the same design: the PNG is the PDF page rasterised by pdfium
rather than a second drawing. This module only renders; the caller (a view, a management
command) gathers the texts in the flyer's language and the partners' validated logos, which keeps
it free of Django and of the database and lets the tests call it directly.

Text goes through fpdf2's HarfBuzz shaping and Unicode bidi algorithm, without which Arabic
letters would print unjoined and in the wrong order. The font is DejaVu Sans, vendored next to
this file (see fonts/LICENSE-DejaVu.txt) so the flyer looks the same on every host and covers
Latin and Arabic; fpdf2 embeds only the glyphs used, which keeps the PDF small.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Literal, cast

import pypdfium2 as pdfium
import segno
from fpdf import FPDF
from fpdf.enums import MethodReturnValue, WrapMode
from PIL import Image

__all__ = ["FlyerContent", "FlyerPartner", "render_flyer_pdf", "render_flyer_png"]


@dataclass(frozen=True)
class FlyerPartner:
    name: str  # already in the flyer's language
    logo_png: bytes | None  # PNG or JPEG bytes, already validated, may be None


@dataclass(frozen=True)
class FlyerContent:
    language: str  # "ar", "fr", "en", "es", "pt", "sw"
    right_to_left: bool  # True for Arabic
    portal_name: str  # e.g. "بوابة الإبلاغ في تونس"
    address: str  # the full URL, printed and encoded in the QR code
    heading: str  # e.g. "Report child sexual abuse images and videos online"
    points: list[str]  # 3-5 short sentences
    help_line: str  # e.g. "Not an emergency service. In danger now? Call 197." may be ""
    partners_heading: str  # e.g. "In partnership with"
    partners: list[FlyerPartner]
    primary_colour: str  # "#RRGGBB", dark enough for white text


FONTS_DIR = Path(__file__).resolve().parent / "fonts"
_FAMILY = "DejaVu"

# A4 in millimetres, the unit of every length below; font sizes are in points.
PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
_MARGIN = 16.0
_CONTENT_WIDTH = PAGE_WIDTH - 2 * _MARGIN
_AVAILABLE = PAGE_HEIGHT - _MARGIN  # the header band starts at the top edge
_MM_PER_PT = 25.4 / 72
_LINE_SPACING = 1.3

# The same content must give the same bytes (cacheable, comparable, testable), so the PDF's
# creation date is fixed instead of "now"; fpdf2 derives the file /ID from it and the content.
_CREATION_DATE = datetime(2026, 1, 1, tzinfo=UTC)

# When the texts are too long for the page at full size, everything shrinks in these steps;
# below the last one print becomes hard to read, so texts are shortened instead.
_SCALES = (1.0, 0.92, 0.85, 0.78, 0.72, 0.66, 0.6, 0.55)
# The QR code grows into spare room up to _QR_MAX_SIZE, and never shrinks below _QR_MIN_SIZE,
# so that a phone still scans it from arm's length on a poster.
_QR_SIZE = 68.0
_QR_MIN_SIZE = 45.0
_QR_MAX_SIZE = 90.0
_QR_QUIET_MODULES = 4  # the white border the QR standard requires around the code
_PARTNERS_PER_ROW = 5
# A logo slot is at most 46 mm wide: 1000 pixels is more than 500 dpi, plenty for print.
_LOGO_MAX_PIXELS = 1000
_PNG_MODES = ("RGB", "RGBA", "L", "LA")
# Caps applied only to content that would not fit even at the smallest scale: the longest
# point allowed, tried from the longest; at the last one everything fits.
_TEXT_LIMITS = (480, 360, 270, 200, 150, 110, 80, 60, 40, 25)
_MAX_POINTS = 6
_MAX_PARTNERS = 10

_TEXT_COLOUR = (26, 26, 26)
_MUTED_COLOUR = (85, 85, 85)
_WHITE = (255, 255, 255)
_HEX_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")

# pdfium is not thread-safe and the web server may run threads: one rasterisation at a time.
_PDFIUM_LOCK = threading.Lock()

Colour = tuple[int, int, int]
Align = Literal["L", "R", "C"]


def render_flyer_pdf(content: FlyerContent) -> bytes:
    """The flyer as a one-page A4 PDF with real (selectable, searchable) text and a vector QR
    code, so it prints sharp at any size."""
    primary = _parse_colour(content.primary_colour)
    pdf = _new_document(content)
    logos = [_logo(partner) for partner in content.partners]
    fitted, scale, spare = _fit(pdf, content, primary, logos)
    _Composer(pdf, fitted, primary, logos, scale, draw=True).compose(spare)
    return bytes(pdf.output())


def render_flyer_png(content: FlyerContent, *, width_px: int = 1240) -> bytes:
    """The same page as a PNG `width_px` wide (1240 px is A4 at 150 dpi), rasterised from the
    PDF so the two never drift apart."""
    if not 200 <= width_px <= 10_000:
        raise ValueError(f"width_px must be between 200 and 10000, not {width_px}")
    document = render_flyer_pdf(content)
    with _PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(document)
        try:
            page = pdf[0]
            bitmap = page.render(scale=width_px / page.get_width(), fill_color=(255, 255, 255, 255))
            # convert() copies the pixels out of pdfium's buffer before the document is closed.
            image = bitmap.to_pil().convert("RGB")
        finally:
            pdf.close()
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _parse_colour(value: str) -> Colour:
    if not _HEX_COLOUR.fullmatch(value):
        raise ValueError(f"primary_colour must look like #RRGGBB, not {value!r}")
    return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))


def _tint(colour: Colour, strength: float) -> Colour:
    """`colour` mixed with white: a background light enough for dark text."""
    r, g, b = (round(255 - (255 - c) * strength) for c in colour)
    return (r, g, b)


def _new_document(content: FlyerContent) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)  # the layout is fitted to one page beforehand
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0  # text starts exactly where the layout says
    pdf.add_font(_FAMILY, "", FONTS_DIR / "DejaVuSans.ttf")
    pdf.add_font(_FAMILY, "B", FONTS_DIR / "DejaVuSans-Bold.ttf")
    pdf.set_creation_date(_CREATION_DATE)
    pdf.set_title(content.portal_name)
    pdf.set_subject(content.heading)
    pdf.set_lang(content.language)  # screen readers pick the right voice
    pdf.add_page()
    return pdf


def _fit(
    pdf: FPDF, content: FlyerContent, primary: Colour, logos: Sequence[_Logo | None]
) -> tuple[FlyerContent, float, float]:
    """The largest scale at which the whole flyer fits on the page, and the height left over.

    If even the smallest scale does not fit, texts are shortened (with an ellipsis) until they
    do, because a flyer that spills onto a second page or off the paper is worse than a clipped
    sentence. Ordinary content fits at full size, which costs one measuring pass; otherwise a
    binary search keeps it to a few passes, since measuring long shaped text is slow.
    """

    def needed(candidate: FlyerContent, scale: float) -> float:
        return _Composer(pdf, candidate, primary, logos, scale, draw=False).compose()

    def largest_fitting(count: int, fits: Callable[[int], float | None]) -> tuple[int, float]:
        # Options run from the largest to the smallest; the last one is taken to fit.
        fitting, spare = count - 1, fits(count - 1)
        low, high = 0, count - 2
        while low <= high:
            middle = (low + high) // 2
            result = fits(middle)
            if result is None:
                low = middle + 1
            else:
                fitting, spare, high = middle, result, middle - 1
        return fitting, spare or 0.0

    def spare_room(height: float) -> float | None:
        return _AVAILABLE - height if height <= _AVAILABLE else None

    full = spare_room(needed(content, _SCALES[0]))
    if full is not None:
        return content, _SCALES[0], full
    if spare_room(needed(content, _SCALES[-1])) is not None:
        index, spare = largest_fitting(
            len(_SCALES), lambda i: spare_room(needed(content, _SCALES[i]))
        )
        return content, _SCALES[index], spare
    index, spare = largest_fitting(
        len(_TEXT_LIMITS),
        lambda i: spare_room(needed(_shortened(content, _TEXT_LIMITS[i]), _SCALES[-1])),
    )
    return _shortened(content, _TEXT_LIMITS[index]), _SCALES[-1], spare


def _shortened(content: FlyerContent, limit: int) -> FlyerContent:
    def cut(text: str, length: int) -> str:
        return text if len(text) <= length else text[: length - 1].rstrip() + "…"

    return replace(
        content,
        portal_name=cut(content.portal_name, limit // 3),
        heading=cut(content.heading, limit // 2),
        points=[cut(point, limit) for point in content.points[:_MAX_POINTS]],
        help_line=cut(content.help_line, limit),
        partners_heading=cut(content.partners_heading, limit // 4),
        partners=[
            replace(partner, name=cut(partner.name, limit // 4))
            for partner in content.partners[:_MAX_PARTNERS]
        ],
    )


@dataclass(frozen=True)
class _Logo:
    data: bytes
    width: int
    height: int


def _logo(partner: FlyerPartner) -> _Logo | None:
    """The logo ready to embed, or None to print the partner's name instead: the logos are
    validated on upload, but one that cannot be read must still not stop the whole flyer.

    A logo larger than needed for print (a 4000-pixel scan) is scaled down, as a PNG, so it does
    not make the PDF heavy; smaller ones are embedded as they are.
    """
    if not partner.logo_png:
        return None
    try:
        with Image.open(BytesIO(partner.logo_png)) as image:
            width, height = image.size
            if width <= 0 or height <= 0:
                return None
            if max(width, height) <= _LOGO_MAX_PIXELS:
                return _Logo(partner.logo_png, width, height)
            small = image.convert("RGBA") if image.mode not in _PNG_MODES else image.copy()
            small.thumbnail((_LOGO_MAX_PIXELS, _LOGO_MAX_PIXELS), Image.Resampling.LANCZOS)
            out = BytesIO()
            small.save(out, format="PNG")
            return _Logo(out.getvalue(), *small.size)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


@dataclass(frozen=True)
class _Style:
    size: float  # points
    colour: Colour
    bold: bool = False
    align: Align | None = None  # None: the flyer's reading side
    direction: Literal["ltr", "rtl"] | None = None  # None: the flyer's direction
    wrap: WrapMode = WrapMode.WORD

    @property
    def line_height(self) -> float:
        return self.size * _MM_PER_PT * _LINE_SPACING


class _Composer:
    """Lays the flyer out top to bottom at one scale. With draw=False it only measures (fpdf2's
    dry runs), so `_fit` can try scales on the page without drawing on it."""

    def __init__(
        self,
        pdf: FPDF,
        content: FlyerContent,
        primary: Colour,
        logos: Sequence[_Logo | None],  # one per partner, read once for all the passes
        scale: float,
        *,
        draw: bool,
    ) -> None:
        self.pdf = pdf
        self.content = content
        self.primary = primary
        self.logos = logos
        self.scale = scale
        self.draw = draw
        self.rtl = content.right_to_left
        s = scale
        self.name_style = _Style(24 * s, _WHITE, bold=True)
        self.heading_style = _Style(21 * s, primary, bold=True)
        self.point_style = _Style(13 * s, _TEXT_COLOUR)
        # A URL is Latin and left to right even on an Arabic flyer (bidi reordering would move
        # its trailing slash), and has no spaces, so it may break anywhere.
        self.address_style = _Style(
            14 * s, _TEXT_COLOUR, bold=True, align="C", direction="ltr", wrap=WrapMode.CHAR
        )
        self.help_style = _Style(12.5 * s, _TEXT_COLOUR, bold=True)
        self.partners_heading_style = _Style(11 * s, _MUTED_COLOUR, align="C")

    def compose(self, spare: float = 0.0) -> float:
        """Lays out (and, when drawing, draws) the flyer; returns the height it needs from the
        top of the page. `spare`, the room a measuring pass found left over, enlarges the QR code
        and the gaps around it, so that short texts do not leave a hole above the partners."""
        s = self.scale
        qr_size = max(_QR_MIN_SIZE, _QR_SIZE * s)
        grow = min(0.4 * spare, max(0.0, _QR_MAX_SIZE - qr_size))
        stretch = (spare - grow) / 3  # a third above the QR code, above the help box, below it
        y = self._header()
        y += 9 * s
        y += self._text(_MARGIN, y, _CONTENT_WIDTH, self.content.heading, self.heading_style)
        y += 6 * s
        for point in self.content.points:
            y += self._bullet(y, point) + 3 * s
        y += 5 * s + stretch
        y += self._qr(y, qr_size + grow)
        y += 2 * s
        y += self._text(_MARGIN, y, _CONTENT_WIDTH, self.content.address, self.address_style)
        if self.content.help_line.strip():
            y += 7 * s + stretch
            y += self._help_box(y)
        partners = self._partners(0, draw=False)
        if not partners:
            return y
        if self.draw:
            # The partners sit at the foot of the page whatever the length of the texts above.
            self._partners(_AVAILABLE - partners, draw=True)
        return y + 8 * s + partners

    # Blocks: each draws itself (when drawing) and returns its height.

    def _header(self) -> float:
        padding = 9 * self.scale
        name = self.content.portal_name
        band = self._text(_MARGIN, 0, _CONTENT_WIDTH, name, self.name_style, draw=False)
        band += 2 * padding
        if self.draw:
            self.pdf.set_fill_color(*self.primary)
            self.pdf.rect(0, 0, PAGE_WIDTH, band, style="F")
            self._text(_MARGIN, padding, _CONTENT_WIDTH, name, self.name_style)
        return band

    def _bullet(self, y: float, point: str) -> float:
        """One point, with a disc in the primary colour before it (to its right on a
        right-to-left flyer) and its continuation lines indented past the disc."""
        indent = 7 * self.scale
        text_x = _MARGIN if self.rtl else _MARGIN + indent
        height = self._text(text_x, y, _CONTENT_WIDTH - indent, point, self.point_style)
        if self.draw and height:
            # A drawn disc rather than "•", so that it is centred on the first line in any script.
            radius = 1.2 * self.scale
            x = PAGE_WIDTH - _MARGIN - radius if self.rtl else _MARGIN + radius
            self.pdf.set_fill_color(*self.primary)
            self.pdf.circle(x=x, y=y + self.point_style.line_height / 2, radius=radius, style="F")
        return height

    def _qr(self, y: float, size: float) -> float:
        """The portal's address as a QR code, drawn as vector squares so it scans from print at
        any size; one path for all of them, so the PNG has no hairline seams between squares."""
        if not self.draw:
            return size
        matrix = segno.make(self.content.address, error="m", micro=False).matrix
        unit = size / (len(matrix) + 2 * _QR_QUIET_MODULES)
        left = (PAGE_WIDTH - size) / 2 + _QR_QUIET_MODULES * unit
        top = y + _QR_QUIET_MODULES * unit
        with self.pdf.new_path() as path:
            path.style.fill_color = "#000000"
            path.style.stroke_color = None
            for row, modules in enumerate(matrix):
                column = 0
                while column < len(modules):
                    if not modules[column]:
                        column += 1
                        continue
                    start = column  # one rectangle per run of dark modules keeps the PDF small
                    while column < len(modules) and modules[column]:
                        column += 1
                    path.rectangle(
                        left + start * unit, top + row * unit, (column - start) * unit, unit
                    )
        return size

    def _help_box(self, y: float) -> float:
        padding = 4.5 * self.scale
        width = _CONTENT_WIDTH - 2 * padding
        text = self.content.help_line
        box = self._text(_MARGIN, 0, width, text, self.help_style, draw=False) + 2 * padding
        if self.draw:
            self.pdf.set_fill_color(*_tint(self.primary, 0.1))
            self.pdf.set_draw_color(*self.primary)
            self.pdf.set_line_width(0.6 * self.scale)
            self.pdf.rect(
                _MARGIN,
                y,
                _CONTENT_WIDTH,
                box,
                style="DF",
                round_corners=True,
                corner_radius=2.5 * self.scale,
            )
            self._text(_MARGIN + padding, y + padding, width, text, self.help_style)
        return box

    def _partners(self, y: float, *, draw: bool) -> float:
        """A rule, the partners heading, and the logos (or names where there is no logo) scaled
        into equal slots, rows of at most five, in reading order: from the right on a
        right-to-left flyer."""
        partners = self.content.partners
        if not partners:
            return 0.0
        s = self.scale
        if draw:
            self.pdf.set_draw_color(*_tint(self.primary, 0.35))
            self.pdf.set_line_width(0.3)
            self.pdf.line(_MARGIN, y, PAGE_WIDTH - _MARGIN, y)
        top = y + 4 * s
        heading = self.content.partners_heading
        top += self._text(_MARGIN, top, _CONTENT_WIDTH, heading, self.partners_heading_style, draw)
        top += 4 * s

        rows = -(-len(partners) // _PARTNERS_PER_ROW)
        per_row = -(-len(partners) // rows)  # balanced: 7 partners make rows of 4 and 3
        gap = 6 * s
        slot = min(46 * s, (_CONTENT_WIDTH - gap * (per_row - 1)) / per_row)
        logo_height = 22 * s
        name_style = _Style(min(10 * s, slot / 3), _MUTED_COLOUR, bold=True, align="C")
        # Shortened content keeps the first partners only, hence the slice.
        pairs = list(zip(partners, self.logos[: len(partners)], strict=True))
        for first in range(0, len(pairs), per_row):
            top += self._partner_row(
                top, pairs[first : first + per_row], slot, gap, logo_height, name_style, draw
            )
            top += 4 * s
        return top - 4 * s - y

    def _partner_row(
        self,
        y: float,
        partners: Sequence[tuple[FlyerPartner, _Logo | None]],
        slot: float,
        gap: float,
        logo_height: float,
        name_style: _Style,
        draw: bool,
    ) -> float:
        name_heights = [
            0.0 if logo else self._text(0, 0, slot, partner.name, name_style, draw=False)
            for partner, logo in partners
        ]
        height = max([logo_height, *name_heights])
        if not draw:
            return height
        count = len(partners)
        left = (PAGE_WIDTH - count * slot - (count - 1) * gap) / 2
        for index, (partner, logo) in enumerate(partners):
            position = count - 1 - index if self.rtl else index
            x = left + position * (slot + gap)
            if logo is None:
                name_y = y + (height - name_heights[index]) / 2
                self._text(x, name_y, slot, partner.name, name_style)
                continue
            ratio = logo.width / logo.height
            w = min(slot, logo_height * ratio)
            h = w / ratio
            self.pdf.image(
                BytesIO(logo.data), x=x + (slot - w) / 2, y=y + (height - h) / 2, w=w, h=h
            )
        return height

    # Text.

    def _text(
        self, x: float, y: float, width: float, text: str, style: _Style, draw: bool | None = None
    ) -> float:
        """Writes `text` wrapped to `width` at (x, y) and returns its height; only measures when
        not drawing. The paragraph direction is the flyer's unless the style says otherwise, so
        that neutral characters (full stops, digits) land on the correct side of Arabic text."""
        if not text.strip():
            return 0.0
        pdf = self.pdf
        pdf.set_font(_FAMILY, "B" if style.bold else "", style.size)
        pdf.set_text_color(*style.colour)
        pdf.set_text_shaping(
            use_shaping_engine=True, direction=style.direction or ("rtl" if self.rtl else "ltr")
        )
        pdf.set_xy(x, y)
        height = pdf.multi_cell(
            width,
            style.line_height,
            text,
            align=style.align or ("R" if self.rtl else "L"),
            wrapmode=style.wrap,
            dry_run=not (self.draw if draw is None else draw),
            output=MethodReturnValue.HEIGHT,
        )
        return cast(float, height)
