"""What a hostile site serves must cost it its own capture or re-check at most, never the
batch it is in, the machine's memory or another site's privacy (from a security review of
the fetcher: each of these once crashed a round, stalled it or leaked)."""

from __future__ import annotations

import asyncio

import pytest

from hotline.hashlist.signals import NotAnImage, hash_image
from hotline.takedown.capture import PageCapture, capture_page
from hotline.takedown.fetch import SafeFetcher
from hotline.takedown.recheck import KnownContent, Verdict, recheck_many
from tests.world.web import WorldWeb, shapes


def capture_all(*urls: str) -> list[PageCapture]:
    async def run() -> list[PageCapture]:
        async with SafeFetcher() as fetcher:
            return list(await asyncio.gather(*(capture_page(u, fetcher=fetcher) for u in urls)))

    return asyncio.run(run())


def hostile(world_web: WorldWeb) -> dict[str, str]:
    """Pages that once escaped capture_page with an exception, by what they do."""
    world_web.image("/ok.png", shapes(5))
    world_web.page("/decl", "<img src='/ok.png'> <![x", host="decl.test")
    world_web.page("/idna", "<img src='http://xn--n3h.test/i.png'><img src='/ok.png'>")
    world_web.page("/port", "<img src='http://site.test:99999/i.png'><img src='/ok.png'>")
    world_web.redirect("/away", "http://site.test:70000/", host="away.test")
    return {
        "bogus-declaration": world_web.url("/decl", host="decl.test"),
        "invalid-idna-image": world_web.url("/idna", host="idna.test"),
        "port-out-of-range-image": world_web.url("/port", host="port.test"),
        "redirect-to-port-out-of-range": world_web.url("/away", host="away.test"),
    }


def test_hostile_pages_are_captured_or_refused_one_by_one(world_web: WorldWeb) -> None:
    pages = hostile(world_web)
    world_web.page("/fine", "<title>Fine</title><img src='/ok.png'>", host="fine.test")
    *odd, fine = capture_all(*pages.values(), world_web.url("/fine", host="fine.test"))
    assert (fine.title, len(fine.images)) == ("Fine", 1)
    decl, idna, port, away = odd
    assert len(decl.images) == 1
    assert len(idna.images) == 1 and ("http://xn--n3h.test/i.png", "refused") in idna.skipped
    assert len(port.images) == 1 and port.skipped[0][1] == "refused"
    assert away.error_kind == "refused"


def test_a_hostile_page_costs_the_recheck_round_nothing_else(world_web: WorldWeb) -> None:
    pages = hostile(world_web)
    world_web.page("/fine", "<img src='/ok.png'>", host="fine.test")
    known = KnownContent(md5s=frozenset({hash_image(shapes(5)).md5}), pdqs=())
    items = [(name, url, known) for name, url in pages.items()]
    items.append(("fine", world_web.url("/fine", host="fine.test"), known))
    results = asyncio.run(recheck_many(items, concurrency=10))
    assert set(results) == {*pages, "fine"}
    assert results["fine"].verdict == Verdict.PRESENT
    assert results["bogus-declaration"].verdict == Verdict.PRESENT


@pytest.mark.timeout(60)
def test_a_page_built_to_make_parsers_slow_is_read_in_linear_time(world_web: WorldWeb) -> None:
    # Quadratic in the standard library's parser before Python 3.13.5: hours for 2 MB.
    world_web.page("/slow", "<a" * 1_000_000, host="slow.test")
    [page] = capture_all(world_web.url("/slow", host="slow.test"))
    assert (page.status, page.error_kind, page.images) == (200, "", ())


def test_an_image_claiming_too_many_pixels_is_not_decoded() -> None:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (6000, 6000)).save(out, format="PNG")  # 36 Mpx, a few kilobytes
    with pytest.raises(NotAnImage, match="more than"):
        hash_image(out.getvalue())


def test_cookies_from_one_site_never_reach_another(world_web: WorldWeb) -> None:
    world_web.page("/a", "<title>A</title>", host="a.example.test", cookie="s=1; Domain=.test")
    world_web.page("/b", "<title>B</title>", host="b.example.test")

    async def run() -> None:
        async with SafeFetcher() as fetcher:
            await fetcher.fetch(world_web.url("/a", host="a.example.test"))
            await fetcher.fetch(world_web.url("/b", host="b.example.test"))

    asyncio.run(run())
    assert world_web.cookies_seen == ["", ""]
