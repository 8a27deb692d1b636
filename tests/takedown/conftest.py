"""The test world for outbound fetching: its DNS server (every *.test name is 127.0.0.1 unless
a test says otherwise) and its web server, with the fetcher's settings pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.takedown import geo, rdap
from tests.world.dns import WorldDns
from tests.world.geo import build_world_geo
from tests.world.rdap import WorldRdap, network_document, write_bootstrap
from tests.world.web import WorldWeb


@pytest.fixture
def world_dns(settings: Any) -> Iterator[WorldDns]:
    with WorldDns() as dns:
        settings.HOTLINE_DNS_NAMESERVERS = [f"127.0.0.1:{dns.port}"]
        yield dns


@pytest.fixture(scope="session")
def _world_web_server() -> Iterator[WorldWeb]:
    with WorldWeb() as web:
        yield web


@pytest.fixture
def world_web(_world_web_server: WorldWeb, world_dns: WorldDns) -> Iterator[WorldWeb]:
    """The web server, serving nothing until the test says what; names resolve through the
    DNS world, so `world_web.url("/page", host="site-1.test")` reaches it."""
    _world_web_server.clear()
    yield _world_web_server
    _world_web_server.clear()


@pytest.fixture
def trace_world(
    world_dns: WorldDns, settings: Any, tmp_path: Path
) -> Iterator[tuple[WorldDns, WorldRdap]]:
    """What a hosting trace asks, on loopback: the DNS world, the IP database built from the
    world's ranges (127.0.0.0/24 is Tunisia's AS64500, 127.0.1.0/24 a CDN's) and an RDAP
    registry that knows both networks' abuse contacts."""
    with WorldRdap() as registry:
        settings.HOTLINE_DNS_TIMEOUT = 2
        settings.HOTLINE_GEO_DIR = tmp_path / "geo"
        settings.HOTLINE_GEOIP_COUNTRY_MMDB = settings.HOTLINE_GEOIP_ASN_MMDB = ""
        build_world_geo(tmp_path / "geo")
        settings.HOTLINE_RDAP_BOOTSTRAP = str(
            write_bootstrap(
                tmp_path / "rdap.json", {registry.base: ["127.0.0.0/8", "2001:db8::/32"]}
            )
        )
        registry.networks["127.0.0.0/24"] = network_document(
            "127.0.0.0/24", name="TEST-HOSTING-TN", country="TN", abuse_email="abuse@tn.example"
        )
        registry.networks["127.0.1.0/24"] = network_document(
            "127.0.1.0/24", name="TEST-CDN", country="US", abuse_email="abuse@cdn.example"
        )
        geo.reset()
        rdap.forget_cache()
        yield world_dns, registry
        geo.reset()
        rdap.forget_cache()
