"""The client's files, without a server: the Squid patterns match what they should and nothing
more, the zone is the hotline's own zone, and the client runs without Django."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from django.test import override_settings

from hotline.feedclient.outputs import Options, ere_escape, render
from hotline.feedclient.state import Entry, Key, State
from hotline.urllist.rpz import render_rpz

STATE = State(
    "https://hotline.example",
    9,
    {
        Key("url", "http://one.test/a.jpg?x=1"): Entry("A", ""),
        Key("domain", "http://abuse-site.test/"): Entry("B", "abuse-site.test"),
        Key("domain", "http://www.abuse-site.test/"): Entry("B", "www.abuse-site.test"),
        Key("domain", "http://evil.test/"): Entry("B", "evil.test\n@ NS attacker."),
    },
)


def squid_matches(address: str) -> bool:
    # Squid compiles POSIX extended expressions; these use only what Python's re reads alike.
    patterns = render("squid", STATE, Options()).decode().splitlines()[1:]
    return any(re.search(p, address, re.IGNORECASE) for p in patterns)


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("http://one.test/a.jpg?x=1", True),
        ("http://ONE.test/a.jpg?x=1", True),
        ("http://one.test/a.jpg?x=12", False),
        ("http://one.test/aXjpg?x=1", False),  # the dot is a dot
        ("http://abuse-site.test/", True),
        ("https://cdn.abuse-site.test:8443/any/path", True),
        ("abuse-site.test:443", True),  # a CONNECT
        ("http://not-abuse-site.test/", False),
        ("http://abuse-site.test.other.test/", False),
        ("http://other.test/?u=abuse-site.test", False),
    ],
)
def test_the_squid_patterns_block_the_listed_addresses_and_domains_only(
    address: str, blocked: bool
) -> None:
    assert squid_matches(address) is blocked


def test_a_domain_that_could_change_a_file_is_left_out() -> None:
    for kind in ("squid", "squid-domains", "rpz"):
        assert "attacker" not in render(kind, STATE, Options()).decode(), kind


def test_the_dstdomain_list_leaves_out_names_under_a_listed_domain() -> None:
    lines = render("squid-domains", STATE, Options()).decode().splitlines()
    assert lines[1:] == [".abuse-site.test"]


def test_ere_escape_leaves_nothing_special() -> None:
    text = r"a.b*c+d?e(f)g[h]i{j}k|l^m$n\o"
    assert re.fullmatch(ere_escape(text), text)


@override_settings(HOTLINE_RPZ_ZONE="zone.example.")
def test_the_client_writes_the_same_zone_as_the_hotline() -> None:
    hotline = b"".join(render_rpz(["abuse-site.test", "www.abuse-site.test"], version=9))
    assert render("rpz", STATE, Options(rpz_zone="zone.example")) == hotline


def test_the_client_runs_without_django() -> None:
    code = (
        "import sys; from hotline.feedclient import cli; cli.parser(); "
        "sys.exit(sorted(m for m in sys.modules if m.split('.')[0] == 'django' "
        "or m.startswith('hotline.') and not m.startswith('hotline.feedclient')) or 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
