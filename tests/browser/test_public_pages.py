"""Quality bars of every public page, in Chromium: accessible, JavaScript-free, private, light.

Every page of every demo portal in every language is checked with axe-core (WCAG 2.1 AA), with
JavaScript switched off, and for requests to anyone but the site itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from hotline.demo.loader import DEMO_PORTALS, load_demo
from hotline.portals.models import Portal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PAGES = ["", "report/", "status/", "help/", "partners/", "privacy/", "accessibility/", "figures/"]
PAGE_WEIGHT_LIMIT = 60_000  # bytes on the wire, cold cache


def public_paths() -> list[str]:
    paths = ["/", "/nowhere/"]
    for portal in Portal.objects.filter(code__in=DEMO_PORTALS).order_by("code"):
        for language in portal.languages:
            paths += [f"/{portal.code}/{language}/{page}" for page in PAGES]
        paths.append(f"/{portal.code}/xx/")  # the portal's 404
    return paths


@pytest.fixture
def demo(live_server: Any) -> str:
    load_demo()
    return str(live_server.url)


@pytest.fixture
def audit_context(browser: Browser) -> Iterator[BrowserContext]:
    # axe-core is injected into the page, which the site's own CSP rightly refuses.
    context = browser.new_context(bypass_csp=True)
    yield context
    context.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


def dangling_describedby(page: Page) -> list[str]:
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('[aria-describedby]')].flatMap(el =>
                el.getAttribute('aria-describedby').split(/\\s+/)
                  .filter(id => id && !document.getElementById(id)))"""
        )
    )


def test_every_public_page_passes_axe_at_wcag_21_aa(
    demo: str, audit_context: BrowserContext
) -> None:
    page = audit_context.new_page()
    failures: dict[str, Any] = {}
    paths = public_paths()
    for path in paths:
        page.goto(demo + path)
        problems = axe_violations(page)
        if dangling := dangling_describedby(page):
            problems.append({"id": "aria-describedby", "missing": dangling})
        if problems:
            failures[path] = problems
    # The report form with its errors showing, in a right-to-left language.
    page.goto(f"{demo}/tn/ar/report/")
    page.get_by_role("button").last.click()
    expect(page.locator(".error-summary")).to_be_visible()
    if problems := axe_violations(page) + [{"missing": d} for d in dangling_describedby(page)]:
        failures["/tn/ar/report/ (errors)"] = problems
    assert len(paths) >= 40
    assert not failures, failures


def test_the_status_email_option_passes_axe_with_its_errors(
    demo: str, audit_context: BrowserContext, settings: Any
) -> None:
    # Offered only with a mail server configured; nothing is sent in this test.
    settings.MAILERS = {"default": {"OPTIONS": {"host": "127.0.0.1", "port": 9}}}
    page = audit_context.new_page()
    page.goto(f"{demo}/tn/ar/report/")
    page.locator("#id_status_email_consent").check()  # ticked, but no address
    page.get_by_role("button").last.click()
    expect(page.locator("#id_status_email_error")).to_be_visible()
    problems = axe_violations(page) + [{"missing": d} for d in dangling_describedby(page)]
    assert not problems, problems


def test_every_public_page_works_with_javascript_off(demo: str, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    for path in public_paths():
        response = page.goto(demo + path)
        assert response is not None
        assert response.status == (404 if "nowhere" in path or "/xx/" in path else 200), path
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The whole reporting path, without a line of script.
    page.goto(f"{demo}/")
    page.get_by_role("link", name="Portail de signalement de la Tunisie").click()
    page.get_by_role("link", name="Signaler une adresse web").first.click()
    page.get_by_label("Adresses web (une par ligne)").fill("http://nojs.example/page")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_test_id("reference")).to_have_text(
        __import__("re").compile(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}")
    )
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    context.close()


def test_no_request_leaves_for_a_third_party(demo: str, page: Page) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for path in public_paths():
        page.goto(demo + path)
    assert requested and all(url.startswith(demo) for url in requested), {
        url for url in requested if not url.startswith(demo)
    }


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_the_report_page_weighs_under_60_kb_on_a_cold_cache(
    demo: str, browser: Browser, language: str
) -> None:
    context = browser.new_context()  # a new context: empty cache
    page = context.new_page()
    responses = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.goto(f"{demo}/tn/{language}/report/", wait_until="networkidle")
    weight = 0
    for request in responses:
        sizes = request.sizes()
        weight += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    context.close()
    print(f"/tn/{language}/report/: {weight} bytes in {len(responses)} requests")
    assert len(responses) >= 2  # the page and its stylesheet at least
    assert weight <= PAGE_WEIGHT_LIMIT, f"{weight} bytes in {len(responses)} requests"


def test_a_report_can_be_made_with_the_keyboard_alone(demo: str, page: Page) -> None:
    page.goto(f"{demo}/tn/en/report/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    # Tab through to the addresses field, type, and send with the keyboard.
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "urls":
            break
    page.keyboard.type("http://keyboard.example/only")
    page.keyboard.press("Tab")  # what was seen: the first box
    page.keyboard.press("Space")
    expect(page.get_by_label("Images")).to_be_checked()
    for _ in range(20):  # on through the other fields to the button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    expect(page.get_by_role("button", name="Send report")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("reference")).to_be_visible()


def test_arabic_errors_keep_web_addresses_left_to_right(demo: str, page: Page) -> None:
    page.goto(f"{demo}/tn/ar/report/")
    page.locator("textarea[name=urls]").fill("javascript:alert(1)")
    page.get_by_role("button").last.click()
    isolated = page.locator('.error-summary bdi[dir="ltr"]')
    expect(isolated.first).to_have_text("http://")
    expect(isolated.nth(1)).to_have_text("https://")
    # In the layout, "http://" reads left to right: its "h" is left of its "//".
    box_h, box_slash = page.evaluate(
        """() => {
            const bdi = document.querySelector('.error-summary bdi');
            const range = document.createRange();
            range.setStart(bdi.firstChild, 0); range.setEnd(bdi.firstChild, 1);
            const h = range.getBoundingClientRect().left;
            range.setStart(bdi.firstChild, 5); range.setEnd(bdi.firstChild, 6);
            return [h, range.getBoundingClientRect().left];
        }"""
    )
    assert box_h < box_slash


def test_the_portals_colour_reaches_the_page_under_the_csp(demo: str, page: Page) -> None:
    # The colour travels in a nonce'd <style>; a CSP that refused it would leave the default.
    page.goto(f"{demo}/tn/fr/")
    colour = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert colour == "rgb(163, 20, 31)"
