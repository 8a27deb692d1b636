"""No trace of the reporter: the whole path in Chromium, then a search of everything kept.

The browser reports from a known address (forwarded by a trusted proxy, as in production) with
a known user agent; afterwards neither appears in any table of the database, in the cache, in
the session store or in any log record written meanwhile. The e-mail address given for the
status message is in its own row only.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
from io import StringIO
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from playwright.sync_api import Browser, expect

from hotline.demo.loader import load_demo
from tests.conftest import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADDRESS = "203.0.113.213"
AGENT = "Mozilla/5.0 HotlinePrivacyProbe/7f3a9c"
EMAIL = "privacy-probe-5c1e@mail.example"


def everything_kept() -> str:
    dump = StringIO()
    call_command("dumpdata", "--natural-foreign", stdout=dump)
    text = dump.getvalue()
    # Session data is signed base64: decode every such blob to search inside it too.
    for blob in re.findall(r'"session_data": "([^"]+)"', text):
        payload = blob.split(":")[0]
        with contextlib.suppress(ValueError):
            text += base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("latin-1")
    text += " ".join(f"{key}={value}" for key, value in cache._cache.items())  # type: ignore[attr-defined]
    return text


def test_no_address_or_user_agent_is_kept_anywhere(
    browser: Browser, live_server: Any, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.HOTLINE_TRUSTED_PROXY_HOPS = 1  # the live server plays the part of the proxy
    # A mail server, so the form offers the status message (none is sent in this test).
    settings.MAILERS = {"default": {"OPTIONS": {"host": "127.0.0.1", "port": 9}}}
    load_demo()
    base = str(live_server.url)
    caplog.set_level(logging.DEBUG)
    context = browser.new_context(
        user_agent=AGENT, extra_http_headers={"X-Forwarded-For": ADDRESS}, locale="en-GB"
    )
    page = context.new_page()
    page.goto(f"{base}/tn/en/report/")
    page.get_by_label("Web addresses (one per line)").fill("http://privacy.example/probe")
    page.get_by_label("Images").check()
    page.get_by_label("Yes, give me a receipt code").check()
    page.get_by_label("E-mail address for one status message").fill(EMAIL)
    page.get_by_label("Yes, send me one message at this address").check()
    page.get_by_role("button", name="Send report").click()
    reference = page.get_by_test_id("reference").inner_text()
    receipt = page.get_by_test_id("receipt-code").inner_text()
    run_worker()  # the worker's part runs too: its writes must not hold the address either
    page.get_by_role("link", name="Check a report").last.click()
    page.get_by_label("Reference number").fill(reference)
    page.get_by_label("Receipt code").fill(receipt)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_test_id("report-status")).to_contain_text("Being assessed")
    page.goto(f"{base}/tn/en/nowhere/")  # an error page too
    context.close()

    kept = everything_kept()
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert "privacy.example/probe" in kept  # the search does see what is stored
    assert "ratelimit:report-client" in kept  # and the cache the limits use
    for trace in (ADDRESS, AGENT, "HotlinePrivacyProbe"):
        assert trace not in kept, f"{trace} is stored"
        assert trace not in logged, f"{trace} is logged"
    assert receipt not in kept  # the receipt code too: only its hash is kept
    # The e-mail address once, in its own row until the message is sent: not in the report,
    # the audit log, the session or any log line.
    assert kept.count(EMAIL) == 1 and '"model": "intake.statusemail"' in kept
    assert EMAIL not in logged
