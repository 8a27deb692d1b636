"""Evidence capture: what a reported URL served when it was checked, and the hashes of its images.

The page is fetched through the safe fetcher (hotline/takedown/fetch.py) and read as text with
lexbor's HTML5 parser (selectolax); no script runs. Images are found where a browser would show
them or a visitor would click to them (`<img src>`, `srcset`, `og:image`, links straight to an
image file) and, when the URL itself is an image, the URL. Each image is fetched through the
same fetcher and hashed (hotline/hashlist/signals.py). Image bytes are dropped once hashed
unless the caller asks to keep them (`keep_bytes`, for an encrypted evidence store).
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from selectolax.lexbor import LexborHTMLParser

from hotline.hashlist.signals import NotAnImage, hash_image
from hotline.takedown.fetch import Fetched, FetchFailed, FetchRefused, SafeFetcher, run_sync

# Links to files with these extensions are images a visitor reaches in one click.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".avif"}
)
# The meta tags social sites and search engines read a page's picture from.
IMAGE_META = frozenset({"og:image", "og:image:url", "og:image:secure_url", "twitter:image"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", ""})

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CapturedImage:
    url: str
    md5: str
    sha1: str
    sha256: str
    pdq: str
    pdq_quality: int
    width: int
    height: int
    data: bytes | None = None  # the bytes as received, only with keep_bytes=True


@dataclass(frozen=True)
class PageCapture:
    requested_url: str
    final_url: str
    status: int  # 0 when the page could not be fetched
    redirects: tuple[str, ...]
    server_ip: str
    headers: dict[str, str]
    title: str
    images: tuple[CapturedImage, ...]
    skipped: tuple[tuple[str, str], ...]  # (image URL, why it was not hashed)
    truncated: bool = False  # the page went on beyond the page cap and was read up to it
    error_kind: str = ""  # "refused" or a FailureKind when the page itself was not fetched
    error: str = ""


# Read no more of a page than this when looking for its images: a hostile page can make any
# parser work hard, and what a page shows is near its top.
PARSE_CAP = 512 * 1024
# A page's images fetched at once, and images hashed at once in this process (decoding is CPU
# and memory: two at a time keeps a page of fifty large images from taking the machine).
IMAGES_AT_ONCE = 6
HASHING_AT_ONCE = 2
# Skipped images listed one by one; beyond, only their number.
SKIPPED_LISTED = 50
URL_KEPT = 2048


def _candidates(html: str) -> tuple[str, str, list[str]]:
    """(title, base href, image candidates in document order) of an HTML page, read with
    lexbor's HTML5 parser: linear in the page whatever it holds, and no script runs."""
    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split())[:500] if title_node is not None else ""
    base_node = tree.css_first("base[href]")
    base = (base_node.attributes.get("href") or "").strip() if base_node is not None else ""
    candidates: list[str] = []
    for node in tree.css("img, source, meta, a[href]"):
        values = {name: (value or "").strip() for name, value in node.attributes.items()}
        if node.tag in ("img", "source"):
            if values.get("src"):
                candidates.append(values["src"])
            for candidate in values.get("srcset", "").split(","):
                # "photo-2x.jpg 2x": the URL, then an optional width or density.
                if candidate.strip():
                    candidates.append(candidate.split()[0])
        elif node.tag == "meta":
            key = (values.get("property") or values.get("name") or "").lower()
            if key in IMAGE_META and values.get("content"):
                candidates.append(values["content"])
        elif node.tag == "a":
            path = urlsplit(values["href"]).path
            if posixpath.splitext(path)[1].lower() in IMAGE_EXTENSIONS:
                candidates.append(values["href"])
    return title, base, candidates


def _decode(body: bytes, content_type_header: str) -> str:
    charset = "utf-8"
    for parameter in content_type_header.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class PageImages:
    """What a page shows: its title and the absolute http(s) URLs of its images, deduplicated."""

    title: str
    urls: tuple[str, ...]


def read_page(page: Fetched) -> PageImages:
    """The title and image URLs of a fetched page (the page itself when it is an image)."""
    if page.content_type.startswith("image/"):
        return PageImages("", (page.final_url,))
    if page.content_type not in HTML_TYPES:
        return PageImages("", ())
    html = _decode(page.body[:PARSE_CAP], page.headers.get("content-type", ""))
    title, base_href, candidates = _candidates(html)
    base = _join(page.final_url, base_href) if base_href else page.final_url
    seen: dict[str, None] = {}
    for candidate in candidates:
        absolute = _join(base, candidate).split("#", 1)[0]
        if absolute and len(absolute) <= URL_KEPT and urlsplit(absolute).scheme in _WEB:
            seen.setdefault(absolute, None)
    return PageImages(title, tuple(seen))


_WEB = ("http", "https")


def _join(base: str, link: str) -> str:
    """`link` made absolute against `base`; "" for a link no URL parser makes sense of."""
    try:
        return urljoin(base, link)
    except ValueError:
        return ""


async def fetch_image_response(fetcher: SafeFetcher, url: str, *, max_bytes: int) -> Fetched | str:
    """What `url` answered when asked for an image, or why nothing was ("refused",
    "fetch_failed:timeout", ...)."""
    try:
        return await fetcher.fetch(url, max_bytes=max_bytes, accept="image/*,*/*;q=0.5")
    except FetchRefused:
        return "refused"
    except FetchFailed as error:
        return f"fetch_failed:{error.kind}"
    except Exception as error:
        # Whatever else a hostile server provokes costs this image, never the capture. (Not
        # logged with its traceback: the message may hold the reported address.)
        logger.warning("an image could not be fetched: %s", type(error).__name__)
        return "error"


async def fetch_image(
    fetcher: SafeFetcher, url: str, *, max_bytes: int, keep_bytes: bool = False
) -> CapturedImage | str:
    """The image at `url`, hashed, or a short machine reason why not ("status_404",
    "refused", "fetch_failed:timeout", "too_large", "not_an_image")."""
    fetched = await fetch_image_response(fetcher, url, max_bytes=max_bytes)
    if isinstance(fetched, str):
        return fetched
    async with hashing_gate():
        # Decoding is CPU-bound: off the event loop, so other fetches go on meanwhile.
        return await asyncio.to_thread(image_from, fetched, keep_bytes=keep_bytes)


_hashing_gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}


def hashing_gate() -> asyncio.Semaphore:
    """The gate of HASHING_AT_ONCE for the running event loop (one per asyncio.run)."""
    loop = asyncio.get_running_loop()
    gate = _hashing_gates.get(loop)
    if gate is None:
        _hashing_gates.clear()  # earlier runs' loops are closed
        gate = _hashing_gates[loop] = asyncio.Semaphore(HASHING_AT_ONCE)
    return gate


def image_from(fetched: Fetched, *, keep_bytes: bool = False) -> CapturedImage | str:
    """A fetched response hashed as an image, or the reason it cannot be."""
    if not 200 <= fetched.status < 300:
        return f"status_{fetched.status}"
    if fetched.truncated:
        return "too_large"
    try:
        hashes = hash_image(fetched.body)
    except NotAnImage:
        return "not_an_image"
    except Exception as error:
        logger.warning("an image could not be hashed: %s", type(error).__name__)
        return "error"
    return CapturedImage(
        url=fetched.final_url,
        md5=hashes.md5,
        sha1=hashes.sha1,
        sha256=hashes.sha256,
        pdq=hashes.pdq,
        pdq_quality=hashes.pdq_quality,
        width=hashes.width,
        height=hashes.height,
        data=fetched.body if keep_bytes else None,
    )


async def capture_page(
    url: str,
    *,
    fetcher: SafeFetcher,
    keep_bytes: bool = False,
    max_images: int | None = None,
    max_page_bytes: int | None = None,
    max_image_bytes: int | None = None,
) -> PageCapture:
    """Fetch `url` and its images (at most `max_images`, concurrently) and hash the images.

    Never raises for what the target does: a page that cannot be fetched comes back with
    `error_kind` set, an image that cannot be hashed is listed in `skipped` with the reason.
    Caps default to HOTLINE_CAPTURE_MAX_IMAGES, _MAX_PAGE_BYTES and _MAX_IMAGE_BYTES."""
    images_cap = max_images or settings.HOTLINE_CAPTURE_MAX_IMAGES
    page_cap = max_page_bytes or settings.HOTLINE_CAPTURE_MAX_PAGE_BYTES
    image_cap = max_image_bytes or settings.HOTLINE_CAPTURE_MAX_IMAGE_BYTES
    try:
        return await _capture(
            url,
            fetcher=fetcher,
            keep_bytes=keep_bytes,
            images_cap=images_cap,
            page_cap=page_cap,
            image_cap=image_cap,
        )
    except Exception as error:
        # A page must not take the batch it is in down with it, whatever it provokes.
        logger.warning("a page could not be captured: %s", type(error).__name__)
        return _failed(url, "error", type(error).__name__)


async def _capture(
    url: str,
    *,
    fetcher: SafeFetcher,
    keep_bytes: bool,
    images_cap: int,
    page_cap: int,
    image_cap: int,
) -> PageCapture:
    try:
        # The type is known only from the answer: read as far as an image may go, then keep
        # no more of an HTML page than the page cap.
        page = await fetcher.fetch(url, max_bytes=max(page_cap, image_cap))
    except FetchRefused as error:
        return _failed(url, "refused", error.reason)
    except FetchFailed as error:
        return _failed(url, str(error.kind), error.detail)
    truncated = page.truncated
    images: list[CapturedImage] = []
    skipped: list[tuple[str, str]] = []
    if page.content_type.startswith("image/"):
        found = PageImages("", ())
        async with hashing_gate():
            result = await asyncio.to_thread(image_from, page, keep_bytes=keep_bytes)
        if isinstance(result, CapturedImage):
            images.append(result)
        else:
            skipped.append((page.final_url, result))
    else:
        if len(page.body) > page_cap:
            truncated = True
            page = _cut(page, page_cap)
        found = await asyncio.to_thread(read_page, page)
        wanted, beyond = found.urls[:images_cap], found.urls[images_cap:]
        gate = asyncio.Semaphore(IMAGES_AT_ONCE)

        async def one(image: str) -> CapturedImage | str:
            async with gate:
                return await fetch_image(fetcher, image, max_bytes=image_cap, keep_bytes=keep_bytes)

        results = await asyncio.gather(*(one(image) for image in wanted))
        for image, result in zip(wanted, results, strict=True):
            if isinstance(result, CapturedImage):
                images.append(result)
            else:
                skipped.append((image, result))
        if beyond:
            skipped.append(("", f"beyond_image_cap:{len(beyond)}"))
    if len(skipped) > SKIPPED_LISTED:
        rest = len(skipped) - SKIPPED_LISTED
        skipped = [*skipped[:SKIPPED_LISTED], ("", f"more_skipped:{rest}")]
    return PageCapture(
        requested_url=url,
        final_url=page.final_url,
        status=page.status,
        redirects=page.redirects,
        server_ip=page.server_ip,
        headers=page.headers,
        title=found.title,
        images=tuple(images),
        skipped=tuple(skipped),
        truncated=truncated,
    )


def _cut(page: Fetched, size: int) -> Fetched:
    fields: dict[str, Any] = {**page.__dict__, "body": page.body[:size], "truncated": True}
    return Fetched(**fields)


def _failed(url: str, kind: str, detail: str) -> PageCapture:
    return PageCapture(
        requested_url=url,
        final_url=url,
        status=0,
        redirects=(),
        server_ip="",
        headers={},
        title="",
        images=(),
        skipped=(),
        error_kind=kind,
        error=detail,
    )


def capture(url: str, **kw: Any) -> PageCapture:
    """capture_page from synchronous code (a worker task), with a fetcher of its own.

    Keyword arguments go to capture_page (keep_bytes, max_images, ...)."""

    async def one() -> PageCapture:
        async with SafeFetcher() as fetcher:
            return await capture_page(url, fetcher=fetcher, **kw)

    return run_sync(one())
