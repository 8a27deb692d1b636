"""The test world's IP database: documentation and loopback ranges with made-up countries and
networks, built into a lookup file by the same builder `hotline geo install` uses."""

from __future__ import annotations

from pathlib import Path

from hotline.takedown.geo import DATABASE_NAME, build_database

# ip-location-db's two CSV layouts: start,end,country and start,end,asn,name.
COUNTRY_CSV = """\
127.0.0.0,127.0.0.255,TN
127.0.1.0,127.0.1.255,FR
198.51.100.0,198.51.100.255,MA
2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,DE
"""
ASN_CSV = """\
127.0.0.0,127.0.0.255,64500,Test Hosting
127.0.1.0,127.0.1.255,13335,"Test CDN, Inc."
198.51.100.0,198.51.100.255,64502,Test Morocco Net
2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64501,Test IPv6 Hosting
"""


def write_csvs(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "geo-whois-asn-country-ipv4.csv").write_text(COUNTRY_CSV)
    (directory / "asn-ipv4.csv").write_text(ASN_CSV)
    return directory


def build_world_geo(geo_dir: Path) -> Path:
    """The lookup file of the test world in `geo_dir` (what HOTLINE_GEO_DIR points at)."""
    path = geo_dir / DATABASE_NAME
    build_database(path, [write_csvs(geo_dir / "csv")], origin="test world")
    return path
