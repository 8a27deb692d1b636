"""The workstation never loads a reported address: no embed, no link, no prefetch, and a CSP
that would stop one anyway. Captured previews are only the hotline's own copies, blurred."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template.loader import render_to_string
from django.test import Client

from hotline.assessment.welfare import Preview
from hotline.cases.models import Case
from hotline.intake.actions import file_report
from hotline.portals.models import Portal
from tests.assessment.test_queue import report
from tests.conftest import run_worker

REPORTED = "http://reported-host.test/gallery/index.html?album=7"
# Tags that fetch or show another document or media by themselves.
EMBEDDING = {"img", "iframe", "frame", "object", "embed", "video", "audio", "source", "track"}
# Attributes a browser follows or fetches.
ADDRESSES = {"src", "href", "srcset", "action", "formaction", "data", "poster", "ping", "cite"}


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    return page


def addresses(page: Page) -> list[tuple[str, str, str]]:
    return [
        (tag, name, value)
        for tag, attrs in page.tags
        for name, value in attrs.items()
        if name in ADDRESSES
    ]


def assert_loads_nothing_from_elsewhere(html: str) -> Page:
    page = parse(html)
    embedded = [tag for tag, _ in page.tags if tag in EMBEDDING]
    assert not embedded, f"the case page embeds {embedded}"
    for tag, name, value in addresses(page):
        assert "reported-host" not in value, f"<{tag} {name}={value!r}> names the reported host"
        # Same origin only: a path ("/static/...") or a fragment, never "//host" or "http:".
        assert value.startswith(("/", "#")) and not value.startswith("//"), (tag, name, value)
    links = [attrs for tag, attrs in page.tags if tag == "link"]
    hints = [attrs for attrs in links if attrs.get("rel") not in ("stylesheet", "icon")]
    assert not hints, f"prefetch/preconnect/preload hints: {hints}"
    return page


@pytest.mark.parametrize("claimed", [False, True])
def test_the_case_page_shows_the_reported_address_as_text_only(
    claimed: bool, alice_client: Client, tn: Portal
) -> None:
    file_report(
        portal=tn,
        language="fr",
        urls=[(REPORTED, REPORTED)],
        description=f"See {REPORTED} and http://reported-host.test/more.jpg",
    )
    run_worker()
    case = Case.objects.get(canonical_url=REPORTED)
    if claimed:
        alice_client.post(f"/staff/cases/{case.pk}/claim/")
    html = alice_client.get(f"/staff/cases/{case.pk}/").content.decode()
    page = assert_loads_nothing_from_elsewhere(html)
    # The search is not blind: the page does link and load its own things, and shows the
    # address and the description, as text.
    assert {"href", "src", "action"} <= {name for _, name, _ in addresses(page)}
    text = "".join(page.text)
    assert REPORTED in text and "http://reported-host.test/more.jpg" in text


def test_staff_pages_forbid_remote_images_frames_and_media(
    alice_client: Client, tn: Portal
) -> None:
    (case,) = report(tn, REPORTED)
    response = alice_client.get(f"/staff/cases/{case.pk}/")
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    }
    assert policy["default-src"] == ["'none'"]
    # Images: the site itself and inline data, nothing from elsewhere.
    assert policy["img-src"] == ["'self'", "data:"]
    # Frames, media, objects and prefetches fall back to default-src 'none'.
    for fallback in ("frame-src", "child-src", "media-src", "object-src", "prefetch-src"):
        assert fallback not in policy
    assert policy["connect-src"] == ["'self'"]  # the heartbeat, and nothing else
    assert policy["frame-ancestors"] == ["'none'"]
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    "src",
    [
        REPORTED,
        "//reported-host.test/a.jpg",
        "/static/x.png",
        "/staff/previews//reported-host.test/a.jpg",
        "/staff/previews/../cases/1/",
        "/staff/previews/a.jpg?u=http://reported-host.test/",
        "/staff/previews/a\\b.jpg",
        "javascript:alert(1)",
    ],
)
def test_a_preview_is_only_ever_the_hotlines_own_copy(src: str) -> None:
    with pytest.raises(ValueError, match="the hotline's own copy under /staff/previews/"):
        Preview(src=src, label="Captured image")


def test_previews_render_blurred_with_a_reveal_button_each() -> None:
    previews = [Preview(src=f"/staff/previews/case-7/{n}.png", label=f"Image {n}") for n in (1, 2)]
    html = render_to_string("assessment/_previews.html", {"previews": previews})
    page = parse(html)
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert [image["src"] for image in images] == [p.src for p in previews]
    assert all(image["class"] == "preview-image" for image in images)  # grey and blurred (CSS)
    assert all(image["referrerpolicy"] == "no-referrer" for image in images)
    buttons = [attrs for tag, attrs in page.tags if tag == "button"]
    assert [b["aria-pressed"] for b in buttons] == ["false", "false"]
    assert "Reveal image 2" in "".join(page.text)
    assert render_to_string("assessment/_previews.html", {"previews": []}).strip() == ""
