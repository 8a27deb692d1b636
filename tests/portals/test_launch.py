"""Launching a portal from its TOML file: what it creates, what it refuses, and how it says so."""

from __future__ import annotations

import io
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from hotline.audit.models import AuditEvent
from hotline.portals.actions import launch_portal
from hotline.portals.models import HelpResource, Partner, Partnership, Portal, PortalAsset
from hotline.portals.spec import (
    LAUNCH_FILES_DIR,
    PortalSpecError,
    load_portal_spec,
    parse_portal_spec,
)

MINIMAL = """\
[portal]
code = "zz"
country = "ZZ"
status = "live"
languages = ["fr", "en"]

[portal.names]
fr = "Portail"
en = "Portal"

[[partners]]
name = "Example Ministry"
kind = "government"
role = "host_ministry"

[[help]]
kind = "child_helpline"
name = "Example helpline"
phone = "116"
"""


def png(width: int = 120, height: int = 60, colour: str = "#224488") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def test_tunisia_launches_with_its_partners_roles_and_helplines(db: None) -> None:
    result = launch_portal(load_portal_spec(LAUNCH_FILES_DIR / "tn.toml"))
    portal = result.portal
    assert result.created and portal.languages == ["ar", "fr", "en"]
    links = Partnership.objects.filter(portal=portal).order_by("position")
    assert [(link.partner.name, link.role) for link in links][:2] == [
        ("Ministry of Women, Family and the Elderly", "host_ministry"),
        ("Council of Europe", "co_host"),
    ]
    assert list(portal.help_resources.values_list("phone", flat=True)) == ["192", "1809"]
    assert portal.option("primary_colour") == "#a3141f"
    assert portal.launched_at is not None


def test_every_shipped_launch_file_is_valid(db: None) -> None:
    files = sorted(LAUNCH_FILES_DIR.glob("*.toml"))
    assert len(files) >= 10, "the demo portals and at least eight real portal countries"
    for path in files:
        spec = load_portal_spec(path)
        assert spec.code == path.stem
        launch_portal(spec)
    assert Portal.objects.count() == len(files)


def test_launching_again_changes_and_audits_nothing(db: None) -> None:
    spec = load_portal_spec(LAUNCH_FILES_DIR / "tn.toml")
    launch_portal(spec)
    events = AuditEvent.objects.count()
    again = launch_portal(spec)
    assert not again.created and again.changes == []
    assert AuditEvent.objects.count() == events


def test_a_changed_file_updates_the_portal_and_says_what_changed(db: None) -> None:
    launch_portal(parse_portal_spec(MINIMAL))
    result = launch_portal(
        parse_portal_spec(MINIMAL.replace('status = "live"', 'status = "suspended"'))
    )
    assert Portal.objects.get(code="zz").status == "suspended"
    assert result.changes == ["status: changed"]
    event = AuditEvent.objects.filter(action="portals.portal_updated").get()
    assert event.data == {"changed": ["status"], "status": {"from": "live", "to": "suspended"}}


def test_the_file_is_the_truth_for_partners_and_help(db: None) -> None:
    launch_portal(parse_portal_spec(MINIMAL))
    without = MINIMAL.split("[[partners]]")[0]
    result = launch_portal(parse_portal_spec(without))
    assert result.changes == ["partner removed: Example Ministry", "help resources: 1 → 0"]
    assert not Partnership.objects.exists() and not HelpResource.objects.exists()
    assert Partner.objects.filter(name="Example Ministry").exists()  # other portals may use it
    assert AuditEvent.objects.filter(action="portals.partnership_removed").count() == 1


def test_a_dry_run_reports_the_changes_and_keeps_nothing(db: None) -> None:
    result = launch_portal(parse_portal_spec(MINIMAL), dry_run=True)
    assert result.created
    assert result.changes[0] == "portal zz: created (live)"
    assert "partner added: Example Ministry (host_ministry)" in result.changes
    assert not Portal.objects.exists() and not Partner.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('code = "zz"', 'code = "z z!"'), "line 2: [portal] 'code': 'z z!' must be 2-16"),
        (('code = "zz"', 'code = "staff"'), "line 2: [portal] 'code': 'staff' must be"),
        (('country = "ZZ"', 'country = "ZZZ"'), "line 3: [portal] 'country': 'ZZZ' must be an ISO"),
        (('["fr", "en"]', '["fr", "xx"]'), "line 5: [portal] 'languages': must be a list"),
        (('en = "Portal"', ""), "line 7: [portal] 'names': give a text in ['en']"),
        (('status = "live"', 'status = "open"'), "line 4: [portal] 'status': 'open' must be"),
        (('role = "host_ministry"', 'role = "boss"'), "line 14: [[partners]] #1, 'role': 'boss'"),
        (('kind = "government"', 'knd = "x"'), "line 13: [[partners]] #1, 'knd': unknown key"),
        (('phone = "116"', 'phone = "call us"'), "line 19: [[help]] #1, 'phone': 'call us'"),
        (('phone = "116"', ""), "[[help]] #1: give a phone number or a website"),
        (("[portal]", "[portl]"), "'portl': unknown key"),
        (('code = "zz"', "code = "), "is not valid TOML: Invalid value (at line 2"),
        (
            ('status = "live"', 'status = "live"\nlaunched = "June"'),
            "[portal] 'launched': 'June' must be a date",
        ),
    ],
)
def test_mistakes_in_the_file_name_the_line_and_key(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PortalSpecError) as error:
        parse_portal_spec(MINIMAL.replace(*change), source="zz.toml")
    assert message in str(error.value), str(error.value)


def test_a_colour_white_text_cannot_be_read_on_is_refused() -> None:
    text = MINIMAL + '\n[branding]\nprimary_colour = "#ffcc00"\n'
    with pytest.raises(PortalSpecError, match=r"line 22: \[branding\] 'primary_colour': white"):
        parse_portal_spec(text, source="zz.toml")


def test_logos_are_checked_and_re_encoded(db: None, tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(png(2000, 1000))
    path = tmp_path / "zz.toml"
    path.write_text(MINIMAL + '\n[branding]\nlogo = "logo.png"\n', encoding="utf-8")
    portal = launch_portal(load_portal_spec(path)).portal
    assert portal.logo is not None
    assert (portal.logo.width, portal.logo.height) == (480, 240)  # scaled to what is shown
    assert bytes(portal.logo.data).startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG logos"),
        (b"<?xml version='1.0'?><svg/>", "SVG logos"),
        (b"GIF89a but not really", "not a PNG or JPEG image"),
        (b"\x89PNG" + b"\0" * 2_000_000, "larger than 1000 KB"),
    ],
)
def test_bad_logos_are_refused_with_a_reason(
    db: None, tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "logo.svg").write_bytes(content)
    path = tmp_path / "zz.toml"
    path.write_text(MINIMAL + '\n[branding]\nlogo = "logo.svg"\n', encoding="utf-8")
    with pytest.raises(PortalSpecError, match=message):
        load_portal_spec(path)
    assert not PortalAsset.objects.exists()


def test_a_tiny_logo_is_refused() -> None:
    with pytest.raises(PortalSpecError, match="between 16 and 4000 pixels"):
        parse_portal_spec(
            MINIMAL.replace("[[partners]]\n", '[[partners]]\nlogo = "tiny.png"\n'),
            base_dir=_folder_with("tiny.png", png(8, 8)),
        )


def _folder_with(name: str, content: bytes) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    (folder / name).write_bytes(content)
    return folder


def test_portal_launch_command_applies_and_dry_runs(db: None, tmp_path: Path) -> None:
    path = tmp_path / "zz.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    out = StringIO()
    call_command("portal", "launch", str(path), "--dry-run", stdout=out)
    assert "Portal zz would be created: /zz/ (live)" in out.getvalue()
    assert "Dry run: nothing was changed." in out.getvalue()
    assert not Portal.objects.exists()
    out = StringIO()
    call_command("portal", "launch", str(path), stdout=out)
    assert "Portal zz launched: /zz/ (live)" in out.getvalue()
    out = StringIO()
    call_command("portal", "launch", str(path), stdout=out)
    assert "Portal zz is up to date" in out.getvalue()


def test_one_bad_file_applies_none(db: None, tmp_path: Path) -> None:
    good, bad = tmp_path / "zz.toml", tmp_path / "yy.toml"
    good.write_text(MINIMAL, encoding="utf-8")
    bad.write_text(MINIMAL.replace('code = "zz"', 'code = "yy"').replace("ZZ", "Z"), "utf-8")
    with pytest.raises(CommandError, match=r"yy.toml, line 3: \[portal\] 'country'"):
        call_command("portal", "launch", str(good), str(bad))
    assert not Portal.objects.exists()
    with pytest.raises(CommandError, match="cannot read"):
        call_command("portal", "launch", str(tmp_path / "missing.toml"))


def test_a_host_name_belongs_to_one_portal(db: None) -> None:
    launch_portal(
        parse_portal_spec(
            MINIMAL.replace("[portal]\n", '[portal]\nhosts = ["report.zz.example"]\n')
        )
    )
    other = MINIMAL.replace('code = "zz"', 'code = "yy"')
    other = other.replace("[portal]\n", '[portal]\nhosts = ["report.zz.example"]\n')
    path = _folder_with("yy.toml", other.encode()) / "yy.toml"
    with pytest.raises(
        CommandError, match=r"host report\.zz\.example already belongs to portal zz"
    ):
        call_command("portal", "launch", str(path))


def test_portal_list_and_status_commands(db: None) -> None:
    out = StringIO()
    call_command("portal", "list", stdout=out)
    assert "No portals yet" in out.getvalue()
    launch_portal(parse_portal_spec(MINIMAL))
    call_command("portal", "status", "zz", "suspended", stdout=StringIO())
    assert Portal.objects.get(code="zz").status == "suspended"
    assert AuditEvent.objects.filter(action="portals.status_changed").exists()
    out = StringIO()
    call_command("portal", "list", stdout=out)
    assert "zz" in out.getvalue() and "suspended" in out.getvalue()
    with pytest.raises(CommandError, match="no portal has the code 'nope'"):
        call_command("portal", "status", "nope", "live")


def test_a_shared_partner_keeps_the_translations_other_portals_gave_it(db: None) -> None:
    launch_portal(load_portal_spec(LAUNCH_FILES_DIR / "tn.toml"))
    launch_portal(load_portal_spec(LAUNCH_FILES_DIR / "mz.toml"))
    iwf = Partner.objects.get(name="Internet Watch Foundation")
    assert {"fr", "ar"} <= set(iwf.names)
    assert iwf.website == "https://www.iwf.org.uk/"


def test_a_host_clash_in_the_last_file_applies_none_of_them(db: None, tmp_path: Path) -> None:
    launch_portal(
        parse_portal_spec(MINIMAL.replace("[portal]\n", '[portal]\nhosts = ["r.example"]\n'))
    )
    first = tmp_path / "aa.toml"
    first.write_text(MINIMAL.replace('code = "zz"', 'code = "aa"'), encoding="utf-8")
    clashing = MINIMAL.replace('code = "zz"', 'code = "bb"').replace(
        "[portal]\n", '[portal]\nhosts = ["r.example"]\n'
    )
    (tmp_path / "bb.toml").write_text(clashing, encoding="utf-8")
    with pytest.raises(CommandError, match=r"portal bb: host r\.example already belongs to"):
        call_command("portal", "launch", str(first), str(tmp_path / "bb.toml"))
    assert list(Portal.objects.values_list("code", flat=True)) == ["zz"]


def test_a_file_saved_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    path = tmp_path / "zz.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_portal_spec(path).code == "zz"


def test_helpful_hints_for_common_slips(db: None, tmp_path: Path) -> None:
    with pytest.raises(PortalSpecError, match=r"\[settings\] 'primary_colour': belongs under"):
        parse_portal_spec(MINIMAL + '\n[settings]\nprimary_colour = "#0b5cad"\n')
    with pytest.raises(CommandError, match=r"is a folder; name the files, e\.g\."):
        call_command("portal", "launch", str(tmp_path))
