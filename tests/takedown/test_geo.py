"""The offline IP database: country and network of an address from the file `hotline geo
install` builds (from files, or from a registry on loopback that serves npm packages), or from
MaxMind databases when configured; never an exception, whatever the address or the file."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from hotline.takedown import geo
from hotline.takedown.geo import GeoResult, lookup
from tests.world.geo import ASN_CSV, COUNTRY_CSV, build_world_geo
from tests.world.mmdb import write_mmdb


@pytest.fixture(autouse=True)
def geo_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.HOTLINE_GEO_DIR = tmp_path / "geo"
    settings.HOTLINE_GEOIP_COUNTRY_MMDB = ""
    settings.HOTLINE_GEOIP_ASN_MMDB = ""
    geo.reset()
    yield tmp_path / "geo"
    geo.reset()


@pytest.fixture
def world_geo(geo_dir: Path) -> Path:
    return build_world_geo(geo_dir)


def test_an_address_gets_the_country_and_network_of_its_range(world_geo: Path) -> None:
    assert lookup("127.0.0.7") == GeoResult("TN", 64500, "Test Hosting")
    assert lookup("127.0.1.9") == GeoResult("FR", 13335, "Test CDN, Inc.")


def test_both_ends_of_a_range_are_in_it_and_the_next_address_is_not(world_geo: Path) -> None:
    assert lookup("198.51.100.0").country == "MA"
    assert lookup("198.51.100.255") == GeoResult("MA", 64502, "Test Morocco Net")
    assert lookup("198.51.101.0") == GeoResult()
    assert lookup("198.51.99.255") == GeoResult()


def test_ipv6_addresses_are_looked_up_in_the_same_file(world_geo: Path) -> None:
    assert lookup("2001:db8::1") == GeoResult("DE", 64501, "Test IPv6 Hosting")
    assert lookup("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff").country == "DE"
    assert lookup("2001:db9::") == GeoResult()


def test_an_ipv4_mapped_ipv6_address_is_the_ipv4_address(world_geo: Path) -> None:
    assert lookup("::ffff:127.0.0.7").country == "TN"


@pytest.mark.parametrize("ip", ["", "not-an-ip", "127.0.0.300", "2001:db8::g"])
def test_what_is_not_an_address_gives_empty_fields(world_geo: Path, ip: str) -> None:
    assert lookup(ip) == GeoResult()


def test_without_a_database_lookups_are_empty_and_it_is_said_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="hotline.takedown.geo"):
        assert lookup("127.0.0.7") == GeoResult()
        assert lookup("127.0.0.8") == GeoResult()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "hotline geo install" in warnings[0]


def test_a_rebuilt_file_is_read_at_the_next_lookup(world_geo: Path, geo_dir: Path) -> None:
    assert lookup("127.0.0.7").country == "TN"
    source = geo_dir / "next"
    source.mkdir()
    (source / "countries.csv").write_text("127.0.0.0,127.0.0.255,SN\n")
    geo.build_database(world_geo, [source])
    assert lookup("127.0.0.7") == GeoResult("SN", None, "")


def test_unreadable_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    (tmp_path / "mixed.csv").write_text(
        "127.0.0.0,127.0.0.255,TN\nnonsense\n127.0.1.0,127.0.1.255,F1\n1.2.3,1.2.3.4,TN\n"
    )
    stats = geo.build_database(tmp_path / "db.sqlite3", [tmp_path])
    assert (stats.country_ranges, stats.asn_ranges, stats.skipped) == (1, 0, 3)


# --- MaxMind databases --------------------------------------------------------------------


def test_maxmind_databases_when_configured_answer_instead_of_the_built_file(
    world_geo: Path, settings: Any, tmp_path: Path
) -> None:
    settings.HOTLINE_GEOIP_COUNTRY_MMDB = str(
        write_mmdb(
            tmp_path / "GeoLite2-Country.mmdb",
            {"127.0.0.0/24": {"country": {"iso_code": "BE", "names": {"en": "Belgium"}}}},
            "GeoLite2-Country",
        )
    )
    settings.HOTLINE_GEOIP_ASN_MMDB = str(
        write_mmdb(
            tmp_path / "GeoLite2-ASN.mmdb",
            {
                "127.0.0.0/24": {
                    "autonomous_system_number": 64511,
                    "autonomous_system_organization": "MaxMind Test Net",
                }
            },
            "GeoLite2-ASN",
        )
    )
    assert lookup("127.0.0.7") == GeoResult("BE", 64511, "MaxMind Test Net")
    assert lookup("2001:db8::1") == GeoResult()  # the mmdb does not know it: no falling back


def test_a_country_mmdb_in_ip_location_db_layout_and_the_built_networks(
    world_geo: Path, settings: Any, tmp_path: Path
) -> None:
    settings.HOTLINE_GEOIP_COUNTRY_MMDB = str(
        write_mmdb(
            tmp_path / "geo-whois-asn-country.mmdb",
            {"2001:db8::/32": {"country_code": "nl"}, "127.0.0.0/16": {"country_code": "NL"}},
            "geo-whois-asn-country",
        )
    )
    assert lookup("2001:db8::1") == GeoResult("NL", 64501, "Test IPv6 Hosting")
    assert lookup("127.0.1.1") == GeoResult("NL", 13335, "Test CDN, Inc.")


def test_a_missing_mmdb_gives_empty_fields_and_one_warning(
    settings: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings.HOTLINE_GEOIP_COUNTRY_MMDB = str(tmp_path / "absent.mmdb")
    settings.HOTLINE_GEOIP_ASN_MMDB = str(tmp_path / "absent.mmdb")
    with caplog.at_level(logging.WARNING, logger="hotline.takedown.geo"):
        assert lookup("127.0.0.7") == GeoResult()
        assert lookup("127.0.0.7") == GeoResult()
    assert len(caplog.records) == 1
    assert "absent.mmdb" in caplog.records[0].getMessage()


# --- hotline geo --------------------------------------------------------------------------


def npm_tarball(files: dict[str, str]) -> bytes:
    """An npm package tarball: the files under package/, gzipped."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


PACKAGE_FILES = {
    geo.COUNTRY_PACKAGE: {
        "geo-whois-asn-country-ipv4.csv": COUNTRY_CSV,
        "geo-whois-asn-country-ipv4-num.csv": "2130706432,2130706687,XX\n",
        "package.json": "{}",
    },
    geo.ASN_PACKAGE: {"asn-ipv4.csv": ASN_CSV, "ROUTEVIEWS-LICENSE": "CC BY 4.0"},
}


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("geo", *args, stdout=out)
    return out.getvalue()


def test_install_from_a_directory_of_tarballs_builds_the_database(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    for name, files in PACKAGE_FILES.items():
        (downloads / f"{name.replace('/', '-')}-1.0.0.tgz").write_bytes(npm_tarball(files))
    output = run("install", "--from", str(downloads))
    assert "4 country ranges, 4 network ranges" in output  # the -num twin is not read
    assert "TN\tAS64500\tTest Hosting" in run("lookup", "127.0.0.7")
    status = run("status")
    assert f"from files in {downloads}" in status
    assert "RouteViews" in status and "DB-IP" in status and "CC BY 4.0" in status


def test_install_from_a_directory_without_data_fails_and_says_what_it_needs(
    tmp_path: Path,
) -> None:
    with pytest.raises(CommandError, match="holds no ip-location-db CSV"):
        run("install", "--from", str(tmp_path))


def test_lookup_of_something_that_is_not_an_address_is_refused(world_geo: Path) -> None:
    with pytest.raises(CommandError, match="not an IP address"):
        run("lookup", "example.test")


def test_status_without_a_database_says_how_to_install_one() -> None:
    assert "run `hotline geo install`" in run("status")


class Registry:
    """An npm registry on loopback: /<package>/latest metadata and the tarballs it names."""

    def __init__(self) -> None:
        self.tarballs = {name: npm_tarball(files) for name, files in PACKAGE_FILES.items()}
        self.version = "2.3.1"
        self.integrity_of: dict[str, str] = {}
        self.asked: list[str] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                registry.asked.append(self.path)
                status, body = registry.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def answer(self, path: str) -> tuple[int, bytes]:
        for name, tarball in self.tarballs.items():
            quoted = name.replace("/", "%2F")
            file = f"/{name}/-/{name.split('/')[1]}-{self.version}.tgz"
            if path == f"/{quoted}/latest":
                integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
                meta = {
                    "name": name,
                    "version": self.version,
                    "dist": {
                        "tarball": self.url.rstrip("/") + file,
                        "integrity": self.integrity_of.get(name, integrity),
                    },
                }
                return 200, json.dumps(meta).encode()
            if path == file:
                return 200, tarball
        return 404, b"{}"


@pytest.fixture
def registry(settings: Any) -> Iterator[Registry]:
    served = Registry()
    settings.HOTLINE_GEO_REGISTRY = served.url
    yield served
    served.server.shutdown()
    served.server.server_close()


def test_install_downloads_the_packages_checks_them_and_is_idempotent(
    registry: Registry,
) -> None:
    output = run("install")
    assert "integrity checked" in output
    assert lookup("2001:db8::5") == GeoResult("DE", 64501, "Test IPv6 Hosting")
    assert "2.3.1" in run("status")
    downloads = len([p for p in registry.asked if p.endswith(".tgz")])
    assert "already up to date" in run("install")
    assert len([p for p in registry.asked if p.endswith(".tgz")]) == downloads


def test_a_tarball_that_does_not_match_its_integrity_is_not_installed(
    registry: Registry,
) -> None:
    registry.integrity_of[geo.ASN_PACKAGE] = (
        "sha512-" + base64.b64encode(hashlib.sha512(b"something else").digest()).decode()
    )
    with pytest.raises(CommandError, match="does not match the registry's integrity"):
        run("install")
    assert not geo.database_path().exists()
