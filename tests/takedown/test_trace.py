"""The hosting trace of a reported host against the test world: its DNS server (aliases and
IPv6), the IP database built from the world's ranges and its RDAP registry. Each part that
fails leaves the others filled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from hotline.core.dns import parse_nameserver
from hotline.takedown import geo, rdap
from hotline.takedown.trace import HostingTrace, resolve_host, trace_host
from tests.world.dns import WorldDns
from tests.world.rdap import WorldRdap, write_bootstrap


@pytest.fixture
def world(trace_world: tuple[WorldDns, WorldRdap]) -> tuple[WorldDns, WorldRdap]:
    return trace_world


def test_a_host_behind_aliases_is_traced_to_its_address_network_and_abuse_contact(
    world: tuple[WorldDns, WorldRdap],
) -> None:
    names, registry = world
    names.cnames["www.shop.test"] = "shop.test"
    names.cnames["shop.test"] = "edge.hosting.test"
    names.answers["edge.hosting.test"] = "127.0.0.9"
    names.aaaa["edge.hosting.test"] = "2001:db8::9"
    assert trace_host("WWW.Shop.test.") == HostingTrace(
        host="www.shop.test",
        cname_chain=("shop.test", "edge.hosting.test"),
        addresses=("127.0.0.9", "2001:db8::9"),
        ip="127.0.0.9",
        country="TN",
        asn=64500,
        as_name="Test Hosting",
        abuse_email="abuse@tn.example",
        abuse_source=f"{registry.base}ip/127.0.0.9",
        network_name="TEST-HOSTING-TN",
        rdap_country="TN",
    )


def test_an_address_of_a_cdns_network_names_the_cdn_and_its_abuse_process(
    world: tuple[WorldDns, WorldRdap],
) -> None:
    names, _ = world
    names.answers["fronted.test"] = "127.0.1.20"  # the world's AS13335, Cloudflare's number
    trace = trace_host("fronted.test")
    assert (trace.country, trace.asn, trace.cdn) == ("FR", 13335, "Cloudflare")
    assert trace.cdn_abuse == "https://abuse.cloudflare.com/"
    assert trace.abuse_email == "abuse@cdn.example"
    assert trace.error == ""


def test_an_ipv6_only_host_is_traced_by_its_ipv6_address(
    world: tuple[WorldDns, WorldRdap],
) -> None:
    names, _ = world
    names.cnames["v6.test"] = "v6-origin.test"
    names.aaaa["v6-origin.test"] = "2001:db8::42"
    names.answers["v6-origin.test"] = "127.0.0.1"
    resolved = resolve_host("v6.test")
    assert resolved.addresses == ("127.0.0.1", "2001:db8::42")


def test_a_host_that_does_not_exist_is_no_such_host_with_nothing_else(
    world: tuple[WorldDns, WorldRdap],
) -> None:
    _, registry = world
    assert trace_host("gone.example") == HostingTrace(host="gone.example", error="no_such_host")
    assert registry.asked == []


def test_an_ip_literal_is_traced_without_dns(world: tuple[WorldDns, WorldRdap]) -> None:
    names, _ = world
    trace = trace_host("[2001:db8::7]")
    assert (trace.ip, trace.country, trace.asn) == ("2001:db8::7", "DE", 64501)
    assert not names.asked


def test_when_the_registry_is_down_the_other_parts_are_still_filled(
    world: tuple[WorldDns, WorldRdap], settings: Any, tmp_path: Path
) -> None:
    names, _ = world
    with WorldRdap() as gone:
        base = gone.base
    settings.HOTLINE_RDAP_BOOTSTRAP = str(
        write_bootstrap(tmp_path / "down.json", {base: ["127.0.0.0/8"]})
    )
    rdap.forget_cache()
    names.answers["site.test"] = "127.0.0.5"
    trace = trace_host("site.test")
    assert trace.error == "rdap_unreachable"
    assert (trace.ip, trace.country, trace.asn, trace.as_name) == (
        "127.0.0.5",
        "TN",
        64500,
        "Test Hosting",
    )
    assert trace.abuse_email == ""


def test_without_the_ip_database_the_trace_still_resolves_and_finds_the_contact(
    world: tuple[WorldDns, WorldRdap], settings: Any, tmp_path: Path
) -> None:
    settings.HOTLINE_GEO_DIR = tmp_path / "empty"
    geo.reset()
    trace = trace_host("plain.test")
    assert (trace.ip, trace.country, trace.asn, trace.cdn) == ("127.0.0.1", "", None, "")
    assert trace.abuse_email == "abuse@tn.example"
    assert trace.error == ""


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
    ],
)
def test_name_servers_are_given_as_ip_or_ip_and_port(raw: str, parsed: tuple[str, int]) -> None:
    assert parse_nameserver("HOTLINE_DNS_NAMESERVERS", raw) == parsed


@pytest.mark.parametrize("raw", ["ns.example", "127.0.0.1:0", "127.0.0.1:dns", "[::1"])
def test_a_name_server_that_is_not_an_address_is_refused_naming_the_setting(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="HOTLINE_DNS_NAMESERVERS has"):
        parse_nameserver("HOTLINE_DNS_NAMESERVERS", raw)
