"""Rate limits count a client as its IPv4 address or its IPv6 /64, under a keyed hash."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from hotline.core.ratelimit import client_key, counted_network


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("", ""),
    ],
)
def test_a_client_is_counted_as_its_address_or_its_64(address: str, counted_as: str) -> None:
    assert counted_network(address) == counted_as


def test_addresses_of_one_64_share_a_key_and_the_key_is_not_the_address(db: None) -> None:
    def key(address: str) -> str:
        return client_key(RequestFactory().get("/", REMOTE_ADDR=address))

    assert key("2001:db8:5:6::1") == key("2001:db8:5:6:ffff::2") != key("2001:db8:5:7::1")
    assert "2001" not in key("2001:db8:5:6::1")
