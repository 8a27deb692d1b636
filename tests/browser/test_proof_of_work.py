"""The report form's proof of work in Chromium, under the site's own CSP.

With JavaScript on, the page's script fetches a challenge, solves it in Web Workers (SHA-256
through Web Crypto) and the report is stored verified; it says so in the reporter's language
meanwhile. With JavaScript off the same report is stored unverified, with no error.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from hotline.demo.loader import load_demo
from hotline.intake.models import Report
from hotline.portals.models import Portal
from tests.browser.test_public_pages import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFERENCE = re.compile(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def demo(live_server: Any) -> str:
    load_demo()
    return str(live_server.url)


def watch(page: Page) -> tuple[list[str], list[str]]:
    """(every URL the page requests, every CSP complaint), filled in as the page goes."""
    requested: list[str] = []
    refused: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", console)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy refused ' + e.blockedURI + ' (' + e.violatedDirective + ')'))"
    )
    return requested, refused


def test_with_javascript_the_browser_does_the_work_and_the_report_is_verified(
    demo: str, page: Page
) -> None:
    requested, refused = watch(page)
    page.goto(f"{demo}/tn/fr/report/")
    status = page.locator("#pow-status")
    expect(status).to_be_empty()  # nothing to say before the person starts
    page.get_by_label("Adresses web (une par ligne)").fill("http://verified.example/page")
    expect(status).to_have_text("Vérification terminée. Votre signalement est prêt à être envoyé.")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    report = Report.objects.get(reference=page.get_by_test_id("reference").inner_text())
    assert report.verified is True
    assert f"{demo}/tn/fr/report/challenge" in requested
    assert f"{demo}/static/hotline/pow/worker.js" in requested
    assert all(url.startswith(demo) for url in requested), requested
    assert not refused, refused


def test_sending_at_once_waits_for_the_work_and_says_so_in_arabic(
    demo: str, browser: Browser
) -> None:
    context = browser.new_context(locale="ar-TN")
    page = context.new_page()
    _, refused = watch(page)
    page.goto(f"{demo}/tn/ar/report/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("textarea[name=urls]").fill("http://at-once.example/")
    page.get_by_role("button", name="إرسال البلاغ").click()
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    assert Report.objects.get().verified is True
    assert not refused, refused
    context.close()


def test_the_status_speaks_the_reporters_language(demo: str, page: Page) -> None:
    page.goto(f"{demo}/tn/ar/report/")
    status = page.locator("#pow-status")
    for key in ("working", "waiting", "done"):
        text = status.get_attribute(f"data-{key}")
        assert text and re.search(r"[\u0600-\u06ff]", text), (key, text)


def test_without_javascript_the_report_is_stored_unverified(demo: str, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    requested, _ = watch(page)
    page.goto(f"{demo}/tn/fr/report/")
    page.get_by_label("Adresses web (une par ligne)").fill("http://no-script.example/")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    assert Report.objects.get().verified is False
    assert not any("challenge" in url or "worker.js" in url for url in requested)
    context.close()


def test_a_report_held_back_by_a_limit_keeps_what_was_typed_and_passes_axe(
    demo: str, browser: Browser
) -> None:
    # The page a rate limit answers with is the light one a flood gets; it must still serve
    # a person: accessible, in their language, with what they typed ready to send again.
    tn = Portal.objects.get(code="tn")
    tn.options = {**tn.options, "reports_per_client_per_hour": 1}
    tn.save(update_fields=["options"])
    context = browser.new_context(locale="ar-TN", bypass_csp=True)  # axe is injected
    page = context.new_page()
    page.goto(f"{demo}/tn/ar/report/")
    page.locator("textarea[name=urls]").fill("http://first.example/")
    page.get_by_role("button", name="إرسال البلاغ").click()
    expect(page.get_by_test_id("reference")).to_have_text(REFERENCE)
    page.goto(f"{demo}/tn/ar/report/")
    page.locator("textarea[name=urls]").fill("http://second.example/")
    page.get_by_label("صور").check()
    page.get_by_role("button", name="إرسال البلاغ").click()
    expect(page.get_by_role("alert")).to_contain_text("لم يُرسَل بلاغك بعد")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("textarea[name=urls]")).to_have_value("http://second.example/")
    expect(page.locator("input[type=hidden][name=content_seen]")).to_have_value("images")
    assert not axe_violations(page), axe_violations(page)
    assert Report.objects.count() == 1
    context.close()
