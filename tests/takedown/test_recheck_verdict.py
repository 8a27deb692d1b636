"""The re-check verdict (hotline/takedown/recheck.py): gone, present or unknown."""

from __future__ import annotations

import asyncio

from hotline.hashlist.signals import hash_image
from hotline.takedown.fetch import SafeFetcher
from hotline.takedown.recheck import KnownContent, RecheckResult, Verdict, recheck, recheck_many
from tests.world.web import reencoded, shapes


def known(*images: bytes) -> KnownContent:
    hashes = [hash_image(data) for data in images]
    return KnownContent(md5s=frozenset(h.md5 for h in hashes), pdqs=tuple(h.pdq for h in hashes))


def check(url: str, content: KnownContent) -> RecheckResult:
    async def one():
        async with SafeFetcher() as fetcher:
            return await recheck(url, content, fetcher=fetcher)

    return asyncio.run(one())


def gallery(world_web, n: int, data: bytes) -> str:
    world_web.page(f"/g{n}", f"<img src='/logo.png'><img src='/i{n}.png'>", host=f"site-{n}.test")
    world_web.image(f"/i{n}.png", data)
    return world_web.url(f"/g{n}", host=f"site-{n}.test")


def test_content_still_served_is_present(world_web):
    world_web.image("/logo.png", shapes(999))
    url = gallery(world_web, 1, shapes(1))

    result = check(url, known(shapes(1)))

    assert (result.verdict, result.reason, result.status) == (Verdict.PRESENT, "image_matches", 200)


def test_a_page_answering_404_or_410_is_gone(world_web):
    url = gallery(world_web, 2, shapes(2))

    world_web.remove("/g2", status=404, host="site-2.test")
    assert check(url, known(shapes(2))).reason == "status_404"
    world_web.restore("/g2", host="site-2.test")
    world_web.remove("/g2", status=410, host="site-2.test")
    result = check(url, known(shapes(2)))

    assert (result.verdict, result.reason, result.status) == (Verdict.GONE, "status_410", 410)


def test_a_domain_that_no_longer_resolves_is_gone(world_dns):
    result = check("http://deleted-domain.example/page", known(shapes(3)))

    assert (result.verdict, result.reason) == (Verdict.GONE, "no_such_host")


def test_a_page_whose_image_was_removed_is_gone(world_web):
    world_web.image("/logo.png", shapes(999))
    url = gallery(world_web, 4, shapes(4))
    world_web.remove("/i4.png")

    result = check(url, known(shapes(4)))

    assert (result.verdict, result.reason) == (Verdict.GONE, "no_matching_image")


def test_a_page_whose_image_was_replaced_by_another_is_gone(world_web):
    world_web.image("/logo.png", shapes(999))
    url = gallery(world_web, 5, shapes(55))

    assert check(url, known(shapes(5))).verdict == Verdict.GONE


def test_the_same_image_reencoded_at_jpeg_quality_70_is_present(world_web):
    world_web.image("/logo.png", shapes(999))
    url = gallery(world_web, 6, reencoded(shapes(6), quality=70))

    result = check(url, known(shapes(6)))

    assert (result.verdict, result.reason) == (Verdict.PRESENT, "image_matches")


def test_a_page_captured_without_images_is_present_while_it_answers(world_web):
    world_web.page("/text", "<title>words only</title>")

    result = check(world_web.url("/text"), KnownContent(md5s=frozenset(), pdqs=()))

    assert (result.verdict, result.reason) == (Verdict.PRESENT, "page_answers")


def test_a_server_that_does_not_answer_in_time_is_unknown(world_web, settings):
    settings.HOTLINE_FETCH_READ_TIMEOUT = 1
    world_web.slow("/hangs", 3)

    result = check(world_web.url("/hangs"), known(shapes(7)))

    assert (result.verdict, result.reason) == (Verdict.UNKNOWN, "fetch_failed:timeout")


def test_a_server_error_is_unknown_not_gone(world_web):
    world_web.page("/broken", "oops", status=503)

    assert check(world_web.url("/broken"), known(shapes(8))).verdict == Verdict.UNKNOWN


def test_no_image_is_fetched_after_one_matches(world_web):
    world_web.page("/first", "".join(f"<img src='/m{n}.png'>" for n in range(12)))
    for n in range(12):
        world_web.image(f"/m{n}.png", shapes(200 + n))

    result = check(world_web.url("/first"), known(shapes(200)))

    assert result.verdict == Verdict.PRESENT
    assert sum(world_web.hits[f"/m{n}.png"] for n in range(4, 12)) == 0


def test_recheck_many_decides_fifty_urls_at_once(world_web):
    world_web.image("/logo.png", shapes(999))
    items = []
    for n in range(50):
        url = gallery(world_web, 100 + n, shapes(300 + n))
        items.append((n, url, known(shapes(300 + n))))
    for n in range(0, 50, 5):
        world_web.remove(f"/i{100 + n}.png")  # every fifth host took the image down
    items.append((50, "http://gone-domain.example/", known(shapes(1))))

    results = asyncio.run(recheck_many(items, concurrency=20))

    assert len(results) == 51
    gone = {key for key, result in results.items() if result.verdict == Verdict.GONE}
    assert gone == {*range(0, 50, 5), 50}
    assert all(results[n].verdict == Verdict.PRESENT for n in range(50) if n % 5)


def test_recheck_many_never_has_more_connections_open_than_its_concurrency(world_web):
    # More URLs on more hosts than connections, each page with an image: requests queue for
    # the pool, which closes idle connections to other hosts to open new ones.
    pictures = [shapes(400 + n) for n in range(5)]
    items = []
    for n in range(40):
        host = f"many-{n % 13}.test"
        world_web.page(f"/p{n}", f"<img src='/q{n}.png'>", host=host)
        world_web.image(f"/q{n}.png", pictures[n % 5], host=host)
        items.append((n, world_web.url(f"/p{n}", host=host), known(pictures[n % 5])))

    results = asyncio.run(recheck_many(items, concurrency=4))

    assert [results[n].verdict for n in range(40)] == [Verdict.PRESENT] * 40
    assert 0 < world_web.peak_connections <= 4
