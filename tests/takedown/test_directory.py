"""The CDN and partner hotline directories: the shipped files load, lookups answer by ASN and
by country, and a bad entry is refused with its file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hotline.takedown.directory import (
    CDNS_FILE,
    HOTLINES_FILE,
    DirectoryError,
    Hotline,
    cdn_for_asn,
    hotline_for_country,
    load_cdns,
    load_hotlines,
)


def test_the_shipped_files_load() -> None:
    assert load_cdns(CDNS_FILE)
    assert load_hotlines(HOTLINES_FILE)


def test_a_cdn_is_recognised_by_any_of_its_networks() -> None:
    for asn in (13335, 209242):
        cdn = cdn_for_asn(asn)
        assert cdn is not None and cdn.name == "Cloudflare"
        assert cdn.abuse.startswith("https://") and not cdn.abuse_is_email
    assert cdn_for_asn(64500) is None
    assert cdn_for_asn(None) is None


def test_a_cloud_whose_networks_also_host_servers_says_so() -> None:
    aws = cdn_for_asn(16509)
    assert aws is not None and aws.also_hosting
    cloudflare = cdn_for_asn(13335)
    assert cloudflare is not None and not cloudflare.also_hosting


def test_the_hotline_of_a_country_is_the_first_listed_for_it(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "hotlines.toml"
    path.write_text(
        """
[[hotline]]
country = "FR"
name = "Test Hotline France"
website = "https://hotline-fr.example/"
email = "referrals@hotline-fr.example"
language = "fr"

[[hotline]]
country = "FR"
name = "Second French Hotline"

[[hotline]]
country = "MA"
name = "Test Hotline Maroc"
language = "ar"
"""
    )
    settings.HOTLINE_HOTLINES_FILE = str(path)
    assert hotline_for_country("fr") == Hotline(
        "FR",
        "Test Hotline France",
        "https://hotline-fr.example/",
        "referrals@hotline-fr.example",
        "fr",
    )
    assert hotline_for_country("MA") == Hotline("MA", "Test Hotline Maroc", "", "", "ar")
    assert hotline_for_country("TN") is None


def test_an_edited_hotlines_file_takes_effect_without_a_restart(
    settings: Any, tmp_path: Path
) -> None:
    path = tmp_path / "hotlines.toml"
    path.write_text('[[hotline]]\ncountry = "FR"\nname = "Before"\n')
    settings.HOTLINE_HOTLINES_FILE = str(path)
    assert hotline_for_country("FR").name == "Before"  # type: ignore[union-attr]
    path.write_text('[[hotline]]\ncountry = "FR"\nname = "After"\n')
    import os

    os.utime(path, ns=(1, 10**18))  # a different modification time, whatever the clock
    assert hotline_for_country("FR").name == "After"  # type: ignore[union-attr]


GOOD = '[[hotline]]\ncountry = "FR"\nname = "Fine"\n\n'


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('country = "France"\nname = "X"', "country 'France' is not an ISO 3166-1 alpha-2"),
        ('country = "FR"', "name is missing"),
        ('country = "FR"\nname = "X"\nemail = "nobody"', "email 'nobody' is not an e-mail"),
        ('country = "FR"\nname = "X"\nlanguage = "French"', "language 'French'"),
        (
            'country = "FR"\nname = "X"\nwebsite = "hotline.example"',
            "website 'hotline.example' is not a web",
        ),
        ('country = "FR"\nname = "X"\nphone = "1"', "unknown key 'phone'"),
        ('country = 33\nname = "X"', "country must be a str"),
    ],
)
def test_a_bad_hotline_entry_is_refused_with_its_file_and_line(
    tmp_path: Path, entry: str, message: str
) -> None:
    path = tmp_path / "hotlines.toml"
    path.write_text(GOOD + "[[hotline]]\n" + entry + "\n")
    with pytest.raises(DirectoryError, match=f"{path}:5: {message}"):
        load_hotlines(path)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('name = "X"\nasns = []', "asns must be a list of AS numbers"),
        ('name = "X"\nasns = ["13335"]', "asns must be a list of AS numbers"),
        (
            'name = "X"\nasns = [64500]\nabuse = "http://form.example"',
            "abuse 'http://form.example' is neither",
        ),
        ('name = "X"\nasns = [64501]', "AS64501 is already First's"),
    ],
)
def test_a_bad_cdn_entry_is_refused_with_its_file_and_line(
    tmp_path: Path, entry: str, message: str
) -> None:
    path = tmp_path / "cdns.toml"
    path.write_text('[[cdn]]\nname = "First"\nasns = [64501]\n\n[[cdn]]\n' + entry + "\n")
    with pytest.raises(DirectoryError, match=f"{path}:5: {message}"):
        load_cdns(path)


def test_a_file_that_is_not_toml_is_refused_with_the_place_of_the_mistake(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hotlines.toml"
    path.write_text('[[hotline]]\ncountry = "FR\n')
    with pytest.raises(DirectoryError, match=f"{path}: not valid TOML: .*line 2"):
        load_hotlines(path)
