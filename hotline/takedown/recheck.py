"""The re-check verdict: is the content a notice asked to remove still there?

Pure rules over what the fetcher saw (issue 11): the content is GONE when the URL answers 404 or
410, when its domain no longer resolves, or when the page still answers but none of its images
matches the captured ones (equal MD5, or PDQ within PDQ_MATCH_THRESHOLD bits, so a re-encoded or
resized copy still counts as present). A page whose capture had no images is PRESENT while it
answers 2xx: there is nothing else to compare. Anything that prevents looking (a timeout, a
refused connection, a server error, an image that could not be fetched) is UNKNOWN: try again
later, never "gone" on a guess.

A URL the fetcher refuses (its domain now points at 127.0.0.1 or 0.0.0.0, as sinkholed domains
often do) is UNKNOWN with reason "refused": the content is unreachable from here, but whether it
was removed is for an analyst to say.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import zlib
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings

from hotline.hashlist.signals import PDQ_MATCH_THRESHOLD, SIGNAL_TYPES
from hotline.takedown.capture import (
    CapturedImage,
    fetch_image_response,
    hashing_gate,
    image_from,
    read_page,
)
from hotline.takedown.fetch import FailureKind, Fetched, FetchFailed, FetchRefused, SafeFetcher

# Images of one page fetched at once while looking for a match: enough to be quick, few enough
# that a page of fifty thumbnails does not take fifty of the batch's connections.
IMAGES_AT_ONCE = 4
GONE_STATUSES = frozenset({404, 410})
# Failures that say nothing about whether an image is still there.
_TRANSIENT = ("fetch_failed:", "refused", "status_5", "status_429", "too_large")


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnownContent:
    """What the capture found: the MD5s and PDQs of the images the notice is about."""

    md5s: frozenset[str]
    pdqs: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.md5s and not self.pdqs

    def matches(self, image: CapturedImage) -> bool:
        """Whether `image` is one of the known images (equal MD5, or PDQ within threshold)."""
        if image.md5 in self.md5s:
            return True
        pdq = SIGNAL_TYPES["pdq"]
        return any(pdq.matches(image.pdq, known, PDQ_MATCH_THRESHOLD) for known in self.pdqs)


class Verdict(StrEnum):
    GONE = "gone"
    PRESENT = "present"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RecheckResult:
    verdict: Verdict
    reason: str  # a short machine code: status_404, no_such_host, image_matches, ...
    status: int  # the page's HTTP status, 0 when none was received
    checked_url: str  # the URL after redirects (the requested one when nothing answered)


async def recheck(url: str, known: KnownContent, *, fetcher: SafeFetcher) -> RecheckResult:
    """Fetch `url` and decide whether the known content is still there (see the module).

    Never raises: whatever a hostile server provokes is UNKNOWN for its own URL, and the rest
    of the round goes on."""
    try:
        return await _recheck(url, known, fetcher=fetcher)
    except Exception as error:
        # Not logged with its traceback: the message may hold the reported address.
        logger.warning("a re-check failed: %s", type(error).__name__)
        return RecheckResult(Verdict.UNKNOWN, "error", 0, url)


async def _recheck(url: str, known: KnownContent, *, fetcher: SafeFetcher) -> RecheckResult:
    page_cap = settings.HOTLINE_CAPTURE_MAX_PAGE_BYTES
    image_cap = settings.HOTLINE_CAPTURE_MAX_IMAGE_BYTES
    try:
        page = await fetcher.fetch(url, max_bytes=max(page_cap, image_cap))
    except FetchRefused:
        return RecheckResult(Verdict.UNKNOWN, "refused", 0, url)
    except FetchFailed as error:
        if error.kind == FailureKind.NO_SUCH_HOST:
            return RecheckResult(Verdict.GONE, "no_such_host", 0, url)
        return RecheckResult(Verdict.UNKNOWN, f"fetch_failed:{error.kind}", 0, url)

    def result(verdict: Verdict, reason: str) -> RecheckResult:
        return RecheckResult(verdict, reason, page.status, page.final_url)

    if page.status in GONE_STATUSES:
        return result(Verdict.GONE, f"status_{page.status}")
    if not 200 <= page.status < 300:
        return result(Verdict.UNKNOWN, f"status_{page.status}")
    if known.empty:
        return result(Verdict.PRESENT, "page_answers")
    if page.content_type.startswith("image/"):
        seen = await _compare(page, known)
        if isinstance(seen, bool):
            return result(*_decided(seen))
        if seen.startswith(_TRANSIENT):
            return result(Verdict.UNKNOWN, f"image_unavailable:{seen}")
        return result(Verdict.GONE, "no_matching_image")
    found = await asyncio.to_thread(read_page, page)
    urls = found.urls[: settings.HOTLINE_CAPTURE_MAX_IMAGES]
    matched, unavailable = await _look_for_match(fetcher, urls, known, image_cap)
    if matched:
        return result(Verdict.PRESENT, "image_matches")
    if unavailable:
        return result(Verdict.UNKNOWN, f"image_unavailable:{unavailable}")
    return result(Verdict.GONE, "no_matching_image")


async def _compare(fetched: Fetched | str, known: KnownContent) -> bool | str:
    """Whether a fetched image is one of the known ones, or why it cannot be told (a reason
    as capture.image_from gives it: "status_404", "too_large", "not_an_image", ...).

    The same bytes as a captured image are a match without decoding them: hashing an image
    (decoding it for PDQ) is most of a re-check's CPU time, and most content still online
    is served unchanged."""
    if isinstance(fetched, str):
        return fetched
    if (
        known.md5s
        and 200 <= fetched.status < 300
        and not fetched.truncated
        and hashlib.md5(fetched.body, usedforsecurity=False).hexdigest() in known.md5s
    ):
        return True
    async with hashing_gate():
        # Decoding is CPU-bound: off the event loop, so the round's fetches go on meanwhile.
        image = await asyncio.to_thread(image_from, fetched)
    return known.matches(image) if isinstance(image, CapturedImage) else image


async def _fetch_and_compare(
    fetcher: SafeFetcher, url: str, known: KnownContent, max_bytes: int
) -> bool | str:
    return await _compare(await fetch_image_response(fetcher, url, max_bytes=max_bytes), known)


def _decided(matched: bool) -> tuple[Verdict, str]:
    return (Verdict.PRESENT, "image_matches") if matched else (Verdict.GONE, "no_matching_image")


async def _look_for_match(
    fetcher: SafeFetcher, urls: tuple[str, ...], known: KnownContent, max_bytes: int
) -> tuple[bool, str]:
    """(whether one of the images matches, the first transient reason an image was not seen).

    Images are fetched IMAGES_AT_ONCE at a time, in page order; no further image is fetched
    once one matches."""
    unavailable = ""
    for start in range(0, len(urls), IMAGES_AT_ONCE):
        batch = urls[start : start + IMAGES_AT_ONCE]
        tasks = [
            asyncio.ensure_future(_fetch_and_compare(fetcher, url, known, max_bytes))
            for url in batch
        ]
        try:
            for finished in asyncio.as_completed(tasks):
                seen = await finished
                if seen is True:
                    return True, ""
                if isinstance(seen, str) and seen.startswith(_TRANSIENT) and not unavailable:
                    unavailable = seen
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return False, unavailable


# Connections one fetcher's pool holds at most: the pool's bookkeeping walks every connection
# each time a request starts or ends, so a round spreads its connections over several pools.
POOL_SIZE = 40


async def recheck_many[K: Hashable](
    items: Iterable[tuple[K, str, KnownContent]], *, concurrency: int = 200
) -> dict[K, RecheckResult]:
    """Re-check many URLs, at most `concurrency` pages (and connections) at once.

    `items` are (key, url, known content); the result maps each key to its RecheckResult.
    The connections are shared among fetchers of at most POOL_SIZE each, a host always with
    the same fetcher (so its connections are reused), each fetcher taking its share of the
    pages at once: never more than `concurrency` connections in all."""
    pools = max(1, -(-concurrency // POOL_SIZE))
    share = [concurrency // pools + (1 if n < concurrency % pools else 0) for n in range(pools)]
    share = [size for size in share if size > 0]
    results: dict[K, RecheckResult] = {}
    async with contextlib.AsyncExitStack() as stack:
        fetchers = [
            await stack.enter_async_context(SafeFetcher(max_connections=size)) for size in share
        ]
        limits = [asyncio.Semaphore(size) for size in share]

        async def one(key: K, url: str, known: KnownContent) -> None:
            n = _pool_of(url, len(fetchers))
            async with limits[n]:
                results[key] = await recheck(url, known, fetcher=fetchers[n])

        await asyncio.gather(*(one(key, url, known) for key, url, known in items))
    return results


def _pool_of(url: str, pools: int) -> int:
    """The fetcher a URL's host goes through: always the same one for a host."""
    host = urlsplit(url).hostname or ""
    return zlib.crc32(host.encode("utf-8", "replace")) % pools
