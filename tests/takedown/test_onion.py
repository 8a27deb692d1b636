"""`.onion` addresses are fetched through the configured proxy (a Tor client's SOCKS port;
here the test world's stand-in), which resolves them itself; other addresses never go
through it. Without a proxy they are refused (tests/takedown/test_fetch_safety.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from hotline.takedown.capture import PageCapture, capture_page
from hotline.takedown.fetch import SafeFetcher
from tests.world.socks import WorldSocks
from tests.world.web import WorldWeb, shapes

ONION = "exampleonionaddressforthetestworldxxxxxxxxxxxxxxxxxxxxxx.onion"


@pytest.fixture
def tor(world_web: WorldWeb, settings: Any) -> Iterator[WorldSocks]:
    with WorldSocks(web_port=world_web.port) as proxy:
        settings.HOTLINE_FETCH_PROXY = proxy.url
        yield proxy


def capture(url: str) -> PageCapture:
    async def run() -> PageCapture:
        async with SafeFetcher() as fetcher:
            return await capture_page(url, fetcher=fetcher)

    return asyncio.run(run())


def test_an_onion_page_and_its_images_are_captured_through_the_proxy(
    tor: WorldSocks, world_web: WorldWeb
) -> None:
    world_web.page("/board", "<title>Hidden</title><img src='/i.png'>", host=ONION)
    world_web.image("/i.png", shapes(3), host=ONION)
    page = capture(f"http://{ONION}:{world_web.port}/board")
    assert (page.error_kind, page.status, page.title, len(page.images)) == ("", 200, "Hidden", 1)
    # The proxy was asked for the name itself (it resolves it), for the page and its image.
    assert tor.asked == [(ONION, world_web.port)] * len(tor.asked) and len(tor.asked) >= 1
    assert page.server_ip == ""  # the proxy chose where to connect


def test_other_addresses_do_not_go_through_the_proxy(tor: WorldSocks, world_web: WorldWeb) -> None:
    world_web.page("/plain", "<title>Plain</title>", host="plain.test")
    page = capture(world_web.url("/plain", host="plain.test"))
    assert (page.status, page.title) == (200, "Plain")
    assert tor.asked == []
