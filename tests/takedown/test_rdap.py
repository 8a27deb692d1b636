"""The abuse contact of a network from RDAP, asked of a real RDAP server on loopback found
through a bootstrap file: the abuse role wherever it is nested, the fallbacks registries use,
redirects between registries, and every failure as an error field, never an exception."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.takedown import rdap
from hotline.takedown.rdap import RdapResult, abuse_contact, parse_bootstrap
from tests.world.rdap import WorldRdap, network_document, write_bootstrap


@pytest.fixture
def registry(settings: Any, tmp_path: Path) -> Iterator[WorldRdap]:
    """The world's registry, holding 127.0.0.0/8 and 2001:db8::/32 in the bootstrap."""
    with WorldRdap() as world:
        settings.HOTLINE_RDAP_BOOTSTRAP = str(
            write_bootstrap(tmp_path / "rdap.json", {world.base: ["127.0.0.0/8", "2001:db8::/32"]})
        )
        rdap.forget_cache()
        yield world
        rdap.forget_cache()


def test_the_abuse_role_nested_in_the_organisation_gives_the_address(
    registry: WorldRdap,
) -> None:
    registry.networks["127.0.0.0/24"] = network_document(
        "127.0.0.0/24", name="TEST-HOSTING", country="tn", abuse_email="abuse@hosting.example"
    )
    assert abuse_contact("127.0.0.7") == RdapResult(
        abuse_email="abuse@hosting.example",
        network_name="TEST-HOSTING",
        country="TN",
        source_url=f"{registry.base}ip/127.0.0.7",
    )


def test_without_an_abuse_role_the_remarks_abuse_mailbox_is_used(registry: WorldRdap) -> None:
    registry.networks["2001:db8::/32"] = network_document(
        "2001:db8::/32",
        name="TEST-V6",
        country="DE",
        registrant_email="owner@hosting.example",
        remark_abuse="abuse-desk@hosting.example",
    )
    assert abuse_contact("2001:db8::1").abuse_email == "abuse-desk@hosting.example"


def test_without_any_abuse_contact_the_registrant_then_technical_e_mail_is_used(
    registry: WorldRdap,
) -> None:
    registry.networks["127.0.1.0/24"] = network_document(
        "127.0.1.0/24", name="A", country="FR", registrant_email="owner@hosting.example"
    )
    registry.networks["127.0.2.0/24"] = network_document("127.0.2.0/24", name="B", country="FR")
    assert abuse_contact("127.0.1.1").abuse_email == "owner@hosting.example"
    assert abuse_contact("127.0.2.1").abuse_email == "noc@hosting.example"


def test_a_redirect_to_another_registry_is_followed(registry: WorldRdap) -> None:
    with WorldRdap() as other:
        other.networks["127.0.3.0/24"] = network_document(
            "127.0.3.0/24", name="ELSEWHERE", country="MA", abuse_email="abuse@other.example"
        )
        registry.redirects["127.0.3.0/24"] = other.base
        found = abuse_contact("127.0.3.9")
    assert found.abuse_email == "abuse@other.example"
    assert found.source_url == f"{other.base}ip/127.0.3.9"


def test_a_redirect_loop_ends_with_an_error(registry: WorldRdap) -> None:
    registry.redirects["127.0.4.0/24"] = registry.base
    assert abuse_contact("127.0.4.1").error == "rdap_refused"
    assert len(registry.asked) == rdap.MAX_REDIRECTS + 1


def test_a_network_the_registry_does_not_know_is_not_found(registry: WorldRdap) -> None:
    found = abuse_contact("127.0.9.1")
    assert (found.error, found.abuse_email) == ("rdap_not_found", "")


def test_other_addresses_of_a_known_network_are_answered_from_the_cache(
    registry: WorldRdap,
) -> None:
    registry.networks["127.0.0.0/24"] = network_document(
        "127.0.0.0/24", name="TEST", country="TN", abuse_email="abuse@hosting.example"
    )
    first = abuse_contact("127.0.0.7")
    assert abuse_contact("127.0.0.200") == first
    assert registry.asked == ["/rdap/ip/127.0.0.7"]
    abuse_contact("127.0.1.1")  # another network is asked about
    assert len(registry.asked) == 2


def test_an_unreachable_registry_is_an_error_not_an_exception(
    settings: Any, tmp_path: Path
) -> None:
    with WorldRdap() as gone:
        base = gone.base
    settings.HOTLINE_RDAP_BOOTSTRAP = str(
        write_bootstrap(tmp_path / "b.json", {base: ["127.0.0.0/8"]})
    )
    rdap.forget_cache()
    assert abuse_contact("127.0.0.7").error == "rdap_unreachable"


def test_private_addresses_no_bootstrap_lists_are_not_asked_about(
    registry: WorldRdap, settings: Any, tmp_path: Path
) -> None:
    settings.HOTLINE_RDAP_BOOTSTRAP = str(
        write_bootstrap(tmp_path / "fallback.json", {}, fallback=registry.base)
    )
    assert abuse_contact("10.1.2.3").error == "rdap_not_public"
    assert abuse_contact("127.0.0.1").error == "rdap_not_public"
    assert registry.asked == []


def test_a_directory_with_ianas_two_files_is_a_bootstrap(
    registry: WorldRdap, settings: Any, tmp_path: Path
) -> None:
    iana = tmp_path / "iana"
    iana.mkdir()
    write_bootstrap(iana / "ipv4.json", {"https://rdap.example/": ["127.0.0.0/8"]})
    write_bootstrap(iana / "ipv6.json", {registry.base: ["2001:db8::/32"]})
    settings.HOTLINE_RDAP_BOOTSTRAP = str(iana)
    registry.networks["2001:db8::/32"] = network_document(
        "2001:db8::/32", name="V6", country="DE", abuse_email="abuse@v6.example"
    )
    assert abuse_contact("2001:db8::2").abuse_email == "abuse@v6.example"


def test_the_longest_prefix_chooses_the_service_and_https_is_preferred() -> None:
    bootstrap = parse_bootstrap(
        [
            (
                Path("x.json"),
                {
                    "services": [
                        [["127.0.0.0/8"], ["http://wide.example/", "https://wide.example/"]],
                        [["127.0.5.0/24"], ["https://narrow.example/rdap"]],
                    ]
                },
            )
        ]
    )
    import ipaddress

    assert bootstrap.base_for(ipaddress.ip_address("127.0.5.1")) == (
        "https://narrow.example/rdap/",
        True,
    )
    assert bootstrap.base_for(ipaddress.ip_address("127.0.6.1"))[0] == "https://wide.example/"


def test_the_shipped_bootstrap_asks_arin_which_redirects_for_other_registries() -> None:
    import ipaddress
    import json

    bootstrap = parse_bootstrap(
        [(rdap.DEFAULT_BOOTSTRAP, json.loads(rdap.DEFAULT_BOOTSTRAP.read_text()))]
    )
    assert bootstrap.base_for(ipaddress.ip_address("192.0.2.1")) == (
        "https://rdap.arin.net/registry/",
        False,
    )
