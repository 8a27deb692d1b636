"""Where a notice goes (takedown/routing.py), rule by rule, and whom it escalates to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hotline.portals.models import Portal
from hotline.takedown import directory
from hotline.takedown.models import HostingTrace, Notice, RecipientKind
from hotline.takedown.routing import escalation_route, first_route, notice_language

pytestmark = pytest.mark.django_db

HOTLINES = """
[[hotline]]
country = "FR"
name = "Point de Contact"
website = "https://www.pointdecontact.net/"
email = "reports@hotline-fr.example"
language = "fr"

[[hotline]]
country = "DE"
name = "A hotline without an address on file"
website = "https://hotline-de.example/"
email = ""
language = "de"
"""


@pytest.fixture(autouse=True)
def hotlines(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "hotlines.toml"
    path.write_text(HOTLINES, encoding="utf-8")
    settings.HOTLINE_HOTLINES_FILE = str(path)


def trace(**fields: Any) -> HostingTrace:
    defaults: dict[str, Any] = {"host": "site.test", "country": "", "abuse_email": ""}
    return HostingTrace(**{**defaults, **fields})


def test_content_hosted_at_home_goes_to_the_portals_national_authority(tn: Portal) -> None:
    tn.authority = {"name": "Brigade des mineurs", "email": "ntd@authority-tn.example"}
    route = first_route(portal=tn, trace=trace(country="TN", abuse_email="abuse@host.example"))
    assert (route.kind, route.email, route.language) == (
        RecipientKind.NATIONAL_AUTHORITY,
        "ntd@authority-tn.example",
        tn.default_language,
    )
    assert "own country" in route.because


def test_an_authority_without_an_address_is_routed_by_hand(tn: Portal) -> None:
    tn.authority = {"name": "Brigade des mineurs"}
    route = first_route(portal=tn, trace=trace(country="TN"))
    assert route.kind == RecipientKind.MANUAL and "no e-mail address" in route.because


def test_behind_a_cdn_the_cdn_is_asked(tn: Portal) -> None:
    behind = trace(country="US", cdn="Test CDN", cdn_abuse="abuse@cdn.example")
    route = first_route(portal=tn, trace=behind)
    assert (route.kind, route.email) == (RecipientKind.CDN, "abuse@cdn.example")
    web_form = trace(country="US", cdn="Form CDN", cdn_abuse="https://cdn.example/abuse")
    manual = first_route(portal=tn, trace=web_form)
    assert manual.kind == RecipientKind.MANUAL and "https://cdn.example/abuse" in manual.because


def test_a_country_with_a_partner_hotline_goes_to_it_in_its_language(tn: Portal) -> None:
    route = first_route(portal=tn, trace=trace(country="FR", abuse_email="abuse@host.example"))
    assert (route.kind, route.name, route.email, route.language) == (
        RecipientKind.HOTLINE,
        "Point de Contact",
        "reports@hotline-fr.example",
        "fr",
    )


def test_otherwise_the_providers_abuse_desk_in_its_countrys_language(tn: Portal) -> None:
    host = trace(country="MA", abuse_email="abuse@host.example", network_name="TEST-NET")
    route = first_route(portal=tn, trace=host)
    assert (route.kind, route.email, route.name, route.language) == (
        RecipientKind.HOSTING_PROVIDER,
        "abuse@host.example",
        "TEST-NET",
        "ar",
    )
    # A hotline without an address does not stop the provider being asked.
    de = first_route(portal=tn, trace=trace(country="DE", abuse_email="abuse@host.example"))
    assert de.kind == RecipientKind.HOSTING_PROVIDER and de.language == "en"


def test_nobody_found_is_routed_by_hand(tn: Portal) -> None:
    assert first_route(portal=tn, trace=None).kind == RecipientKind.MANUAL
    assert first_route(portal=tn, trace=trace(country="BR")).kind == RecipientKind.MANUAL
    unnamed = first_route(portal=tn, trace=trace(country="DE"))
    assert unnamed.kind == RecipientKind.MANUAL and "no e-mail address" in unnamed.because


@pytest.mark.parametrize(
    ("country", "preferred", "language"),
    [("FR", "", "fr"), ("SN", "", "fr"), ("TN", "", "ar"), ("BR", "", "en"), ("FR", "ar", "ar")],
)
def test_notices_are_written_in_a_language_of_the_country(
    country: str, preferred: str, language: str
) -> None:
    assert notice_language(country, preferred=preferred) == language


def test_escalation_goes_up_the_ladder(tn: Portal) -> None:
    tn.authority = {"name": "Brigade des mineurs", "email": "ntd@authority-tn.example"}
    hotline = Notice(recipient_kind=RecipientKind.HOTLINE, recipient_name="Point de Contact")
    route = escalation_route(notice=hotline, portal=tn)
    assert route is not None and route.kind == RecipientKind.NATIONAL_AUTHORITY
    provider = Notice(recipient_kind=RecipientKind.HOSTING_PROVIDER, recipient_name="Host")
    upstream = escalation_route(notice=provider, portal=tn)
    assert upstream is not None and upstream.kind == RecipientKind.MANUAL
    assert "upstream" in upstream.because
    authority = Notice(recipient_kind=RecipientKind.NATIONAL_AUTHORITY)
    assert escalation_route(notice=authority, portal=tn) is None


def test_the_shipped_directory_loads() -> None:
    # The editable data files that ship are valid: every entry has what routing reads.
    shipped = directory.load_hotlines(directory.HOTLINES_FILE)
    assert shipped and all(h.country == code for code, hs in shipped.items() for h in hs)
    assert directory.load_cdns(directory.CDNS_FILE)
