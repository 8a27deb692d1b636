"""The whole path in a real browser: report on the Tunisian portal, assess, block.

A person reports two URLs at /tn/fr/ and gets a reference; the demo analyst signs in with a
password and a TOTP code (on a page in the browser's French), switches to English, sees one
case per URL, assesses one as Category B and it leaves the queue; the demo ISP then finds that
URL on the URL list feed; the audit chain holds every step and names the event someone
tampered with.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from hotline.audit.models import AuditEvent
from hotline.cases.models import Case
from hotline.demo.loader import load_demo
from hotline.members.actions import revoke_api_key
from hotline.members.models import ApiKey
from tests.conftest import run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL_ONE = "http://gallery.example/album/1"
URL_TWO = "https://files.example/share?id=42"


def test_report_assess_and_block(page: Page, live_server: object, settings: object) -> None:
    settings.HOTLINE_DEMO_ACCOUNTS_ENABLED = True  # type: ignore[attr-defined]
    base = str(live_server.url)  # type: ignore[attr-defined]
    demo = load_demo()
    assert demo is not None

    # 1. A reporter, on the Tunisian portal in French, reports two URLs.
    page.goto(f"{base}/tn/")  # Chromium asks for French: the portal answers in French
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_role("link", name="Signaler une adresse web").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Signaler une adresse web")
    page.get_by_label("Adresses web (une par ligne)").fill(f"{URL_ONE}\n{URL_TWO}\n")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Merci. Votre signalement a bien été reçu."
    )
    reference = page.get_by_test_id("reference").inner_text()
    assert re.fullmatch(r"TN-[0-9A-Z]{4}-[0-9A-Z]{4}", reference)
    run_worker()  # what `hotline worker` does within a second: the addresses reach their cases

    # 2. The analyst signs in with password and TOTP and sees one case per URL. The sign-in
    # page follows the browser (French here); this analyst then chooses English.
    page.goto(f"{base}/staff/")
    expect(page).to_have_url(re.compile(r"/staff/login/"))
    page.get_by_label("Nom d’utilisateur").fill(demo.username)
    page.get_by_label("Mot de passe").fill(demo.password)
    page.get_by_label("Code d’authentification").fill(
        f"{totp(bytes.fromhex(demo.totp_key_hex)):06d}"
    )
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("File d’attente d’évaluation")
    page.get_by_role("button", name="English", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Assessment queue")
    cases = {c.canonical_url: c for c in Case.objects.all()}
    assert set(cases) == {URL_ONE, URL_TWO}
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)

    # 3. Opens the first case, assesses it as Category B; the next case opens.
    case = cases[URL_ONE]
    page.get_by_role("button", name=f"Assess case #{case.pk}").click()
    expect(page.get_by_test_id("case-url")).to_have_text(URL_ONE)
    page.get_by_label("Category B [b]").check()
    page.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_role("status")).to_have_text(f"Case {case.pk} assessed: Category B.")
    expect(page.get_by_test_id("case-url")).to_have_text(URL_TWO)
    expect(page.get_by_test_id("lease")).to_contain_text("Yours until")
    # Back to the queue: the first case has left it, the second is the analyst's.
    page.get_by_role("link", name="Queue").click()
    expect(rows).to_have_count(0)
    expect(page.get_by_test_id("held")).to_contain_text(
        f"You are assessing case #{cases[URL_TWO].pk}"
    )

    # 4. The ISP sees the URL at once in the changes since the version it held (none: 0),
    # and in the full list from the next publication, with its category and version.
    api = page.context.request
    key = {"Authorization": f"Bearer {demo.api_key}"}
    changes = api.get(f"{base}/api/v1/urllist?format=json&since=0", headers=key)
    assert changes.status == 200, changes.text()
    assert [(c["op"], c["url"], c["category"]) for c in changes.json()["changes"]] == [
        ("add", URL_ONE, "B")
    ]
    call_command("urllist", "publish", stdout=StringIO())
    feed = api.get(f"{base}/api/v1/urllist?format=json", headers=key)
    assert feed.status == 200, feed.text()
    body = feed.json()
    assert body["version"] >= 1
    assert {"url": URL_ONE, "category": "B"}.items() <= body["entries"][0].items()
    assert [entry["url"] for entry in body["entries"]] == [URL_ONE]
    no_key = api.get(f"{base}/api/v1/urllist?format=json")
    assert no_key.status == 401 and no_key.json()["error"] == "missing_key"
    revoke_api_key(key=ApiKey.objects.get(member__name="Demo ISP (Tunisia)"))
    revoked = api.get(
        f"{base}/api/v1/urllist?format=json", headers={"Authorization": f"Bearer {demo.api_key}"}
    )
    assert revoked.status == 401 and revoked.json()["error"] == "revoked_key"

    # 5. Every state change on the way is in the chain, and the chain holds...
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    for expected in [
        "intake.report_filed",
        "cases.case_opened",
        "assessment.case_claimed",
        "assessment.assessment_made",
        "urllist.entry_added",
    ]:
        assert expected in actions, expected
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "Audit chain intact" in out.getvalue()

    # ...until someone edits a row behind the application's back.
    tampered = AuditEvent.objects.get(action="assessment.assessment_made")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET data = %s WHERE seq = %s",
            ['{"outcome": "not_confirmed"}', tampered.seq],
        )
    with pytest.raises(CommandError, match=rf"BROKEN at event #{tampered.seq}\b"):
        call_command("audit", "verify", stdout=StringIO())


def test_arabic_portal_reads_right_to_left(page: Page, live_server: object) -> None:
    load_demo()
    page.goto(f"{live_server.url}/tn/ar/report/")  # type: ignore[attr-defined]
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.get_by_role("button", name="إرسال البلاغ").click()
    expect(page.get_by_role("alert")).to_contain_text("أدخل عنوان موقع واحدًا على الأقل.")


def test_public_pages_load_nothing_from_other_sites(page: Page, live_server: object) -> None:
    load_demo()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/tn/fr/report/")  # type: ignore[attr-defined]
    page.get_by_label("Adresses web (une par ligne)").fill("http://one.example/")
    page.get_by_role("button", name="Envoyer le signalement").click()
    expect(page.get_by_test_id("reference")).to_be_visible()
    assert requested and all(url.startswith(str(live_server.url)) for url in requested)  # type: ignore[attr-defined]
