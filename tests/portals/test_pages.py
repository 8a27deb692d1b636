"""The public pages of a portal, resolved once per request: portal, language, status, errors."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from hotline.accounts.actions import grant_portal_roles
from hotline.accounts.models import Role
from hotline.portals.actions import launch_portal, set_portal_status
from hotline.portals.models import Portal, PortalStatus
from hotline.portals.spec import parse_portal_spec
from tests.conftest import Analyst, sign_in
from tests.portals.test_launch import MINIMAL

PAGES = ["home", "partners", "help", "privacy", "accessibility"]


def url(name: str, portal: str = "tn", lang: str = "fr") -> str:
    return reverse(name, kwargs={"portal_code": portal, "lang": lang})


def test_the_root_lists_the_live_portals_in_the_browsers_language(
    client: Client, tn: Portal, ma: Portal
) -> None:
    launch_portal(parse_portal_spec(MINIMAL.replace('status = "live"', 'status = "draft"')))
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9,en;q=0.5")
    html = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "fr"
    assert 'href="/tn/fr/"' in html and "Portail de signalement de la Tunisie" in html
    assert 'href="/ma/fr/"' in html
    assert "/zz/" not in html  # a draft is not listed
    assert "Accept-Language" in page["Vary"]


def test_a_portal_picks_the_best_of_its_languages(client: Client, tn: Portal) -> None:
    def landing(header: str) -> str:
        return str(client.get("/tn/", HTTP_ACCEPT_LANGUAGE=header)["Location"])

    assert landing("fr-CA,fr;q=0.9") == "/tn/fr/"
    assert landing("de-DE, en;q=0.8") == "/tn/en/"
    assert landing("de, es;q=0.5") == "/tn/ar/"  # none offered: the portal's default
    assert landing("") == "/tn/ar/"
    assert landing("en;q=0.2, ar;q=0.9") == "/tn/ar/"


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("lang", ["ar", "fr", "en"])
def test_every_page_answers_in_every_language(
    client: Client, tn: Portal, page: str, lang: str
) -> None:
    response = client.get(url(f"portals:{page}", lang=lang))
    html = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == lang
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in html
    # The language switcher leads to the same page in each of the portal's languages.
    for other in ["ar", "fr", "en"]:
        if other != lang:
            assert f'href="{url(f"portals:{page}", lang=other)}"' in html
    assert 'href="/tn/favicon.svg"' in html and "--brand:#a3141f" in html


def test_the_home_page_says_what_to_report_and_that_it_is_not_an_emergency_service(
    client: Client, tn: Portal
) -> None:
    html = client.get("/tn/en/").content.decode()
    assert 'href="/tn/en/report/"' in html
    assert "Do not download, save or share the images" in html
    assert "This is not an emergency service" in html
    assert 'href="tel:1809"><bdi dir="ltr">1809</bdi>' in html
    assert 'href="tel:192"' in html


def test_the_partners_page_names_each_partner_and_its_role(client: Client, tn: Portal) -> None:
    html = client.get("/tn/fr/partners/").content.decode()
    assert "Ministère de la Femme, de la Famille et des Personnes Âgées" in html
    assert "UNICEF Tunisie" in html
    assert 'href="https://www.unicef.org/tunisia/" rel="external noopener noreferrer"' in html
    assert html.count('class="partner"') == tn.partnerships.count()


def test_an_unknown_language_is_a_404_that_offers_the_portals_languages(
    client: Client, tn: Portal
) -> None:
    response = client.get("/tn/de/", HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert response.status_code == 404 and response["Content-Language"] == "fr"
    assert 'lang="fr"' in html
    for lang in ["ar", "fr", "en"]:
        assert f'href="/tn/{lang}/"' in html


@pytest.mark.parametrize("path", ["/zz/", "/zz/fr/", "/tn/fr/nothing/here/", "/a/b/c/d/"])
def test_an_unknown_address_is_a_plain_localised_404_even_in_debug(
    client: Client, tn: Portal, settings: object, path: str
) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="ar")
    html = response.content.decode()
    assert response.status_code == 404
    assert "urlpatterns" not in html and "Django" not in html
    assert 'href="/tn/"' in html or 'href="/tn/ar/"' in html


def test_a_path_without_its_slash_is_redirected_to_it(client: Client, tn: Portal) -> None:
    response = client.get("/tn/fr/help")
    assert response.status_code == 301 and response["Location"] == "/tn/fr/help/"


def test_a_portal_host_name_serves_that_portal(client: Client, db: None, settings: object) -> None:
    settings.ALLOWED_HOSTS = ["report.zz.example"]  # type: ignore[attr-defined]
    launch_portal(
        parse_portal_spec(
            MINIMAL.replace("[portal]\n", '[portal]\nhosts = ["report.zz.example"]\n')
        )
    )
    response = client.get("/", HTTP_HOST="report.zz.example", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == "/zz/en/"


def test_a_draft_is_visible_only_to_its_staff_with_a_preview_banner(
    client: Client, alice: Analyst, bob: Analyst
) -> None:
    launch_portal(parse_portal_spec(MINIMAL.replace('status = "live"', 'status = "draft"')))
    assert client.get("/zz/fr/").status_code == 404
    sign_in(client, bob)  # staff, but not on this portal
    assert client.get("/zz/fr/").status_code == 404
    grant_portal_roles(user=alice.user, portal_codes=["zz"], role=Role.ANALYST)
    staff = Client()
    sign_in(staff, alice)
    response = staff.get("/zz/fr/")
    assert response.status_code == 200
    assert "preview-banner" in response.content.decode()


def test_a_suspended_portal_shows_a_notice_with_the_international_route(
    client: Client, tn: Portal
) -> None:
    set_portal_status(portal=tn, status=PortalStatus.SUSPENDED, actor="system")
    for path in ["/tn/fr/", "/tn/fr/report/", "/tn/fr/help/"]:
        response = client.get(path)
        assert response.status_code == 503
        assert 'href="https://report.iwf.org.uk/"' in response.content.decode()
    assert client.post("/tn/fr/report/", {"urls": "http://one.example/"}).status_code == 503


def test_favicons_are_served_by_the_site(client: Client, tn: Portal) -> None:
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico["Content-Type"] == "image/x-icon"
    svg = client.get("/tn/favicon.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"#a3141f" in svg.content


@pytest.mark.parametrize(("kind", "magic"), [("pdf", b"%PDF-"), ("png", b"\x89PNG")])
def test_the_flyer_is_printable(client: Client, tn: Portal, kind: str, magic: bytes) -> None:
    response = client.get(f"/tn/ar/flyer.{kind}")
    assert response.status_code == 200 and response.content.startswith(magic)
    assert client.get("/tn/de/flyer.pdf").status_code == 404


def test_no_page_links_another_portal_address_by_hand(client: Client, tn: Portal) -> None:
    # Every portal link is built with reverse(): all of them stay under the portal's prefix.
    html = client.get("/tn/fr/").content.decode()
    links = re.findall(r'href="(/[^"]*)"', html)
    assert links and all(link.startswith(("/tn/", "/static/")) for link in links), links
