"""Evidence capture (hotline/takedown/capture.py) against the test world's web server."""

from __future__ import annotations

import asyncio

from hotline.hashlist.signals import hash_image
from hotline.takedown.capture import capture, capture_page
from hotline.takedown.fetch import SafeFetcher
from tests.world.web import noise, shapes, text


def run_capture(url: str, **kw):
    async def one():
        async with SafeFetcher() as fetcher:
            return await capture_page(url, fetcher=fetcher, **kw)

    return asyncio.run(one())


GALLERY = """<!doctype html><html><head><title> The   gallery </title>
<meta property="og:image" content="/og.png"></head><body>
<img src="img/a.png">
<img srcset="/b-1x.png 1x, /b-2x.png 2x" src="img/a.png">
<a href="/full/c.jpg?size=big">full size</a>
<a href="/about.html">about</a>
<script>document.write('<img src="/js.png">')</script>
</body></html>"""


def test_a_page_is_captured_with_every_kind_of_image_and_correct_hashes(world_web):
    files = {
        "/pics/img/a.png": shapes(1),
        "/b-1x.png": shapes(2),
        "/b-2x.png": noise(3),
        "/og.png": text("og image"),
        "/full/c.jpg": shapes(4, "JPEG", quality=90),
    }
    world_web.page("/pics/index.html", GALLERY, host="site-1.test")
    for path, data in files.items():
        world_web.image(path, data)

    page = capture(world_web.url("/pics/index.html", host="site-1.test"))

    assert page.error_kind == ""
    assert page.status == 200
    assert page.title == "The gallery"
    assert page.server_ip == "127.0.0.1"
    assert page.headers["content-type"].startswith("text/html")
    by_url = {image.url: image for image in page.images}
    expected = {world_web.url(path, host="site-1.test"): data for path, data in files.items()}
    # The direct link keeps its query string; the script's image is never seen.
    expected[world_web.url("/full/c.jpg?size=big", host="site-1.test")] = expected.pop(
        world_web.url("/full/c.jpg", host="site-1.test")
    )
    assert set(by_url) == set(expected)
    for url, data in expected.items():
        hashes = hash_image(data)
        image = by_url[url]
        assert (image.md5, image.sha256, image.pdq) == (hashes.md5, hashes.sha256, hashes.pdq)
        assert (image.width, image.height) == (hashes.width, hashes.height)
        assert image.data is None  # not kept unless asked
    assert world_web.hits["/js.png"] == 0


def test_the_redirect_chain_is_recorded_and_images_resolve_against_the_final_url(world_web):
    world_web.redirect("/short", "/long/page")
    world_web.page("/long/page", "<title>t</title><img src='x.png'>")
    world_web.image("/long/x.png", shapes(5))

    page = run_capture(world_web.url("/short"))

    assert page.redirects == (world_web.url("/long/page"),)
    assert page.final_url == world_web.url("/long/page")
    assert [image.url for image in page.images] == [world_web.url("/long/x.png")]


def test_a_url_that_is_an_image_is_captured_as_the_image(world_web):
    data = shapes(6)
    world_web.image("/direct.png", data)

    page = run_capture(world_web.url("/direct.png"), keep_bytes=True)

    (image,) = page.images
    assert image.sha256 == hash_image(data).sha256
    assert image.data == data


def test_images_that_are_not_images_or_are_missing_are_skipped_with_the_reason(world_web):
    world_web.page("/p", "<img src='/fake.png'><img src='/gone.png'><img src='/ok.png'>")
    world_web.raw("/fake.png", b"<html>surprise</html>", "image/png")
    world_web.image("/ok.png", shapes(7))

    page = run_capture(world_web.url("/p"))

    assert dict(page.skipped) == {
        world_web.url("/fake.png"): "not_an_image",
        world_web.url("/gone.png"): "status_404",
    }
    assert [image.url for image in page.images] == [world_web.url("/ok.png")]


def test_a_page_beyond_the_size_cap_is_read_up_to_the_cap(world_web):
    filler = "<p>" + "x" * 5000 + "</p>"
    world_web.page(
        "/long", f"<title>big</title><img src='/early.png'>{filler}<img src='/late.png'>"
    )
    world_web.image("/early.png", shapes(8))
    world_web.image("/late.png", shapes(9))

    page = run_capture(world_web.url("/long"), max_page_bytes=2000, max_image_bytes=100_000)

    assert page.truncated
    assert [image.url for image in page.images] == [world_web.url("/early.png")]
    assert world_web.hits["/late.png"] == 0


def test_an_image_beyond_the_image_size_cap_is_skipped_as_too_large(world_web):
    world_web.page("/p", "<img src='/huge.png'>")
    world_web.image("/huge.png", noise(10, size=(256, 256)))

    page = run_capture(world_web.url("/p"), max_image_bytes=10_000, max_page_bytes=10_000)

    assert page.skipped == ((world_web.url("/huge.png"), "too_large"),)


def test_no_more_images_than_the_cap_are_fetched(world_web):
    world_web.page("/many", "".join(f"<img src='/i{n}.png'>" for n in range(10)))
    for n in range(10):
        world_web.image(f"/i{n}.png", shapes(100 + n))

    page = run_capture(world_web.url("/many"), max_images=3)

    assert [image.url for image in page.images] == [world_web.url(f"/i{n}.png") for n in range(3)]
    assert [reason for _url, reason in page.skipped] == ["beyond_image_cap:7"]
    assert sum(world_web.hits[f"/i{n}.png"] for n in range(3, 10)) == 0


def test_a_page_that_cannot_be_fetched_is_a_capture_with_the_error(world_dns):
    page = capture("http://nowhere.example/")

    assert (page.status, page.error_kind) == (0, "no_such_host")
    refused = capture("http://10.0.0.1/")
    assert refused.error_kind == "refused"


def test_synchronous_callers_work_even_inside_a_running_event_loop():
    # A worker task called from code that is itself driven by an event loop (Playwright's
    # sync API in the test suite does this) must not fail with "cannot be called from a
    # running event loop".
    from hotline.takedown.fetch import run_sync

    async def answer():
        return 42

    async def driver():
        return run_sync(answer())

    assert asyncio.run(driver()) == 42
