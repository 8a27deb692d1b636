"""The awareness flyer: one A4 page in any of the portals' languages, whose QR code scans.

The checks read the rendered files back the way a reader would: pdfium for the PDF's text and
images, zxing for the QR code in the PNG. No database is involved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from io import BytesIO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
import zxingcpp
from PIL import Image, ImageDraw

from hotline.portals.flyer import FlyerContent, FlyerPartner, render_flyer_pdf, render_flyer_png

A4_POINTS = (595.28, 841.89)
MARGIN_POINTS = 16 / 25.4 * 72
LOGO_COLOUR = (214, 32, 160)  # a magenta no other part of the flyer uses


def synthetic_logo(colour: tuple[int, int, int] = LOGO_COLOUR) -> bytes:
    """A logo made of coloured shapes on a transparent background, like most real ones."""
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, 110, 110), fill=colour)
    draw.rectangle((130, 30, 290, 90), fill=colour)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


FRENCH = FlyerContent(
    language="fr",
    right_to_left=False,
    portal_name="Portail de signalement de la Tunisie",
    address="https://report.example/tn/fr/",
    heading="Signalez en ligne les images et vidéos d'abus sexuels sur enfants",
    points=[
        "C'est anonyme : nous ne vous demandons pas qui vous êtes.",
        "Le lien suffit : ne téléchargez pas et ne partagez pas les images.",
        "Des analystes formés examinent chaque signalement et font retirer les contenus.",
        "Ce n'est pas un service d'urgence.",
    ],
    help_line="Un enfant est en danger maintenant ? Appelez le 197.",
    partners_heading="En partenariat avec",
    partners=[
        FlyerPartner("Ministère de la Femme, de la Famille et des Seniors", synthetic_logo()),
        FlyerPartner("Conseil de l'Europe", None),
    ],
    primary_colour="#1F4E79",
)

ARABIC = FlyerContent(
    language="ar",
    right_to_left=True,
    portal_name="بوابة الإبلاغ في تونس",
    address="https://report.example/tn/ar/",
    heading="أبلغ عن صور ومقاطع فيديو الاعتداء الجنسي على الأطفال عبر الإنترنت",
    points=[
        "الإبلاغ مجهول الهوية: لا نسألك عن هويتك.",
        "يكفي الرابط: لا تقم بتنزيل الصور أو مشاركتها.",
        "هذه ليست خدمة طوارئ.",
    ],
    help_line="هل يوجد طفل في خطر الآن؟ اتصل بالرقم 197.",
    partners_heading="بالشراكة مع",
    partners=[
        FlyerPartner("وزارة المرأة والأسرة وكبار السن", synthetic_logo()),
        FlyerPartner("مجلس أوروبا", None),
    ],
    primary_colour="#0B6E4F",
)

FLYERS = {"fr": FRENCH, "ar": ARABIC}


@cache
def pdf_of(language: str) -> bytes:
    return render_flyer_pdf(FLYERS[language])


@cache
def png_of(language: str) -> bytes:
    return render_flyer_png(FLYERS[language])


@dataclass(frozen=True)
class ReadBack:
    pages: int
    size: tuple[float, float]  # points
    text: str
    boxes: list[tuple[float, float, float, float]]  # left, bottom, right, top of each char
    images: list[tuple[float, float, float, float]]


def read_pdf(data: bytes) -> ReadBack:
    document = pdfium.PdfDocument(data)
    try:
        page = document[0]
        textpage = page.get_textpage()
        count = textpage.count_chars()
        return ReadBack(
            pages=len(document),
            size=(page.get_width(), page.get_height()),
            text=textpage.get_text_range(),
            boxes=[textpage.get_charbox(i) for i in range(count)],
            images=[
                image.get_bounds()
                for image in page.get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE])
            ],
        )
    finally:
        document.close()


def flowing(text: str) -> str:
    """The extracted text with its line breaks (where the flyer wrapped) back to spaces."""
    return re.sub(r"\s+", " ", text)


def as_pdfium_extracts(arabic: str) -> str:
    """pdfium reads a lam-alef ligature (one glyph for two letters, as in "الإبلاغ") back as alef
    then lam; every other Arabic letter comes back in reading order."""
    return re.sub("ل([اأإآ])", r"\1ل", arabic)


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_pdf_is_one_a4_page(language: str) -> None:
    read = read_pdf(pdf_of(language))
    assert read.pages == 1
    assert read.size == pytest.approx(A4_POINTS, abs=0.01)
    assert len(pdf_of(language)) < 100_000  # the fonts are subset


def test_the_french_pdf_has_the_portal_name_and_address_as_text() -> None:
    text = flowing(read_pdf(pdf_of("fr")).text)
    assert FRENCH.portal_name in text
    assert FRENCH.address in text
    assert FRENCH.heading in text  # wrapped over two lines, rejoined by flowing()
    for point in FRENCH.points:
        assert point in text


def test_the_arabic_pdf_has_the_portal_name_and_address_as_text() -> None:
    text = flowing(read_pdf(pdf_of("ar")).text)
    # Words without a lam-alef come back exactly, in reading order (not reversed).
    for word in ("بوابة", "في", "تونس", "مجهول", "الهوية", "يكفي", "الرابط", "مجلس", "أوروبا"):
        assert word in text
    assert "ةباوب" not in text
    assert as_pdfium_extracts(ARABIC.portal_name) in text
    assert as_pdfium_extracts(ARABIC.heading) in text
    # The address is one left-to-right run, even inside right-to-left text.
    assert ARABIC.address in text


def test_the_arabic_flyer_is_mirrored_and_its_address_reads_left_to_right() -> None:
    read = read_pdf(pdf_of("ar"))
    width = read.size[0]
    start = read.text.index("بوابة")
    name = read.boxes[start : start + len("بوابة")]
    # The portal name starts at the right margin and its first letters are the rightmost.
    assert name[0][2] == pytest.approx(width - MARGIN_POINTS, abs=4)
    assert [box[0] for box in name] == sorted((box[0] for box in name), reverse=True)
    start = read.text.index(ARABIC.address)
    lefts = [box[0] for box in read.boxes[start : start + len(ARABIC.address)]]
    assert lefts == sorted(lefts)

    french = read_pdf(pdf_of("fr"))
    start = french.text.index(FRENCH.portal_name)
    assert french.boxes[start][0] == pytest.approx(MARGIN_POINTS, abs=4)  # P's side bearing


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_png_is_the_page_in_a4_proportions(language: str) -> None:
    image = Image.open(BytesIO(png_of(language)))
    assert image.format == "PNG"
    assert image.width == 1240
    assert image.height == pytest.approx(1240 * 297 / 210, abs=1)


def test_the_png_width_can_be_chosen() -> None:
    image = Image.open(BytesIO(render_flyer_png(FRENCH, width_px=620)))
    assert (image.width, image.height) == (620, pytest.approx(620 * 297 / 210, abs=1))


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_the_qr_code_in_the_png_decodes_to_the_address(language: str) -> None:
    barcodes = zxingcpp.read_barcodes(Image.open(BytesIO(png_of(language))))
    assert [(code.format, code.text) for code in barcodes] == [
        (zxingcpp.BarcodeFormat.QRCode, FLYERS[language].address)
    ]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_a_partner_logo_is_embedded_and_a_partner_without_one_is_named(language: str) -> None:
    read = read_pdf(pdf_of(language))
    assert len(read.images) == 1
    left, bottom, right, top = read.images[0]
    assert right - left == pytest.approx((top - bottom) * 300 / 120, rel=0.01)  # not distorted
    assert bottom >= MARGIN_POINTS - 1  # in the partners' row at the foot of the page
    assert top < read.size[1] / 4
    partners = FLYERS[language].partners
    assert flowing(partners[1].name) in flowing(read.text)

    image = Image.open(BytesIO(png_of(language))).convert("RGB")
    magenta = 0
    for count, colour in image.getcolors(maxcolors=image.width * image.height) or []:
        assert isinstance(colour, tuple)
        if all(
            abs(channel - wanted) < 8 for channel, wanted in zip(colour, LOGO_COLOUR, strict=True)
        ):
            magenta += count
    assert magenta > 5_000  # the logo is about 230 x 90 pixels at 150 dpi


def test_an_unreadable_logo_falls_back_to_the_name() -> None:
    content = replace(FRENCH, partners=[FlyerPartner("UNICEF Tunisie", b"not an image")])
    read = read_pdf(render_flyer_pdf(content))
    assert read.images == []
    assert "UNICEF Tunisie" in read.text


def test_a_large_logo_is_scaled_down() -> None:
    image = Image.new("RGB", (4000, 2000), LOGO_COLOUR)
    out = BytesIO()
    image.save(out, format="JPEG", quality=95)
    content = replace(FRENCH, partners=[FlyerPartner("Big", out.getvalue())])
    document = pdfium.PdfDocument(render_flyer_pdf(content))
    try:
        (logo,) = document[0].get_objects(filter=[pdfium_raw.FPDF_PAGEOBJ_IMAGE])
        assert logo.get_px_size() == (1000, 500)
    finally:
        document.close()


LONG_SENTENCE = (
    "Ceci est une phrase délibérément longue qui continue encore et encore, pour vérifier "
    "que le texte revient à la ligne au lieu de déborder de la page. "
)


def assert_within_the_page(read: ReadBack) -> None:
    width, height = read.size
    printed = [box for box, char in zip(read.boxes, read.text, strict=True) if not char.isspace()]
    assert printed
    assert min(box[0] for box in printed) >= MARGIN_POINTS - 2
    assert max(box[2] for box in printed) <= width - MARGIN_POINTS + 2
    assert min(box[1] for box in printed) >= MARGIN_POINTS - 2
    assert max(box[3] for box in printed) <= height


def test_long_texts_wrap_and_shrink_onto_the_one_page() -> None:
    content = replace(
        FRENCH,
        portal_name="Portail national de signalement des contenus d'abus sexuels sur enfants",
        heading=FRENCH.heading + " : chaque signalement compte, même si vous n'êtes pas sûr",
        points=[LONG_SENTENCE * 2] * 5,
        help_line=LONG_SENTENCE * 2,
        partners=[FlyerPartner(f"Partenaire numéro {n}", synthetic_logo()) for n in range(7)],
    )
    pdf = render_flyer_pdf(content)
    read = read_pdf(pdf)
    assert read.pages == 1
    assert_within_the_page(read)
    text = flowing(read.text)
    for whole in (content.portal_name, content.heading, content.points[0].strip()):
        assert whole in text  # all of it, wrapped, nothing cut
    assert len(read.images) == 7
    barcodes = zxingcpp.read_barcodes(Image.open(BytesIO(render_flyer_png(content))))
    assert [code.text for code in barcodes] == [content.address]


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_texts_too_long_for_any_size_are_shortened_not_spilled(language: str) -> None:
    base = FLYERS[language]
    content = replace(
        base,
        portal_name=base.portal_name * 8,
        heading=base.heading * 8,
        points=[base.points[0] * 30] * 8,
        help_line=base.help_line * 30,
        partners=[FlyerPartner(base.partners[1].name * 5, None)] * 14,
        address=base.address + "a" * 120,
    )
    read = read_pdf(render_flyer_pdf(content))
    assert read.pages == 1
    assert_within_the_page(read)
    # pdfium reads the ellipsis back as three full stops in right-to-left text.
    assert "…" in read.text or "..." in read.text
    # The address is never shortened: it is what the reader needs.
    assert content.address in re.sub(r"\s+", "", read.text)


def test_the_same_content_gives_the_same_bytes() -> None:
    assert render_flyer_pdf(ARABIC) == pdf_of("ar")
    assert render_flyer_png(ARABIC) == png_of("ar")
    assert render_flyer_pdf(replace(ARABIC, help_line="")) != pdf_of("ar")


def test_a_malformed_colour_is_refused() -> None:
    with pytest.raises(ValueError, match="#RRGGBB"):
        render_flyer_pdf(replace(FRENCH, primary_colour="navy"))
