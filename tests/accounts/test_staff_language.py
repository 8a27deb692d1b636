"""Staff pages speak the staff member's language (Arabic, French or English), never a portal's.

Until they choose, the browser's best match among the three; the choice is theirs, kept on the
account, changed from the staff header and audited.
"""

from __future__ import annotations

import pytest
from django.test import Client

from hotline.accounts.actions import set_staff_language
from hotline.audit.models import AuditEvent
from hotline.portals.models import Portal
from tests.conftest import Analyst, sign_in


def html_lang(client: Client, path: str, **headers: str) -> tuple[str, str]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    lang = page.split('<html lang="', 1)[1].split('"', 1)[0]
    direction = page.split(' dir="', 1)[1].split('"', 1)[0]
    return lang, direction


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("ar-TN,ar;q=0.9,fr;q=0.8", ("ar", "rtl")),
        ("fr-FR,fr;q=0.9", ("fr", "ltr")),
        ("sw,es;q=0.9,fr;q=0.5", ("fr", "ltr")),  # Swahili and Spanish: not on staff pages
        ("sw,es", ("en", "ltr")),
        ("", ("en", "ltr")),
    ],
)
def test_the_sign_in_page_speaks_the_browsers_best_staff_language(
    client: Client, db: None, accept_language: str, expected: tuple[str, str]
) -> None:
    assert html_lang(client, "/staff/login/", accept_language=accept_language) == expected


def test_the_sign_in_page_is_translated(client: Client, db: None) -> None:
    page = client.get("/staff/login/", headers={"accept-language": "ar"}).content.decode()
    assert "تسجيل دخول الموظفين" in page and "Staff sign-in" not in page


def test_an_analysts_choice_beats_the_browser_and_is_audited(
    client: Client, alice: Analyst
) -> None:
    sign_in(client, alice)
    assert html_lang(client, "/staff/", accept_language="fr") == ("fr", "ltr")

    response = client.post("/staff/language/", {"language": "ar", "next": "/staff/?page=1"})
    assert response.status_code == 302 and response["Location"] == "/staff/?page=1"
    alice.user.refresh_from_db()
    assert alice.user.language == "ar"
    assert html_lang(client, "/staff/", accept_language="fr") == ("ar", "rtl")
    page = client.get("/staff/").content.decode()
    assert "قائمة انتظار التقييم" in page  # "Assessment queue"
    event = AuditEvent.objects.get(action="accounts.language_changed")
    assert event.data == {"from": "", "to": "ar"}
    assert event.actor == f"staff:{alice.user.pk}"


def test_choosing_the_same_language_again_changes_and_audits_nothing(alice: Analyst) -> None:
    set_staff_language(user=alice.user, language="fr")
    set_staff_language(user=alice.user, language="fr")
    assert AuditEvent.objects.filter(action="accounts.language_changed").count() == 1


def test_a_language_staff_pages_do_not_speak_is_refused(client: Client, alice: Analyst) -> None:
    sign_in(client, alice)
    assert client.post("/staff/language/", {"language": "sw"}).status_code == 400
    with pytest.raises(ValueError, match="not 'es'"):
        set_staff_language(user=alice.user, language="es")
    alice.user.refresh_from_db()
    assert alice.user.language == ""
    assert not AuditEvent.objects.filter(action="accounts.language_changed").exists()


def test_only_a_signed_in_analyst_can_choose(client: Client, alice: Analyst) -> None:
    response = client.post("/staff/language/", {"language": "ar"})
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    alice.user.refresh_from_db()
    assert alice.user.language == ""


def test_the_switcher_does_not_send_the_analyst_to_another_site(
    client: Client, alice: Analyst
) -> None:
    sign_in(client, alice)
    response = client.post(
        "/staff/language/", {"language": "fr", "next": "https://elsewhere.example/"}
    )
    assert response["Location"] == "/staff/"


def test_staff_pages_do_not_follow_a_portals_language(
    client: Client, alice: Analyst, tn: Portal
) -> None:
    # A public page in Arabic first, in the same session, and a browser asking for Arabic: the
    # staff page follows only the analyst's choice.
    sign_in(client, alice)
    set_staff_language(user=alice.user, language="en")
    assert client.get("/tn/ar/").headers["Content-Language"] == "ar"
    assert html_lang(client, "/staff/", accept_language="ar") == ("en", "ltr")


def test_the_header_offers_the_three_languages_each_in_itself(
    client: Client, alice: Analyst
) -> None:
    sign_in(client, alice)
    page = client.get("/staff/", headers={"accept-language": "fr"}).content.decode()
    assert 'lang="ar">العربية</button>' in page
    assert 'lang="fr" aria-current="true">Français</button>' in page
    assert 'lang="en">English</button>' in page
    assert 'lang="es"' not in page


def test_the_admin_keeps_djangos_language(client: Client, alice: Analyst) -> None:
    sign_in(client, alice)
    set_staff_language(user=alice.user, language="ar")
    response = client.get("/admin/", headers={"accept-language": "ar"})
    assert response.headers["Content-Language"] == "en"


def test_any_page_under_staff_speaks_the_staff_language(client: Client, alice: Analyst) -> None:
    # Pages added later under /staff/ need nothing of their own: even a page not found does.
    sign_in(client, alice)
    set_staff_language(user=alice.user, language="ar")
    response = client.get("/staff/no-such-page/", headers={"accept-language": "fr"})
    assert response.status_code == 404
    assert response.headers["Content-Language"] == "ar"
    assert "Cookie" in response.headers["Vary"]
