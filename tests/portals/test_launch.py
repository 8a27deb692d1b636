"""Launching a portal from its TOML file."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from hotline.audit.models import AuditEvent
from hotline.portals.actions import launch_portal
from hotline.portals.models import Partnership, Portal
from hotline.portals.spec import DEMO_SPEC_DIR, PortalSpecError, load_portal_spec, parse_portal_spec

MINIMAL = """
[portal]
code = "zz"
country = "ZZ"
status = "live"
languages = ["fr", "en"]
[portal.names]
fr = "Portail"
en = "Portal"
"""


def test_tunisia_launches_with_its_partners(db: None) -> None:
    portal, created = launch_portal(load_portal_spec(DEMO_SPEC_DIR / "tn.toml"))
    assert created and portal.code == "tn" and portal.languages == ["ar", "fr", "en"]
    partners = list(
        Partnership.objects.filter(portal=portal).values_list("partner__name", flat=True)
    )
    assert partners == [
        "Ministry of Women, Family and the Elderly",
        "Council of Europe",
        "UNICEF Tunisia",
        "Global Partnership to End Violence against Children",
    ]
    assert portal.launched_at is not None


def test_launching_again_changes_and_audits_nothing(db: None) -> None:
    spec = load_portal_spec(DEMO_SPEC_DIR / "tn.toml")
    launch_portal(spec)
    events = AuditEvent.objects.count()
    _, created = launch_portal(spec)
    assert not created and AuditEvent.objects.count() == events


def test_a_changed_file_updates_the_portal_and_says_what_changed(db: None) -> None:
    launch_portal(parse_portal_spec(MINIMAL))
    launch_portal(parse_portal_spec(MINIMAL.replace('status = "live"', 'status = "suspended"')))
    assert Portal.objects.get(code="zz").status == "suspended"
    event = AuditEvent.objects.filter(action="portals.portal_updated").get()
    assert event.data == {"changed": ["status"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('code = "zz"', 'code = "z z!"'), "must be 2-16 letters"),
        (('country = "ZZ"', 'country = "ZZZ"'), "ISO 3166"),
        (('languages = ["fr", "en"]', 'languages = ["fr", "xx"]'), "unknown: ['xx']"),
        (('en = "Portal"', ""), "give the portal's name in ['en']"),
        (('status = "live"', 'status = "open"'), "status 'open' must be one of"),
        (("[portal]", "[portl]"), "'code' is missing"),
        (('code = "zz"', "code = "), "is not valid TOML"),
    ],
)
def test_mistakes_in_the_file_are_named(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PortalSpecError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_portal_spec(MINIMAL.replace(*change))


def test_launchportal_command(db: None, tmp_path: Path) -> None:
    path = tmp_path / "zz.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    out = StringIO()
    call_command("launchportal", str(path), stdout=out)
    assert "Portal zz launched: /zz/fr/" in out.getvalue()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("launchportal", str(tmp_path / "missing.toml"))


def test_draft_portal_is_not_public(client: object, db: None) -> None:
    launch_portal(parse_portal_spec(MINIMAL.replace('status = "live"', 'status = "draft"')))
    assert client.get("/zz/fr/").status_code == 404  # type: ignore[attr-defined]
