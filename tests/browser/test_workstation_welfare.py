"""The analyst's welfare in Chromium: a case page never touches the reported site, its
heartbeat counts only while it shows, the break reminder appears and goes without a reload,
and captured images stay grey and blurred until revealed one at a time."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, Route, expect

from hotline.assessment import welfare
from hotline.assessment.models import ExposureDay
from hotline.assessment.welfare import Preview
from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.intake.actions import file_report
from hotline.portals.models import Portal
from tests.assessment.test_welfare import visible_for
from tests.browser.test_public_pages import axe_violations
from tests.conftest import Analyst, make_analyst, run_worker

# "Today" in these tests is the exposure day, counted back from now: a clock at noon.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("daytime"),
]

STATIC = Path(__file__).resolve().parents[2] / "hotline" / "static" / "hotline"


class Probe:
    """A web server on loopback that plays the reported site and notes every request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        probe = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                probe.requests.append(self.path)
                body = b"<!doctype html><title>reported page</title>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_HEAD = do_POST = do_OPTIONS = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def probe() -> Iterator[Probe]:
    probe = Probe()
    thread = threading.Thread(target=probe.server.serve_forever, daemon=True)
    thread.start()
    yield probe
    probe.server.shutdown()
    probe.server.server_close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # The staff pages speak the browser's language until the analyst picks one: English here.
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def sign_in(page: Page, base: str, analyst: Analyst) -> None:
    page.goto(f"{base}/staff/login/")
    page.get_by_label("Username").fill(analyst.user.username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_label("Authenticator code").fill(analyst.code())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessment queue")


def open_case(page: Page, tn: Portal, url: str, description: str = "") -> Case:
    file_report(portal=tn, language="fr", urls=[(url, url)], description=description)
    run_worker()
    case = Case.objects.get(canonical_url=url)
    page.reload()
    page.get_by_role("button", name=f"Assess case #{case.pk}").click()
    expect(page.get_by_test_id("case-url")).to_have_text(url)
    return case


def hide(page: Page, hidden: bool) -> None:
    """What the browser does when the analyst switches tab or program (headless Chromium
    never hides a page by itself). Shown again, the page has the browser's own visibility
    back: it must turn "hidden" by itself when the page is left, as in a real browser (an
    override left saying "visible" made the leave send a "visible" beat beside the "hidden"
    one, and whichever the server handled last won)."""
    page.evaluate(
        """hidden => {
            if (hidden) {
                Object.defineProperty(document, "visibilityState",
                    {configurable: true, get: () => "hidden"});
            } else {
                delete document.visibilityState;
            }
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        hidden,
    )


def is_heartbeat(request: Any) -> bool:
    return bool(request.url.endswith("/staff/welfare/heartbeat/"))


def test_opening_a_case_sends_nothing_to_the_reported_site(
    page: Page, live_server: Any, tn: Portal, probe: Probe
) -> None:
    base = str(live_server.url)
    alice = make_analyst("alice", ["tn"])
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, base, alice)
    reported = probe.url("/reported/gallery.html")
    open_case(page, tn, reported, description=f"More at {probe.url('/in-description.jpg')}")
    page.get_by_test_id("case-url").click()  # an analyst may click the address: it is text
    page.get_by_test_id("case-url").hover()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)
    assert probe.requests == []
    assert requested and all(url.startswith(base) for url in requested), requested
    leave(page, alice)
    # The probe is not deaf: a browser sent to the address is seen at once.
    page.goto(reported)
    assert probe.requests[0] == "/reported/gallery.html"


def leave(page: Page, analyst: Analyst) -> None:
    """Leave the case page: its last beat says so (a keepalive request, which outlives the
    page). Waiting for it also lets the server finish with the database before the test's
    teardown empties it."""
    page.goto("about:blank")
    for _ in range(300):  # up to 30 s: a loaded CI machine answers slowly
        if not ExposureDay.objects.get(analyst=analyst.user).showing:
            return
        time.sleep(0.1)
    raise AssertionError("the page sent no beat as it was left")


def test_the_case_page_beats_while_shown_and_shows_the_reminder_without_a_reload(
    page: Page, live_server: Any, tn: Portal
) -> None:
    base = str(live_server.url)
    alice = make_analyst("alice", ["tn"])
    sign_in(page, base, alice)
    open_case(page, tn, "http://heartbeat.example/")
    reminder = page.locator('[data-welfare-banner="reminder"]')
    expect(reminder).to_be_hidden()
    assert ExposureDay.objects.get(analyst=alice.user).showing  # the server counted the page
    page.get_by_label("Notes").fill("half-written notes")

    with page.expect_request(is_heartbeat) as hidden_beat:
        hide(page, True)
    assert 'name="state"\r\n\r\nhidden' in (hidden_beat.value.post_data or "")
    assert hidden_beat.value.response().json() == {  # type: ignore[union-attr]
        "reminder_due": False,
        "limit_reached": False,
    }
    assert not ExposureDay.objects.get(analyst=alice.user).showing

    # An hour of looking at cases (counted here as the page would have counted it)...
    visible_for(alice, 61, ending=timezone.now() + timedelta(minutes=61))
    # ...and the next beat brings the reminder onto the page, the notes still there.
    with page.expect_request(is_heartbeat) as visible_beat:
        hide(page, False)
    assert visible_beat.value.response().json()["reminder_due"] is True  # type: ignore[union-attr]
    expect(reminder).to_be_visible()
    expect(reminder).to_contain_text("without a break")
    page.get_by_role("button", name="Dismiss this reminder").click()
    expect(reminder).to_be_hidden()
    expect(page.get_by_label("Notes")).to_have_value("half-written notes")
    assert AuditEvent.objects.filter(action="assessment.break_reminder_dismissed").count() == 1
    leave(page, alice)


def png(shade: int) -> bytes:
    image = Image.new("RGB", (160, 120), (shade, 80, 200 - shade))
    ImageDraw.Draw(image).ellipse((30, 20, 130, 100), fill=(240, 200, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_previews_stay_grey_and_blurred_until_revealed_one_at_a_time(browser: Browser) -> None:
    # The partial, the stylesheet and the script as the site serves them, under its CSP, on a
    # stand-in origin (capture does not exist yet, so no case has previews to show).
    previews = [
        Preview(src=f"/staff/previews/7/{n}.png", label=f"Captured image {n}") for n in (1, 2, 3)
    ]
    body = render_to_string("assessment/_previews.html", {"previews": previews})
    policy = Client().get("/staff/login/")["Content-Security-Policy"]
    files = {
        "/case": (
            "text/html",
            (
                '<!doctype html><html lang="en"><head><title>Case</title>'
                '<link rel="stylesheet" href="/static/hotline/hotline.css">'
                '<script src="/static/hotline/staff/welfare.js" defer></script>'
                f"</head><body><main>{body}</main></body></html>"
            ).encode(),
        ),
        "/static/hotline/hotline.css": ("text/css", (STATIC / "hotline.css").read_bytes()),
        "/static/hotline/staff/welfare.js": (
            "text/javascript",
            (STATIC / "staff" / "welfare.js").read_bytes(),
        ),
        **{p.src: ("image/png", png(60 * n)) for n, p in enumerate(previews)},
    }

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix("http://staff.test")
        content_type, content = files[path]
        route.fulfill(
            status=200,
            body=content,
            headers={"Content-Type": content_type, "Content-Security-Policy": policy},
        )

    context = browser.new_context()
    page = context.new_page()
    page.route("http://staff.test/**", serve)
    page.goto("http://staff.test/case")
    images = page.locator(".preview-image")
    expect(images).to_have_count(3)

    def shown() -> list[bool]:
        filters = images.evaluate_all("els => els.map(e => getComputedStyle(e).filter)")
        for value in filters:
            assert value == "none" or ("grayscale(1)" in value and "blur(" in value), value
        return [value == "none" for value in filters]

    assert shown() == [False, False, False]
    second = page.get_by_role("button", name="Reveal image 2")
    second.click()
    assert shown() == [False, True, False]
    expect(second).to_have_attribute("aria-pressed", "true")
    # By keyboard: the third revealed, the second blurred again.
    page.get_by_role("button", name="Reveal image 3").focus()
    page.keyboard.press("Enter")
    assert shown() == [False, False, True]
    expect(second).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Escape")
    assert shown() == [False, False, False]
    page.get_by_role("button", name="Reveal image 1").press("Space")
    assert shown() == [True, False, False]
    page.get_by_role("button", name="Reveal image 1").click()  # pressed again: blurred
    assert shown() == [False, False, False]
    page.get_by_role("button", name="Reveal image 1").click()
    hide(page, True)  # leaving the page blurs what was revealed
    assert shown() == [False, False, False]
    context.close()

    audit = browser.new_context(bypass_csp=True)
    audit_page = audit.new_page()
    audit_page.route("http://staff.test/**", serve)
    audit_page.goto("http://staff.test/case")
    assert axe_violations(audit_page) == []
    audit.close()


def test_the_welfare_overview_passes_axe(browser: Browser, live_server: Any, tn: Portal) -> None:
    alice = make_analyst("alice", ["tn"])
    visible_for(alice, 65, ending=timezone.now())
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    sign_in(page, str(live_server.url), alice)
    page.goto(f"{live_server.url}/staff/welfare/")
    expect(page.get_by_test_id("my-exposure")).to_contain_text("1 h 05 min with cases open")
    expect(page.locator('[data-welfare-banner="reminder"]')).to_be_visible()
    assert axe_violations(page) == []
    context.close()
    assert welfare.exposure_today(alice.user).reminder_due
